"""Grades made without isolation are marked: the CSV's isolation column and the score table."""
from __future__ import annotations

import csv
import io
import json

from course_utils.grading.export import export_csv, score_table
from course_utils.grading.isolation_marks import isolation_of, unconfined_rows


def fabricate_course(root):
    """A gradebook with alice, bob, carol and dave graded on 01_loss, and isolation files for three of them."""
    from nbgrader.api import Gradebook

    (root / "grading").mkdir(parents=True)
    with Gradebook(f"sqlite:///{root / 'grading' / 'gradebook.db'}", "learning-from-mistakes") as book:
        book.add_assignment("01_loss")
        book.add_notebook("01_loss", "01_loss")
        book.add_grade_cell("mse-test", "01_loss", "01_loss", max_score=2, cell_type="code")
        for student in ("alice", "bob", "carol", "dave"):
            book.add_student(student)
            book.add_submission("01_loss", student)
    folder = root / "grading" / "isolation" / "01_loss"
    folder.mkdir(parents=True)
    (folder / "alice.json").write_text(json.dumps({"isolation": "bubblewrap"}))
    (folder / "bob.json").write_text(json.dumps({"isolation": "none", "reason": "grade autograde --unsafe"}))
    (folder / "dave.json").write_text("{not json")
    # carol has no file: graded before isolation was recorded


def test_csv_has_an_isolation_column_from_the_isolation_files(tmp_path):
    fabricate_course(tmp_path)
    out = io.StringIO()
    export_csv(f"sqlite:///{tmp_path / 'grading' / 'gradebook.db'}", "learning-from-mistakes", tmp_path, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert list(rows[0])[-1] == "isolation"
    assert {row["student"]: row["isolation"] for row in rows} == {
        "alice": "bubblewrap", "bob": "none", "carol": "unknown", "dave": "unknown"}


def test_score_table_marks_every_submission_not_graded_confined(tmp_path):
    fabricate_course(tmp_path)
    lines = {line.split()[0]: line for line in score_table(tmp_path, "01_loss")}
    assert "ISOLATED" not in lines["alice"] and "UNKNOWN" not in lines["alice"]
    assert lines["bob"].endswith("NOT ISOLATED")
    assert lines["carol"].endswith("ISOLATION UNKNOWN") and lines["dave"].endswith("ISOLATION UNKNOWN")


def test_unconfined_rows_give_the_reason_for_the_flagged_line(tmp_path):
    fabricate_course(tmp_path)
    assert unconfined_rows(tmp_path, "01_loss", ["alice", "bob", "carol"]) == [
        {"student": "bob", "assignment": "01_loss", "reason": "grade autograde --unsafe"}]
    assert isolation_of(tmp_path, "01_loss", "dave") == ("unknown", "dave.json is not valid JSON")
