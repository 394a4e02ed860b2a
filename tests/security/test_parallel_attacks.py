"""The same attacks when ``grade autograde --jobs 2`` shares the class out over two workers.

Each worker is its own ``nbgrader autograde`` with its own sandbox factory, so the two
questions are: is every worker's sandbox confined, and can a learner in one worker reach a
learner graded at the same time in the other (the environment they share, the process limit
they share, a process left running)?
"""
from __future__ import annotations

import textwrap
import uuid

import pytest

from classroom import CourseCopy, describe, grade_class
from learners import attacker
from test_environment_attacks import CHECKS, NUMPY
from test_gradebook_and_escape_attacks import GRADEBOOK, detached

pytestmark = pytest.mark.slow

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

MARKER = "lfm-parallel-" + uuid.uuid4().hex[:10]
ATTACKERS = {"m-numpy": NUMPY, "m-checks": CHECKS, "m-gradebook": GRADEBOOK, "m-detached": detached(MARKER),
             "b-holder": HOLDER, "n-holder": HOLDER}


@pytest.fixture(scope="module")
def graded(template, tmp_path_factory):
    where = tmp_path_factory.mktemp("parallel")
    course = CourseCopy.clone(template, where / "course")
    return grade_class(course, {name: attacker(course, code) for name, code in ATTACKERS.items()}, where,
                       settle=6.0, markers=(MARKER,), autograde_args=("--jobs", "2"))


def test_parallel_grading_keeps_every_promise_under_attack(graded):
    problems = graded.postcondition_failures({name: 0.0 for name in ATTACKERS})
    assert not problems, "\n".join(problems) + "\n" + describe(graded)
