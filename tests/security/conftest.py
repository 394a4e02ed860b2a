"""Fixtures of the security suite: one prepared copy of the course per session, cloned per grading run.

Every attack runs through ``python3 <copy>/course.py grade collect / autograde / feedback /
export`` on a copy with its own environment (``.venv`` copied and re-pointed), in an
instructor's environment that holds a secret the learner's code must never see.
"""
from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import CourseCopy, Result, Snapshot, grading_state, processes_mentioning, prepare_template  # noqa: E402
from learners import FULL_MARKS, HONEST_BLANK, HONEST_CORRECT, honest_class  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent.parent
SECRET_NAME = "COURSE_INSTRUCTOR_SECRET"


def bubblewrap_missing() -> str | None:
    """Why confinement cannot be tested here, or None."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bubblewrap (bwrap) is not installed"
    probe = subprocess.run([bwrap, "--ro-bind", "/", "/", "--unshare-pid", "--unshare-net", "true"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        return f"bubblewrap cannot create namespaces here: {probe.stderr.strip()[:120]}"
    return None


def pytest_collection_modifyitems(config, items):
    reason = bubblewrap_missing()
    if reason is None:
        return
    for item in items:
        if "security" in item.nodeid.split("::")[0].split("/") and "needs_no_bwrap" not in item.keywords:
            item.add_marker(pytest.mark.skip(reason=f"security tests need bubblewrap: {reason}"))


@pytest.fixture(scope="session")
def secret() -> str:
    return "s3cret-" + secrets.token_hex(12)


@pytest.fixture(scope="session")
def instructor_env(secret, tmp_path_factory) -> dict:
    """A plain instructor's shell: system PATH (no developer venv), a home, and a secret."""
    home = tmp_path_factory.mktemp("instructor-home")
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
            "COURSE_NO_SYSTEM_PACKAGES": "1", SECRET_NAME: secret}


@pytest.fixture(scope="session")
def template(tmp_path_factory, instructor_env) -> CourseCopy:
    return prepare_template(ROOT, tmp_path_factory.mktemp("security") / "template", instructor_env)


@dataclass
class GradingRun:
    """One class graded twice (autograde, autograde again) then feedback and export; what was seen."""

    course: CourseCopy
    learners: dict
    collect: Result | None = None
    runs: list = field(default_factory=list)          # (Result, grades, grading_state, leftover processes)
    changes: list = field(default_factory=list)       # outside grading/: files, environment, gradebook schema
    feedback: Result | None = None
    export: Result | None = None
    csv: list = field(default_factory=list)
    notes: dict = field(default_factory=dict)         # learner -> ATTACK lines it printed
    settled: list = field(default_factory=list)       # grading/ changes after each run ended

    def postcondition_failures(self, attackers_max: dict[str, float]) -> list[str]:
        """Every broken promise of the issue, in words (empty when all hold)."""
        problems = []
        if self.collect is not None and self.collect.returncode != 0:
            problems.append(f"grade collect exited {self.collect.returncode}: {self.collect.output.strip()[-300:]}")
        for number, (result, grades, _, leftovers) in enumerate(self.runs, 1):
            label = f"run {number}"
            if result.returncode != 0:
                problems.append(f"{label}: grade autograde exited {result.returncode}: {result.output[-600:]}")
            if "FLAGGED a-flagged" not in result.stdout:
                problems.append(f"{label}: no FLAGGED line for a-flagged")
            for student in HONEST_CORRECT:
                got = grades.get(student, {}).get("total")
                if got != FULL_MARKS:
                    problems.append(f"{label}: honest correct {student} scored {got} (not {FULL_MARKS})")
                if f"  {student}" not in result.stdout:
                    problems.append(f"{label}: {student} missing from the score table")
            for student in HONEST_BLANK:
                got = grades.get(student, {}).get("total")
                if got != 0:
                    problems.append(f"{label}: honest blank {student} scored {got} (not 0)")
            for student, limit in attackers_max.items():
                got = grades.get(student, {}).get("total")
                if got is None or got > limit:
                    problems.append(f"{label}: attacker {student} scored {got} (its code earns {limit})")
            if leftovers:
                problems.append(f"{label}: processes survived: {leftovers}")
        for number, change in enumerate(self.settled, 1):
            if change:
                problems.append(f"run {number}: grading/ changed after the command ended: {change}")
        if self.changes:
            problems.append(f"outside the scratch folder: {self.changes[:12]}")
        for step in (self.feedback, self.export):
            if step is not None and step.returncode != 0:
                problems.append(f"feedback/export exited {step.returncode}: {step.output[-400:]}")
        return problems


def grade_class(course: CourseCopy, attackers: dict, where: Path, settle: float = 0.0, markers=()) -> GradingRun:
    """Collect honest learners and ``attackers``, autograde twice, feedback, export: everything recorded."""
    import time

    learners = {**honest_class(course), **attackers}
    collected = course.collect(learners, where / "submissions")
    before = Snapshot.take(course)
    run = GradingRun(course, learners, collect=collected)
    needles = (str(course.root), *markers)
    for _ in range(2):
        result = course.grade("autograde", "--assignment", "01_loss")
        state = grading_state(course)
        if settle:
            time.sleep(settle)  # a detached process would act now
        leftovers = processes_mentioning(*needles)
        run.settled.append([k for k, v in grading_state(course).items() if state.get(k) != v])
        run.runs.append((result, course.grades(), state, leftovers))
        from harness import end_processes
        end_processes([pid for pid, _ in leftovers])
    run.feedback = course.grade("feedback", "--assignment", "01_loss")
    run.export = course.grade("export", "--output", str(where / "grades.csv"))
    if (where / "grades.csv").exists():
        run.csv = course.csv_rows(where / "grades.csv")
    run.changes = Snapshot.take(course).changes_since(before)
    run.notes = {name: course.attack_notes(name) for name in attackers}
    return run


def describe(run: GradingRun) -> str:
    """What the attackers printed and scored, for the failure message and the report."""
    lines = []
    for name in run.notes:
        scores = [r[1].get(name, {}).get("total") for r in run.runs]
        lines.append(f"{name}: scores {scores}; " + " | ".join(run.notes[name])[:500])
    return "\n".join(lines)


@pytest.fixture
def course(template, tmp_path) -> CourseCopy:
    return CourseCopy.clone(template, tmp_path / "course")
