"""One class graded through the whole workflow, and every promise of issue 13 checked on it.

    run = grade_class(course, {"m-attacker": notebook}, where)   # honest learners added around it
    assert not run.postcondition_failures({"m-attacker": 0.0}), describe(run)

``grade_class`` collects the class, grades it twice, writes feedback and exports, and
records what it saw: exit codes, scores, files changed outside ``grading/``, grading outputs
changed after the command ended, processes left running. The first run is the sequential
``grade autograde``, the second a regrade with ``--jobs 2`` (the class shared out over two
``nbgrader autograde`` workers, each with its own sandbox factory): every promise must hold
in both, so every attack is also tried on parallel grading and on a regrade.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from harness import CourseCopy, Result, Snapshot, end_processes, grading_state, processes_mentioning
from learners import FULL_MARKS, HONEST_BLANK, HONEST_CORRECT, honest_class

SECRET_NAME = "COURSE_INSTRUCTOR_SECRET"


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
            label = f"run {number} ({' '.join(RUNS[number - 1]) or 'sequential'})"
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


# The two autograde runs of every class: sequential, then a regrade over two workers.
RUNS = ((), ("--jobs", "2"))


def grade_class(course: CourseCopy, attackers: dict, where: Path, settle: float = 0.0, markers=()) -> GradingRun:
    """Collect honest learners and ``attackers``, autograde twice (:data:`RUNS`), feedback,
    export: everything recorded."""
    learners = {**honest_class(course), **attackers}
    collected = course.collect(learners, where / "submissions")
    before = Snapshot.take(course)
    run = GradingRun(course, learners, collect=collected)
    needles = (str(course.root), *markers)
    for autograde_args in RUNS:
        result = course.grade("autograde", "--assignment", "01_loss", *autograde_args)
        state = grading_state(course)
        if settle:
            time.sleep(settle)  # a detached process would act now
        leftovers = processes_mentioning(*needles)
        run.settled.append([k for k, v in grading_state(course).items() if state.get(k) != v])
        run.runs.append((result, course.grades(), state, leftovers))
        end_processes([pid for pid, _ in leftovers])
    run.feedback = course.grade("feedback", "--assignment", "01_loss")
    run.export = course.grade("export", "--output", str(where / "grades.csv"))
    if (where / "grades.csv").exists():
        run.csv = course.csv_rows(where / "grades.csv")
    run.changes = Snapshot.take(course).changes_since(before)
    run.notes = {name: course.attack_notes(name) for name in attackers}
    # The report of each attack (shown with -s, and in any failure): what it printed and scored.
    steps = [("collect", run.collect), *((f"autograde {n}", r[0]) for n, r in enumerate(run.runs, 1)),
             ("feedback", run.feedback), ("export", run.export)]
    seconds = ", ".join(f"{name} {step.seconds:.1f} s" for name, step in steps if step is not None)
    print(f"\n---- security: {', '.join(attackers)}\n{describe(run)}\n(wall: {seconds})", flush=True)
    return run


def describe(run: GradingRun) -> str:
    """What the attackers printed and scored, for the failure message and the report."""
    lines = []
    for name in run.notes:
        scores = [r[1].get(name, {}).get("total") for r in run.runs]
        lines.append(f"{name}: scores {scores}; " + " | ".join(run.notes[name])[:500])
    return "\n".join(lines)
