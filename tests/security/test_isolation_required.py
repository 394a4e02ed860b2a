"""Where bubblewrap cannot be had, ``grade autograde`` refuses; ``--unsafe-no-isolation`` grades anyway.

A machine without bubblewrap is simulated with ``COURSE_BWRAP=/nonexistent`` (read by
``course_utils.grading.confine.bwrap_executable``). These tests need no bubblewrap themselves.
"""
from __future__ import annotations

import pytest

from learners import blank, honest

pytestmark = [pytest.mark.slow, pytest.mark.needs_no_bwrap]

NO_BWRAP = {"COURSE_BWRAP": "/nonexistent"}


def test_without_isolation_autograde_refuses_in_one_line_and_grades_nothing(course, tmp_path):
    course.collect({"a-honest-correct": honest(course)}, tmp_path / "submissions")
    result = course.grade("autograde", "--assignment", "01_loss", env=NO_BWRAP)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.returncode != 0, result.output
    assert len(lines) == 1 and "bubblewrap" in lines[0] and "--unsafe-no-isolation" in lines[0], lines
    assert not (course.root / "grading" / "autograded").exists()


def test_unsafe_no_isolation_grades_and_says_so_in_the_csv(course, tmp_path):
    course.collect({"a-honest-correct": honest(course), "a-honest-blank": blank(course)}, tmp_path / "submissions")
    result = course.grade("autograde", "--assignment", "01_loss", "--unsafe-no-isolation", env=NO_BWRAP)
    assert result.returncode == 0, result.output
    grades = course.grades()
    assert grades["a-honest-correct"]["total"] == 4 and grades["a-honest-blank"]["total"] == 0, grades
    export = course.grade("export", "--output", str(tmp_path / "grades.csv"), env=NO_BWRAP)
    assert export.returncode == 0, export.output
    rows = course.csv_rows(tmp_path / "grades.csv")
    assert rows and all(row.get("isolation") == "none" for row in rows), rows
