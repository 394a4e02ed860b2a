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
and its writer land in different workers, and two holders (``b-holder``, ``n-holder``, one
in each worker) keep as many processes as the limit allows for 15 s while the other
learners are graded beside them.
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
             "b-holder": HOLDER, "n-holder": HOLDER}


@pytest.fixture(scope="module")
def graded(template, tmp_path_factory):
    where = tmp_path_factory.mktemp("environment")
    course = CourseCopy.clone(template, where / "course")
    yield grade_class(course, {name: attacker(course, code) for name, code in ATTACKERS.items()}, where)
    for path in glob.glob(f"/tmp/{NOTE}") + glob.glob(f"/dev/shm/{NOTE}"):
        os.remove(path)  # where an unconfined writer put them
    import ctypes
    libc = ctypes.CDLL(None)
    segment = libc.shmget(SHM_KEY, 0, 0)
    if segment >= 0:
        libc.shmctl(segment, 0, None)  # IPC_RMID


def test_environment_attacks_leave_every_promise_standing(graded):
    problems = graded.postcondition_failures({name: 0.0 for name in ATTACKERS})
    assert not problems, "\n".join(problems) + "\n" + describe(graded)


def test_grading_code_and_environment_unchanged(graded):
    assert graded.changes == [], graded.changes


def test_the_process_limit_held_in_one_worker_stops_no_one_in_the_other(graded):
    """Both holders ran (in run 2 at the same time as the other worker's learners), and
    every honest learner kept full marks: postcondition_failures above checks the scores."""
    for name in ("b-holder", "n-holder"):
        held = [n for n in graded.notes[name] if n.startswith("ATTACK holder: holding")]
        assert held and int(held[-1].split()[-2]) > 0, graded.notes[name]


def test_a_later_learner_sees_nothing_an_earlier_one_left(graded):
    assert not [n for n in graded.notes["m-tmp-2-reader"] if "found" in n], graded.notes["m-tmp-2-reader"]
