"""Grades out of the gradebook: the CSV an instructor exports and the terminal's score table."""
from __future__ import annotations

import csv
from pathlib import Path

from course_utils.grading.isolation_marks import CONFINED, isolation_of
from course_utils.grading.learners import roster_columns
from course_utils.grading.locked_cells import integrity_rows


def export_csv(db_url: str, course_id: str, root: Path, target) -> list[dict]:
    """One row per learner and assignment: total, maximum, each test cell, integrity flags and isolation.

    ``name``, ``platform`` and ``platform_id`` come from collect's class list (grading/learners.csv).
    ``isolation`` is ``bubblewrap`` (the learner's code ran confined), ``none`` (graded
    without isolation, on the instructor's explicit request) or ``unknown`` (no record).
    """
    from nbgrader.api import Gradebook, MissingEntry

    rows, cells, people = [], [], roster_columns(root)
    with Gradebook(db_url, course_id) as gradebook:
        flags = {}
        for row in integrity_rows(root):
            flags.setdefault((row["assignment"], row["student"]), []).append(f"{row['cell']}: {row['problem']}")
        # Sorted by name, not by the order the gradebook happened to learn them in, so
        # the same grades give the same file (however many workers graded them).
        students = sorted(gradebook.students, key=lambda s: s.id)
        for assignment in sorted(gradebook.assignments, key=lambda a: a.name):
            for notebook in assignment.notebooks:
                for cell in notebook.grade_cells:
                    if f"{assignment.name}/{cell.name}" not in cells:
                        cells.append(f"{assignment.name}/{cell.name}")
            for student in students:
                try:
                    submission = gradebook.find_submission(assignment.name, student.id)
                except MissingEntry:
                    continue
                row = {"student": student.id, **people.get(student.id, {}), "assignment": assignment.name,
                       "score": submission.score,
                       "max_score": submission.max_score,
                       "flags": " | ".join(flags.get((assignment.name, student.id), [])),
                       "isolation": isolation_of(root, assignment.name, student.id)[0]}
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        row[f"{assignment.name}/{grade.name}"] = grade.score
                rows.append(row)
    columns = ["student", "name", "platform", "platform_id", "assignment", "score", "max_score", *cells, "flags",
               "isolation"]
    writer = csv.DictWriter(target, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return rows


def score_table(root: Path, assignment: str, course_id: str = "learning-from-mistakes") -> list[str]:
    """Lines for the terminal: each learner's score on ``assignment``, cell by cell.

    A line ends in ``FLAGGED`` when locked cells were edited, and in ``NOT ISOLATED`` or
    ``ISOLATION UNKNOWN`` when the learner's code did not (or may not) run confined.
    """
    from nbgrader.api import Gradebook, MissingEntry

    lines = []
    with Gradebook(f"sqlite:///{Path(root) / 'grading' / 'gradebook.db'}", course_id) as gradebook:
        for student in sorted(gradebook.students, key=lambda s: s.id):
            try:
                submission = gradebook.find_submission(assignment, student.id)
            except MissingEntry:
                continue
            cells = ", ".join(f"{g.name} {g.score:g}/{g.max_score:g}" for n in submission.notebooks for g in n.grades)
            flag = "  FLAGGED" if any(n.flagged for n in submission.notebooks) else ""
            isolation = isolation_of(root, assignment, student.id)[0]
            if isolation != CONFINED:
                flag += "  NOT ISOLATED" if isolation == "none" else "  ISOLATION UNKNOWN"
            lines.append(f"  {student.id:<24} {submission.score:g} / {submission.max_score:g}   ({cells}){flag}")
    return lines
