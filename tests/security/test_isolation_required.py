"""Where bubblewrap cannot be had, ``grade autograde`` refuses; ``--unsafe-no-isolation`` grades anyway.

A machine without bubblewrap is simulated with ``COURSE_BWRAP=/nonexistent`` (read by
``course_utils.grading.confine.bwrap_executable``). These tests need no bubblewrap themselves.
Both steps run on one copy of the course (a copy costs some 15 s), in this order, once: the
refusal first, then the unsafe grading of the same class.
"""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from harness import CourseCopy, Result
from learners import blank, honest

pytestmark = [pytest.mark.slow, pytest.mark.needs_no_bwrap]

NO_BWRAP = {"COURSE_BWRAP": "/nonexistent"}


@dataclass
class WithoutBubblewrap:
    course: CourseCopy
    refused: Result
    graded_after_refusal: bool  # grading/autograded existed right after the refusal
    unsafe: Result
    grades: dict
    export: Result
    csv: list


@pytest.fixture(scope="module")
def without_bubblewrap(template, tmp_path_factory) -> WithoutBubblewrap:
    where = tmp_path_factory.mktemp("isolation-required")
    course = CourseCopy.clone(template, where / "course")
    course.collect({"a-honest-correct": honest(course), "a-honest-blank": blank(course)}, where / "submissions")
    refused = course.grade("autograde", "--assignment", "01_loss", env=NO_BWRAP)
    graded_after_refusal = (course.root / "grading" / "autograded").exists()
    unsafe = course.grade("autograde", "--assignment", "01_loss", "--unsafe-no-isolation", env=NO_BWRAP)
    export = course.grade("export", "--output", str(where / "grades.csv"), env=NO_BWRAP)
    rows = course.csv_rows(where / "grades.csv") if (where / "grades.csv").exists() else []
    return WithoutBubblewrap(course, refused, graded_after_refusal, unsafe, course.grades(), export, rows)


def test_without_isolation_autograde_refuses_in_one_line_and_grades_nothing(without_bubblewrap):
    result = without_bubblewrap.refused
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.returncode != 0, result.output
    assert len(lines) == 1 and "bubblewrap" in lines[0] and "--unsafe-no-isolation" in lines[0], lines
    assert not without_bubblewrap.graded_after_refusal


def test_unsafe_no_isolation_grades_and_says_so_in_the_csv(without_bubblewrap):
    assert without_bubblewrap.unsafe.returncode == 0, without_bubblewrap.unsafe.output
    grades = without_bubblewrap.grades
    assert grades["a-honest-correct"]["total"] == 4 and grades["a-honest-blank"]["total"] == 0, grades
    assert without_bubblewrap.export.returncode == 0, without_bubblewrap.export.output
    rows = without_bubblewrap.csv
    assert rows and all(row.get("isolation") == "none" for row in rows), rows
