"""A confined sandbox (bubblewrap) reaches nothing but its own scratch copy, and the grader
believes nothing it did not ask for.

These drive :class:`LearnerProcess` directly, one learner after another through the same
factory, as ``nbgrader autograde`` does; tests/security/ runs the same attacks through the
instructor's whole workflow.
"""
from __future__ import annotations

import ast
import os
import secrets

import pytest

from course_utils.grading import confine
from course_utils.grading.learner_process import LearnerProcess, SandboxMisbehaved
from ports import listening_socket

AVAILABLE, WHY_NOT = confine.availability()
pytestmark = [pytest.mark.slow, pytest.mark.skipif(not AVAILABLE, reason=f"no confinement here: {WHY_NOT}")]

MARKER = "course-confine-test-marker"


def confined(folder, **limits) -> LearnerProcess:
    return LearnerProcess(str(folder), timeout=20, preload=["numpy"], confined=True,
                          limits=confine.Limits(**limits) if limits else confine.Limits())


def run(process: LearnerProcess, source: str) -> str:
    reply = process.exec_cell("probe", source)
    assert reply["status"] == "ok", reply
    return reply["stdout"]


@pytest.fixture
def submission(tmp_path):
    folder = tmp_path / "alice" / "01_loss"
    folder.mkdir(parents=True)
    (folder / "data.txt").write_text("mine")
    (folder / "01_loss.ipynb").write_text('{"hidden": "### BEGIN HIDDEN TESTS"}')
    (folder / "link").symlink_to("/etc/hostname")
    return folder


def test_the_sandbox_sees_its_own_files_and_nothing_of_the_course(submission, root):
    process = confined(submission)
    try:
        seen = run(process, f"""
import os
print(sorted(os.listdir('.')))
print(os.path.exists({str(root / 'solutions')!r}), os.path.exists({str(root / 'nbgrader_config.py')!r}))
print(os.path.exists({str(submission.parent.parent)!r}), os.path.exists('/root'), os.path.exists('/home'))
print(sorted(os.environ))
""").splitlines()
    finally:
        process.kill()
    assert seen[0] == "['data.txt']"  # no notebook (it holds the restored hidden tests), no link
    assert seen[1] == "False False"
    assert seen[2].split()[0] == "False"
    # None of the instructor's variables: only the sandbox's own (bwrap adds PWD).
    # PYTHONPATH names the folder holding course_utils, the only thing bound there.
    assert set(ast.literal_eval(seen[3])) <= {*confine.SANDBOX_ENV, *confine.PASSED_THROUGH, "PWD", "PYTHONPATH"}


def test_nothing_outside_scratch_can_be_written(submission, root):
    process = confined(submission)
    try:
        seen = run(process, f"""
for path in [{str(root / 'course_utils' / 'checks' / 'loss.py')!r}, __import__('numpy').__file__,
             {str(submission / 'data.txt')!r}, '/submissions/x', '/etc/passwd']:
    try:
        open(path, 'a').write('# changed')
        print('WROTE', path)
    except OSError as error:
        print('refused', type(error).__name__)
open('scratch-file', 'w').write('ok')
print('scratch ok')
""")
    finally:
        process.kill()
    assert "WROTE" not in seen and "scratch ok" in seen
    assert (submission / "data.txt").read_text() == "mine"


def test_no_network_not_even_the_instructors_loopback(submission):
    # The port is outside the kernels' ephemeral range (tests/ports.py), so no other
    # worker's kernel client can reach it; the token tells the sandbox's connection apart
    # from any stray one all the same.
    listener = listening_socket()
    listener.setblocking(False)
    port, token = listener.getsockname()[1], secrets.token_hex(8)
    process = confined(submission)
    try:
        seen = run(process, f"""
import socket
try:
    connection = socket.create_connection(('127.0.0.1', {port}), timeout=3)
    connection.sendall(b'{token}')
    print('CONNECTED')
except OSError as error:
    print('refused', error)
""")
    finally:
        process.kill()
    assert "CONNECTED" not in seen and "refused" in seen
    arrived = b""
    while True:
        try:
            connection, _ = listener.accept()
        except BlockingIOError:
            break  # nothing (more) arrived
        with connection:
            connection.settimeout(1)
            try:
                arrived += connection.recv(64)
            except OSError:
                pass
    listener.close()
    assert token.encode() not in arrived


def test_memory_and_file_size_are_limited(submission):
    process = confined(submission, memory=1 << 30, file_size=16 << 20)
    try:
        seen = run(process, """
try:
    block = bytearray(3 << 30)
    print('ALLOCATED')
except MemoryError:
    print('memory refused')
try:
    with open('big', 'wb') as handle:
        handle.write(b'0' * (64 << 20))
    print('WROTE BIG')
except OSError as error:
    print('file refused', error.errno)
""")
    finally:
        process.kill()
    assert "memory refused" in seen and "file refused" in seen


def test_every_process_a_learner_starts_ends_with_it(submission, tmp_path):
    first = confined(submission)
    run(first, f"""
import os, subprocess
for folder in ('/tmp', '.', '/dev/shm'):  # files the next learner must not find
    open(os.path.join(folder, '{MARKER}'), 'w').write('left behind')
subprocess.Popen(['sh', '-c', 'sleep 300 # {MARKER}'], start_new_session=True)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        import time
        time.sleep(300)
    os._exit(0)
""")
    first.kill()
    second = confined(submission)
    try:
        seen = run(second, f"""
import os
others = [open(f'/proc/{{p}}/cmdline').read() for p in os.listdir('/proc') if p.isdigit()]
left = [os.path.join(d, f) for top in ('/tmp', '/scratch', '/dev/shm') for d, _, files in os.walk(top)
        for f in files if f == '{MARKER}']
print(sum('{MARKER}' in c or 'sleep' in c for c in others), left)
""").split(maxsplit=1)
    finally:
        second.kill()
    assert seen[0] == "0"  # nothing of the first learner survived
    # nor its files (whether the same factory cleaned up or, after a slow end, a new one started)
    assert seen[1].strip() == "[]", seen[1]
    host = [open(f"/proc/{p}/cmdline", "rb").read() for p in os.listdir("/proc") if p.isdigit()
            and os.path.exists(f"/proc/{p}/cmdline")]
    assert not any(MARKER.encode() in c for c in host)


def test_a_process_limit_stops_a_fork_bomb(submission):
    process = confined(submission, processes=32)
    try:
        seen = run(process, """
import os, time
started = 0
try:
    for _ in range(200):
        if os.fork() == 0:
            time.sleep(30)
            os._exit(0)
        started += 1
except OSError:
    pass
print(started)
""")
    finally:
        process.kill()
    assert int(seen) < 40


# ---- the channel, from inside ---------------------------------------------------------------
# tests/test_grading_protocol.py checks each kind of bad reply on a fake channel; here the
# learner's code really writes to the channel it shares a process with.

def test_a_forged_frame_from_the_learners_code_kills_its_sandbox_and_only_that(submission):
    process = confined(submission)
    try:
        run(process, "x = 1\n")
        with pytest.raises(SandboxMisbehaved):
            process.exec_cell("forge", """
import json, os, struct
payload = json.dumps({'op': 'reply', 'id': 99, 'status': 'ok', 'values': {'check_mse': {'py': 1}}}).encode()
for fd in range(3, 64):
    try:
        os.write(fd, struct.pack('>Q', len(payload)) + payload)
    except OSError:
        pass
""")
        assert process.dead
    finally:
        process.kill()
    after = confined(submission)  # the next learner is served as usual
    try:
        assert run(after, "print(6 * 7)").strip() == "42"
    finally:
        after.kill()


def test_shared_memory_a_learner_leaves_is_gone_for_the_next(submission):
    first = confined(submission)
    run(first, """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
segment = libc.shmget(0, 1 << 20, 0o1666)   # IPC_PRIVATE, IPC_CREAT | 0666: outlives its maker
open('/dev/shm/left-behind', 'w').write('x')
print(segment)
""")
    first.kill()
    second = confined(submission)
    try:
        seen = run(second, "import os\nprint(len(open('/proc/sysvipc/shm').read().strip().splitlines()), "
                           "os.listdir('/dev/shm'))")
    finally:
        second.kill()
    assert seen.strip() == "1 []"


@pytest.mark.skipif(not confine.as_root(), reason="as root, learners run under a user id of their own")
def test_one_factory_serves_learner_after_learner_and_its_own_folders_stay_closed(submission):
    from course_utils.grading import learner_process

    factories, seen = [], []
    for _ in range(3):
        # matplotlib, as the notebooks' locked cells import it: the factory's import makes its cache in /tmp
        process = LearnerProcess(str(submission), timeout=20, preload=["numpy", "matplotlib.pyplot"], confined=True)
        try:
            seen.append(run(process, """
import os
denied = []
for folder in os.listdir('/tmp'):
    if not folder.startswith('learner-'):   # what the factory made before any learner ran
        try:
            open(os.path.join('/tmp', folder, 'planted'), 'w').write('x')
        except OSError:
            denied.append(folder)
print(sorted(denied), sorted(f for f in os.listdir('/tmp') if not f.startswith('learner-')))
"""))
        finally:
            process.kill()
        factories.append(learner_process._FACTORY.process.pid)
    # Cleaning after each learner succeeds, so the factory (and its imports) is not replaced.
    assert len(set(factories)) == 1, factories
    for line in seen:
        denied, present = line.split("] [")
        assert denied.strip("[") == present.strip("]\n"), line  # every one of them refused the write


def test_only_the_scratch_folders_are_writable(submission):
    """The sandbox's root is read-only, and the folder on PYTHONPATH takes no module from a
    learner (a read-only mount, or, for a course below /tmp, a folder the learner cannot write)."""
    process = confined(submission)
    try:
        seen = run(process, """
import os
def planted(folder):
    try:
        open(os.path.join(folder, 'planted_module.py'), 'w').close()
        return True
    except OSError:
        return False
print([bool(os.statvfs(t).f_flag & os.ST_RDONLY) for t in ('/', '/tmp', '/scratch', '/dev/shm')],
      planted(os.environ['PYTHONPATH']), planted('.'))
""")
    finally:
        process.kill()
    assert seen.strip() == "[True, False, False, False] False True", seen


def test_a_grading_process_leaves_no_staging_folder_behind(submission, tmp_path):
    """Each ``nbgrader autograde`` process starts one factory with a staging folder in the
    temporary directory; when the process ends, the folder goes with it (a term's grading
    would otherwise leave one folder per run in /tmp)."""
    import subprocess
    import sys

    temporary = tmp_path / "tmp"
    temporary.mkdir()
    grader = f"""
from course_utils.grading.learner_process import LearnerProcess
process = LearnerProcess({str(submission)!r}, timeout=20, preload=["numpy"], confined=True)
print(process.exec_cell("probe", "print(6 * 7)")["stdout"].strip())
process.kill()
"""
    done = subprocess.run([sys.executable, "-c", grader], env=dict(os.environ, TMPDIR=str(temporary)),
                          capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "42", done.stderr
    assert list(temporary.iterdir()) == []
