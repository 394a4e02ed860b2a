"""The sandbox factory: imports the course's libraries once, then forks one sandbox per learner.

``python -m course_utils.grading.factory CONTROL_FD CONFINED SETTINGS_JSON MODULE...`` — started by
:class:`course_utils.grading.learner_process.Factory`, inside ``bwrap`` when grading is
confined (:mod:`course_utils.grading.confine`). Every sandbox starts from this untouched
state (a learner's changes stay in its own forked copy) without paying for the imports again.

Requests arrive as JSON on a Unix socket; each answer is 8 bytes (big-endian signed):

- ``{"op": "spawn", "learner": ID, "output_limit": N, "cwd": PATH}`` with the sandbox's two
  pipe ends (SCM_RIGHTS) -> the sandbox's process id. Confined, the sandbox copies
  ``/submissions/ID`` into its own ``/scratch/ID`` and works there (``cwd`` is ignored);
- ``{"op": "end"}`` -> 0 once every process of the current learner is gone and its scratch
  and ``/tmp`` files are deleted; 1 if something could not be cleaned (the grader then
  starts a new factory).
"""
from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import signal
import socket
import struct
import sys
import time

from course_utils.grading import confine, protocol

PR_SET_DUMPABLE = 4


def _not_traceable() -> None:
    """Processes of the same user may not ptrace this one or read its memory."""
    import ctypes

    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


def _limit(limits: confine.Limits) -> None:
    for name, value in ((resource.RLIMIT_AS, limits.memory), (resource.RLIMIT_NPROC, limits.processes),
                        (resource.RLIMIT_FSIZE, limits.file_size), (resource.RLIMIT_NOFILE, limits.open_files),
                        (resource.RLIMIT_CORE, 0)):
        resource.setrlimit(name, (value, value))


LEARNER_UID = 0  # set from the command line: the user id learners' code runs under (as root)


def _become_learner() -> None:
    """As root: become the learners' user, with no capabilities left (setuid from 0 clears them)."""
    if os.getuid() == 0:
        os.setgroups([])
        os.setgid(LEARNER_UID)
        os.setuid(LEARNER_UID)
        if os.getuid() != LEARNER_UID or os.geteuid() != LEARNER_UID or LEARNER_UID == 0:
            os._exit(70)


def _copy_submission(learner: str) -> str:
    """Copy the learner's folder (regular files only) into its scratch folder; return that folder."""
    source = os.path.join(confine.SUBMISSIONS, learner)
    work = confine.scratch_for(learner)
    shutil.copytree(source, work, symlinks=True, ignore_dangling_symlinks=True,
                    ignore=lambda folder, names: [n for n in names if os.path.islink(os.path.join(folder, n))])
    home = os.path.join("/tmp", learner)
    for folder in (home, os.path.join(home, "matplotlib")):
        os.makedirs(folder, exist_ok=True)
    os.environ.update(HOME=home, MPLCONFIGDIR=os.path.join(home, "matplotlib"), TMPDIR=home)
    return work


def _start_sandbox(request: dict, fds: list[int], confined: bool, limits: confine.Limits) -> None:
    """In the forked child: confine, then serve the grader as this learner's sandbox."""
    from course_utils.grading import sandbox

    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.setsid()
    protocol.OUTPUT_LIMIT = int(request["output_limit"])
    if confined:
        _limit(limits)
        _become_learner()
        os.chdir(_copy_submission(str(request["learner"])))
    else:
        os.chdir(request["cwd"])
    os.dup2(fds[0], 0)
    os.dup2(fds[1], 1)
    for fd in fds:
        os.close(fd)
    sandbox.main()


def _end_learner(confined: bool) -> int:
    """Kill every process but this one (and the namespace's init), then empty /scratch and /tmp."""
    if not confined:
        return 0
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(-1, signal.SIGKILL)  # all of this PID namespace that we may signal: the learner's processes
    me = os.getpid()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        others = [p for p in os.listdir("/proc") if p.isdigit() and int(p) not in (1, me)]
        if not others:
            break
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(-1, signal.SIGKILL)
        time.sleep(0.005)
    else:
        return 1
    if _ipc_objects_left():
        return 1  # only a new IPC namespace frees them: the grader starts a new factory
    return _clean_folders()


def _ipc_objects_left() -> bool:
    """System V shared memory, semaphores or queues (they outlive the processes that made them)."""
    for kind in ("shm", "sem", "msg"):
        with contextlib.suppress(OSError), open(f"/proc/sysvipc/{kind}") as table:
            if len(table.read().strip().splitlines()) > 1:  # a header line, then one line per object
                return True
    return False


CLEANED = (confine.SCRATCH, "/tmp", "/dev/shm")
# What the factory itself made there before any learner ran (as root: /tmp/home, matplotlib's
# cache, the parent folders bwrap made for bound paths). Owned by root and not writable by
# the learners' user, so no learner can change them or leave anything inside; every learner
# finds them as the first did. Without this, cleaning would fail on them after every learner
# and the factory would be replaced each time (half a second per learner).
FACTORY_OWN: dict[str, set[str]] = {top: set() for top in CLEANED}


def _note_factory_own() -> None:
    """Record the root-owned, learner-unwritable entries of the cleaned folders (as root only)."""
    if os.getuid() != 0:
        return  # unprivileged, learners run as the factory's own user: nothing is safe to keep
    for top in CLEANED:
        with contextlib.suppress(OSError):
            for name in os.listdir(top):
                path = os.path.join(top, name)
                if _root_owned_and_closed(path):
                    FACTORY_OWN[top].add(name)


def _root_owned_and_closed(path: str) -> bool:
    """True if ``path`` and everything below it belongs to root and is writable by root only."""
    for folder, subfolders, files in os.walk(path):
        # A read-only bind (the environment, course_utils) cannot be written by anyone here.
        subfolders[:] = [n for n in subfolders if not os.statvfs(os.path.join(folder, n)).f_flag & os.ST_RDONLY]
        for entry in [folder, *(os.path.join(folder, n) for n in subfolders + files)]:
            info = os.lstat(entry)
            if info.st_uid != 0 or info.st_mode & 0o022:
                return False
    return True


def _clean_folders() -> int:
    """Delete what the learner left in /scratch and /tmp, as the learner's user (it owns those files)."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # so that this one child can be waited for
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            _become_learner()
            for top in CLEANED:
                for name in set(os.listdir(top)) - FACTORY_OWN[top]:
                    path = os.path.join(top, name)
                    with contextlib.suppress(OSError):
                        os.chmod(path, 0o700)
                    if os.path.isdir(path) and not os.path.islink(path):
                        shutil.rmtree(path, onerror=_make_writable_and_retry)
                    else:
                        os.unlink(path)
                if set(os.listdir(top)) - FACTORY_OWN[top]:
                    code = 1
        except BaseException:
            code = 1
        os._exit(code)
    try:
        _, status = os.waitpid(pid, 0)
    finally:
        signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    return 0 if os.waitstatus_to_exitcode(status) == 0 else 1


def _make_writable_and_retry(function, path, _info) -> None:
    parent = os.path.dirname(path)
    with contextlib.suppress(OSError):
        os.chmod(parent, 0o700)
        os.chmod(path, 0o700)
    function(path)


def serve(control_fd: int, preload: list[str], confined: bool, limits: confine.Limits) -> None:
    import importlib

    if confined:
        _not_traceable()
    for name in preload:
        with contextlib.suppress(Exception):  # a missing optional library only costs the speed-up
            importlib.import_module(name)
    if confined:
        _note_factory_own()
    control = socket.socket(fileno=control_fd)
    # Finished sandboxes are reaped automatically (confined, the namespace's init reaps orphans).
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(control, 65536, 2)
        except OSError:
            return
        if not message:
            return  # the grader has gone
        request = json.loads(message)
        if request.get("op") == "end":
            for fd in fds:
                os.close(fd)
            control.sendall(struct.pack(">q", _end_learner(confined)))
            continue
        pid = os.fork()
        if pid == 0:
            try:
                control.close()
                _start_sandbox(request, fds, confined, limits)
            except BaseException:  # shown only with COURSE_GRADING_DEBUG=1 (stderr is /dev/null otherwise)
                import traceback
                traceback.print_exc()
            finally:
                os._exit(0)
        for fd in fds:
            os.close(fd)
        control.sendall(struct.pack(">q", pid))


if __name__ == "__main__":
    settings = json.loads(sys.argv[3])
    LEARNER_UID = int(settings["uid"])
    serve(int(sys.argv[1]), sys.argv[4:], sys.argv[2] == "1", confine.Limits(**settings["limits"]))
