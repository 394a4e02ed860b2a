"""Attacks on the wire between a learner's sandbox and the grader (issue 13, rows 1 and 8).

One class is graded twice: honest learners around attackers that forge replies on the
reply channel, make the sandbox answer with names never asked for, or send malformed
messages (garbage, a 2**62-byte length, 300,000 levels of nesting, wrong types), one that
prints 60 MB, one whose own replies carry 51 MB of output, and one whose values are pickled object arrays that run a command if loaded. Each attacker has only stubs: its code earns 0.
"""
from __future__ import annotations

import pytest

import os
import uuid

from attacks import extra_names, forged_output, forged_replies, huge_output, malformed, pickled_array
from classroom import CourseCopy, describe, grade_class
from learners import attacker

pytestmark = pytest.mark.slow

PICKLE_FLAG = f"/tmp/lfm-pickle-{uuid.uuid4().hex[:10]}"
ATTACKERS = {
    "m-forged-replies": forged_replies,
    "m-extra-names": extra_names,
    "m-malformed-garbage": lambda: malformed("garbage"),
    "m-malformed-huge-length": lambda: malformed("huge-length"),
    "m-malformed-deep-nesting": lambda: malformed("deep-nesting"),
    "m-malformed-wrong-types": lambda: malformed("wrong-types"),
    "m-huge-output": huge_output,
    "m-pickle": lambda: pickled_array(PICKLE_FLAG),
    "m-forged-output": forged_output,
}


@pytest.fixture(scope="module")
def graded(template, tmp_path_factory):
    where = tmp_path_factory.mktemp("protocol")
    course = CourseCopy.clone(template, where / "course")
    yield grade_class(course, {name: attacker(course, make()) for name, make in ATTACKERS.items()}, where)
    if os.path.exists(PICKLE_FLAG):
        os.remove(PICKLE_FLAG)


def test_protocol_attacks_leave_every_promise_standing(graded):
    problems = graded.postcondition_failures({name: 0.0 for name in ATTACKERS})
    assert not problems, "\n".join(problems) + "\n" + describe(graded)


@pytest.mark.parametrize("name", sorted(ATTACKERS))
def test_attacker_earns_nothing_and_is_reported_in_every_run(graded, name):
    for number, (result, grades, _, _) in enumerate(graded.runs, 1):
        assert grades.get(name, {}).get("total") == 0, (number, name, describe(graded))
        assert f"  {name}" in result.stdout, (number, result.stdout[-2000:])


@pytest.mark.parametrize("name", ["m-huge-output", "m-forged-output"])
def test_huge_output_is_cut_to_the_limit(graded, name):
    """20,000 characters a cell are kept (README), however the output reached the grader."""
    for path in (graded.course.autograded(name), graded.course.feedback_page(name)):
        assert path.exists() and path.stat().st_size < 1_000_000, (path, path.exists() and path.stat().st_size)


def test_nothing_the_sandbox_sends_is_unpickled(graded):
    assert not os.path.exists(PICKLE_FLAG), describe(graded)
