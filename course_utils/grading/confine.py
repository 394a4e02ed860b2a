"""Operating-system confinement of the process that runs learners' code, with bubblewrap.

Each grading process (one ``nbgrader autograde``, or one ``--jobs`` worker) starts one
*sandbox factory* (:func:`course_utils.grading.sandbox.zygote`) inside ``bwrap``; the
factory forks one sandbox per learner. What the confinement gives every learner's code:

- a file system that is read-only and holds only what Python needs: the interpreter, the
  course's environment (site-packages), the ``course_utils`` package and the system's
  libraries. ``solutions/``, ``grading/`` (gradebook, other learners' work), the rest of
  the course folder, ``/root``, ``/home`` and ``/etc`` (but for a few files the dynamic
  loader and fonts need) are not there at all;
- writable only: a private, size-limited scratch folder with a copy of the learner's own
  submission folder, a size-limited ``/tmp`` and ``/dev/shm``; all are emptied between
  learners, and a learner who leaves System V IPC objects behind gets the factory
  replaced (a new IPC namespace) before the next learner;
- no network (its own network namespace, with nothing but a down loopback);
- none of the instructor's environment variables (``--clearenv``; :data:`SANDBOX_ENV`);
- its own PID namespace: between learners the factory kills every process in it (a
  double fork or a new session does not escape), and when the factory ends, the
  kernel ends them all;
- limits (:class:`Limits`): address space per process (the memory limit), processes,
  file size, open files;
- as root, learners' code runs under a user id of its own factory (:func:`learner_uid`,
  with no account, no group and no capabilities), so it cannot signal or trace the
  factory, and the process limit of one worker's learners does not count another's;
  otherwise the factory makes itself non-traceable.

Where bubblewrap is missing or cannot create namespaces (user namespaces disabled),
:func:`availability` says why, and ``course.py grade autograde`` refuses unless the
instructor grades explicitly without isolation.
"""
from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

GiB, MiB = 1 << 30, 1 << 20
UID_RANGE = (200_000, 1_200_000)  # user ids for learners' code when grading as root: no account has them

# The only variables the sandbox sees (plus the BLAS thread counts the worker chose).
SANDBOX_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "HOME": "/tmp/home",
    "TMPDIR": "/tmp",
    "LANG": "C.UTF-8",
    "MPLBACKEND": "Agg",
    "MPLCONFIGDIR": "/tmp/matplotlib",
    "PYTHONUNBUFFERED": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
    "COURSE_OFFLINE": "1",
    "COURSE_HEADLESS": "1",   # no page shows the learner's widgets: they skip their pictures
}
PASSED_THROUGH = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_CORETYPE",
                  "OPENBLAS_L2_SIZE", "LD_LIBRARY_PATH")

SYSTEM_DIRS = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin")
ETC_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives", "/etc/fonts",
             "/etc/localtime")
SCRATCH, SUBMISSIONS = "/scratch", "/submissions"


@dataclass(frozen=True)
class Limits:
    """What one learner's processes may use. ``memory`` is the address space of each process."""

    memory: int = 2 * GiB
    processes: int = 256
    file_size: int = 256 * MiB
    open_files: int = 256
    scratch: int = 512 * MiB
    tmp: int = 512 * MiB


def bwrap_executable() -> str | None:
    """``$COURSE_BWRAP`` (tests point it elsewhere to simulate a machine without it), else ``bwrap`` on PATH."""
    configured = os.environ.get("COURSE_BWRAP")
    if configured is not None:
        return configured if os.access(configured, os.X_OK) else None
    return shutil.which("bwrap")


def as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def course_utils_parent() -> Path:
    import course_utils

    return Path(os.path.abspath(course_utils.__file__)).parent.parent


def readable_paths() -> list[str]:
    """Folders the sandbox's Python needs, read-only: interpreter, environment, ``course_utils``."""
    import course_utils

    paths = {sys.base_prefix, sys.prefix, os.path.dirname(os.path.abspath(course_utils.__file__))}
    # Site folders the interpreter reads through a .pth file (an interpreter copied for
    # several accounts points at the environment's site-packages this way).
    paths.update(p for p in sys.path if os.path.basename(p) in ("site-packages", "dist-packages"))
    # An interpreter copied or built outside the system's folders may need its libraries found.
    paths.update(p for p in os.environ.get("LD_LIBRARY_PATH", "").split(os.pathsep) if os.path.isabs(p))
    executable = os.path.realpath(sys.executable)
    paths.add(os.path.dirname(os.path.dirname(executable)))
    return sorted(p for p in paths if p and os.path.exists(p))


def bwrap_command(python_args: list[str], submissions: str, limits: Limits = Limits()) -> list[str]:
    """The ``bwrap`` command line that runs ``python python_args`` confined.

    ``submissions`` is a host folder, shown read-only at ``/submissions``: the grader puts
    the current learner's files there before asking the factory for a sandbox.
    """
    bwrap = bwrap_executable()
    if bwrap is None:
        raise RuntimeError("bubblewrap is not installed")
    command = [bwrap, "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-net", "--unshare-ipc",
               "--unshare-uts", "--unshare-cgroup-try", "--hostname", "sandbox"]
    if as_root():
        # No user namespace: the factory keeps CAP_SETUID/CAP_SETGID only, to run each learner
        # under an unprivileged user id (then the process limit holds and the factory is out of
        # its reach), and CAP_KILL, to end every process of a learner when it is done.
        command += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_KILL"]
    else:
        command += ["--unshare-user", "--disable-userns"]
    # /tmp first: an interpreter or environment that lives below /tmp is bound on top of it.
    command += ["--perms", "1777", "--size", str(limits.tmp), "--tmpfs", "/tmp"]
    for folder in SYSTEM_DIRS:
        if os.path.islink(folder):
            command += ["--symlink", os.readlink(folder), folder]
        elif os.path.isdir(folder):
            command += ["--ro-bind", folder, folder]
    for path in ETC_FILES:
        command += ["--ro-bind-try", path, path]
    made = set()
    for path in readable_paths():
        # bwrap makes missing parent folders with mode 0700, which the learners' user cannot enter.
        for parent in reversed(Path(path).parents[:-1] if len(Path(path).parents) > 1 else []):
            if str(parent) not in made and not any(str(parent).startswith(d) for d in SYSTEM_DIRS):
                command += ["--perms", "0755", "--dir", str(parent)]
                made.add(str(parent))
        command += ["--ro-bind", path, path]
    command += ["--dev", "/dev", "--perms", "1777", "--size", str(limits.tmp), "--tmpfs", "/dev/shm",
                "--proc", "/proc",
                "--perms", "1777", "--size", str(limits.scratch), "--tmpfs", SCRATCH,
                "--ro-bind", submissions, SUBMISSIONS,
                # Last: the root itself read-only, so the folders bwrap made above (the
                # parents of bound paths, one of them on PYTHONPATH) take no file from a
                # learner for the next one; /tmp, /scratch and /dev/shm are mounts of their own.
                "--remount-ro", "/",
                "--chdir", SCRATCH, "--clearenv"]
    env = dict(SANDBOX_ENV)
    env.update({name: os.environ[name] for name in PASSED_THROUGH if name in os.environ})
    # The sandbox imports the course_utils this grader runs (bound above), wherever it came
    # from: an instructor's copy of the course is found from its folder, not the environment.
    env["PYTHONPATH"] = str(course_utils_parent())
    for name, value in sorted(env.items()):
        command += ["--setenv", name, value]
    return command + ["--", sys.executable, *python_args]


@functools.lru_cache(maxsize=None)
def availability() -> tuple[bool, str]:
    """(True, "") when a confined sandbox can start here, else (False, the reason and the fix in words)."""
    if not sys.platform.startswith("linux"):
        return False, (f"bubblewrap needs Linux (this is {sys.platform}); grade on a Linux machine, "
                       "or pass --unsafe-no-isolation")
    if bwrap_executable() is None:
        return False, ("bubblewrap (bwrap) is not installed; install it (Debian/Ubuntu: "
                       "`sudo apt-get install bubblewrap`), or pass --unsafe-no-isolation")
    import tempfile

    with tempfile.TemporaryDirectory(prefix="course-confine-probe-") as folder:
        command = bwrap_command(["-c", "import numpy, course_utils; print('confined')"], folder)
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as error:
            return False, f"bubblewrap could not start a sandbox ({error}); pass --unsafe-no-isolation to grade anyway"
    if result.returncode != 0 or "confined" not in result.stdout:
        detail = (result.stderr.strip().splitlines() or ["no message"])[-1]
        if not detail.startswith("bwrap"):  # the sandbox started; Python inside it failed
            return False, (f"a sandbox started but the course's Python failed in it ({detail}); "
                           "run with COURSE_GRADING_DEBUG=1 for details, or pass --unsafe-no-isolation")
        return False, (f"bubblewrap cannot create a sandbox here ({detail}): user namespaces may be disabled "
                       "(sysctl kernel.unprivileged_userns_clone=1 and user.max_user_namespaces > 0), "
                       "or pass --unsafe-no-isolation")
    return True, ""


def learner_uid() -> int:
    """A fresh unprivileged user id for one factory's learners (used when grading as root)."""
    import secrets

    return UID_RANGE[0] + secrets.randbelow(UID_RANGE[1] - UID_RANGE[0])


def scratch_for(learner: str) -> str:
    return str(Path(SCRATCH) / learner)
