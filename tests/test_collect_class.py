"""A mixed class end to end (folders, a zip, Canvas, Moodle in folders and flat), through the
instructor's commands: every learner of the corpus in ``collect_corpus`` ends in grades.csv with
the score their answers earn, or 0 with the reason in ``flags``.

    python3 course.py grade release --assignment 01_loss
    python3 course.py grade collect <each hand-in>      (and an older Canvas export last)
    python3 course.py grade autograde --assignment 01_loss
    python3 course.py grade export
"""
from __future__ import annotations

import csv
import shutil
import subprocess
import sys

import nbformat
import pytest

from collect_corpus import OLD, _write, _zip, answered, build_class
from nbgrader_course import ROOT

ARTIFACTS = ROOT / "test-artifacts" / "collect"
# Stands in for a bug of nbgrader's that stops it on one learner ("crash"): the others must
# still be graded, that learner must still get a row, and autograde must still exit 0.
CRASH = """
from nbgrader.preprocessors import NbGraderPreprocessor


class CrashOnOneLearner(NbGraderPreprocessor):
    def preprocess(self, nb, resources):
        if resources["nbgrader"]["student"] == "crash":
            raise RuntimeError("a grader bug")
        return nb, resources


c.Autograde.sanitize_preprocessors = [CrashOnOneLearner, *c.Autograde.sanitize_preprocessors]
"""


def grade(course, *args, ok=True):
    result = subprocess.run([sys.executable, str(ROOT / "course.py"), "grade", *args, "--course", str(course)],
                            capture_output=True, text=True, timeout=1800)
    if ok:
        assert result.returncode == 0, f"grade {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.mark.slow
def test_a_mixed_class_is_collected_and_graded_with_nobody_lost(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    shutil.copytree(ROOT / "solutions", course / "solutions")
    shutil.copytree(ROOT / "notebooks", course / "notebooks")
    config = (ROOT / "nbgrader_config.py").read_text()
    (course / "nbgrader_config.py").write_text(config + "\nc.CollectLayout.max_file_bytes = 3_000_000\n" + CRASH)
    grade(course, "release", "--assignment", "01_loss")
    hand_ins, expected, variants, skipped = build_class(course, tmp_path / "hand-ins")
    _write(hand_ins[0] / "crash" / "01_loss.ipynb", nbformat.writes(answered(course)).encode())
    expected["crash"] = (0.0, "nbgrader could not grade it")
    variants["grading: nbgrader fails on this one learner"] = "crash"
    printed = []
    for hand_in in hand_ins:
        result = grade(course, "collect", str(hand_in), "--assignment", "01_loss")
        printed.append(f"$ grade collect {hand_in.name}\n{result.stdout}")
        assert result.stdout.count("\ncollect: ") == 1 or result.stdout.startswith("collect: ")
    summary = "\n".join(printed)
    for phrase in skipped:
        assert phrase in summary, (phrase, summary)
    assert "kept apart" in summary and "Ann_Lee_2001" in summary, summary
    assert not (tmp_path / "hand-ins" / "escaped.ipynb").exists() and not (tmp_path / "escaped.ipynb").exists()

    # An older Canvas export, collected last, replaces nobody's newer submission.
    older = tmp_path / "canvas-older.zip"
    _zip([("leeann_1003_4001_01_loss.ipynb", (course / "notebooks/01_loss/01_loss.ipynb").read_bytes(), OLD)], older)
    result = grade(course, "collect", str(older), "--assignment", "01_loss")
    assert "collect: 1 learners, 1 files skipped" in result.stdout and "not replacing it" in result.stdout, result.stdout
    printed.append(f"$ grade collect {older.name}\n{result.stdout}")

    result = grade(course, "autograde", "--assignment", "01_loss")
    printed.append(f"$ grade autograde\n{result.stdout}")
    grade(course, "export", "--output", str(tmp_path / "grades.csv"))
    rows = {row["student"]: row for row in csv.DictReader(open(tmp_path / "grades.csv", encoding="utf-8"))}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "class-summary.txt").write_text("\n".join(printed))
    shutil.copy(tmp_path / "grades.csv", ARTIFACTS / "grades.csv")
    table = [f"{variant:<80} {who:<22} {rows[who]['score'] if who in rows else '-':>5} "
             f"{rows[who]['flags'][:90] if who in rows else ''}" for variant, who in variants.items()]
    (ARTIFACTS / "corpus-table.txt").write_text("\n".join(table) + "\n")
    assert len(variants) >= 30
    wrong = []
    for who, (score, flag) in expected.items():
        row = rows.get(who)
        if row is None or float(row["score"]) != score or (flag not in row["flags"] if flag else row["flags"]):
            wrong.append((who, score, flag, row and (row["score"], row["flags"])))
    assert not wrong, "\n".join(map(str, wrong)) + "\n" + summary
    assert set(rows) == set(expected), set(rows) ^ set(expected)
