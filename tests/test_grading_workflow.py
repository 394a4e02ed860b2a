"""The instructor's workflow end to end, through the documented commands:

    python3 course.py grade release
    python3 course.py grade collect submissions.zip
    python3 course.py grade autograde --jobs 2
    python3 course.py grade feedback
    python3 course.py grade export --output grades.csv
"""
from __future__ import annotations

import csv
import shutil
import subprocess
import sys
import zipfile

import nbformat
import pytest

from nbgrader_course import ROOT, isolation_args, load_mistakes, replace_cell_source
from test_grading_adversarial import hidden_lines, visible_text

ASSIGNMENTS = sorted(p.parent.name for p in (ROOT / "solutions").glob("*/*.ipynb"))
ARTIFACTS = ROOT / "test-artifacts" / "grading"


def grade(course, *args):
    if args[0] == "autograde":
        args = (*args, *isolation_args("course.py"))
    result = subprocess.run([sys.executable, str(ROOT / "course.py"), "grade", *args, "--course", str(course)],
                            capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, f"grade {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def first_test_cell(notebook):
    return next(c for c in notebook.cells
                if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata["nbgrader"].get("solution"))


@pytest.mark.slow
def test_release_collect_autograde_feedback_export(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    shutil.copytree(ROOT / "solutions", course / "solutions")
    shutil.copy(ROOT / "nbgrader_config.py", course)

    grade(course, "release")
    expected = {}  # (student, assignment) -> what must show in the CSV
    archive = tmp_path / "submissions.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for assignment in ASSIGNMENTS:
            name = f"{assignment}.ipynb"
            solution = nbformat.read(course / "solutions" / assignment / name, as_version=4)
            release = nbformat.read(course / "notebooks" / assignment / name, as_version=4)
            answer_id, mistake = next(iter(load_mistakes(assignment).items()))
            tampered = replace_cell_source(solution, answer_id, mistake["source"])
            edited = first_test_cell(tampered).metadata["nbgrader"]["grade_id"]
            tampered = replace_cell_source(tampered, edited, "assert True")
            bundle.writestr(f"alice/{name}", nbformat.writes(solution))
            bundle.writestr(f"bob/Downloads/{name}", nbformat.writes(release))
            bundle.writestr(f"carol/{name}", nbformat.writes(tampered))
            expected[("alice", assignment)] = ("full", set())
            expected[("bob", assignment)] = ("zero", set())
            expected[("carol", assignment)] = ("edited", set(mistake["loses"]) | {edited})

    assert "3 submission(s)" in grade(course, "collect", str(archive)) or len(ASSIGNMENTS) > 1
    # Every assignment at once over two workers, each worker's gradebook merged. That the
    # parallel grader scores exactly as one sequential nbgrader does is
    # benchmarks/autograde.py's check (tests/test_benchmark_scripts.py); the sequential
    # command itself grades every class of tests/security/.
    printed = grade(course, "autograde", "--jobs", "2")
    assert "FLAGGED carol" in printed, printed  # the instructor sees it in the command's output
    assert not (course / "grading" / ".parallel").exists()  # the workers' folders are cleaned up
    grade(course, "export", "--output", str(tmp_path / "grades.csv"))

    printed = grade(course, "feedback")
    for assignment in ASSIGNMENTS:
        lines = hidden_lines(nbformat.read(course / "solutions" / assignment / f"{assignment}.ipynb", as_version=4))
        for student in ("alice", "bob", "carol"):
            page = course / "grading" / "feedback" / student / assignment / f"{assignment}.html"
            text = visible_text(page.read_text())
            assert not [line for line in lines if line in text], f"{page} shows hidden tests"

    rows = list(csv.DictReader(open(tmp_path / "grades.csv")))
    assert {(r["student"], r["assignment"]) for r in rows} == set(expected)
    for row in rows:
        kind, zeros = expected[(row["student"], row["assignment"])]
        cells = {k.split("/", 1)[1]: v for k, v in row.items() if k.startswith(row["assignment"] + "/") and v != ""}
        if kind == "full":
            assert float(row["score"]) == float(row["max_score"]) > 0 and not row["flags"], row
        elif kind == "zero":
            assert float(row["score"]) == 0, row
        else:
            assert "locked cell edited" in row["flags"], row
            for cell, score in cells.items():
                assert (float(score) == 0) == (cell in zeros), (cell, row)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(tmp_path / "grades.csv", ARTIFACTS / "grades.csv")
