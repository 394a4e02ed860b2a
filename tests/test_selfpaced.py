"""Studying alone: `course.py progress`, `solution`, `reset` and what `open` says about newer notebooks.

The progress tests grade a real workspace (notebook 01 right, 02 half done, the rest as
released) through `python3 course.py progress`, with the instructor's hidden tests, and
search everything it shows for each line of those hidden tests.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from selfpaced_workspace import ROOT, answered, workspace

sys.path.insert(0, str(ROOT))
from course import sync_workspace  # noqa: E402
from course_utils.selfpaced import workspace as state_file  # noqa: E402
from course_utils.selfpaced.exercises import exercises, hidden_test_lines, read_notebook, redact  # noqa: E402
from course_utils.selfpaced.progress import NOT_STARTED, workspace_progress  # noqa: E402

NAMES = sorted(p.parent.name for p in (ROOT / "notebooks").glob("*/*.ipynb"))
# Notebook 02 half done: Parts A and B right, Part C written but wrong (it returns the start
# only), Part D untouched.
WRONG_DESCENT = ("def gradient_descent(df, w0, lr, n_steps):\n"
                 "    return np.array([w0])  # forgot the loop\n")


def course(*args: str, workspace_dir: Path, **kwargs) -> subprocess.CompletedProcess:
    env = dict(os.environ, COURSE_WORKSPACE=str(workspace_dir), COURSE_VENV=sys.prefix)
    return subprocess.run([sys.executable, str(ROOT / "course.py"), *args], env=env, capture_output=True,
                          text=True, timeout=600, **kwargs)


def half_done_workspace(where: Path) -> Path:
    ws = workspace(where, {"01_loss": None,
                           "02_gradient_descent": ["numerical-derivative-answer", "gradient-step-answer"]})
    path = ws / "02_gradient_descent" / "02_gradient_descent.ipynb"
    notebook = json.loads(path.read_text())
    for cell in notebook["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "gradient-descent-answer":
            cell["source"] = WRONG_DESCENT
    path.write_text(json.dumps(notebook, indent=1))
    return ws


def points(name: str) -> float:
    return sum(e.points for e in exercises(read_notebook(ROOT / "notebooks" / name / f"{name}.ipynb")))


def secret_lines() -> dict[str, list[str]]:
    """Each notebook's hidden-test lines that appear nowhere in the learner's copy (8 characters or more)."""
    found = {}
    for name in NAMES:
        release = (ROOT / "notebooks" / name / f"{name}.ipynb").read_text()
        visible = {line.strip() for cell in json.loads(release)["cells"] for line in "".join(cell["source"]).split("\n")}
        hidden = hidden_test_lines(read_notebook(ROOT / "solutions" / name / f"{name}.ipynb"))
        found[name] = [line for line in hidden if len(line) >= 8 and line not in visible]
    return found


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The half-done workspace after one `course.py progress` (its files before and after)."""
    ws = half_done_workspace(tmp_path_factory.mktemp("progress") / "workspace")
    before = {p: p.read_bytes() for p in ws.rglob("*.ipynb")}
    result = course("progress", workspace_dir=ws)
    return ws, before, result


@pytest.mark.slow
def test_progress_gives_the_points_of_01_right_and_02_half_done(graded):
    ws, _, result = graded
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().split("\n")
    total = sum(points(name) for name in NAMES)
    count = sum(len(exercises(read_notebook(ROOT / "notebooks" / n / f"{n}.ipynb"))) for n in NAMES)
    assert lines[-1] == f"progress: 6 of {total:g} points, 5 of {count} exercises passed"
    rows = {line.split()[0]: line for line in lines if line.split()[0] in NAMES}
    assert sorted(rows) == NAMES
    assert "4 / 4 points" in rows["01_loss"] and "3 passed, 0 not yet, 0 not started" in rows["01_loss"]
    assert "2 / 6 points" in rows["02_gradient_descent"]
    assert "2 passed, 1 not yet, 1 not started" in rows["02_gradient_descent"]
    for name in NAMES[2:]:
        assert f"0 / {points(name):g} points" in rows[name] and "0 passed, 0 not yet" in rows[name]
    # The check's message for the exercise not yet passed, under its notebook's row.
    at = lines.index(rows["02_gradient_descent"])
    assert lines[at + 1].strip().startswith("gradient_descent (2 points): NOT YET")


@pytest.mark.slow
def test_progress_never_shows_a_hidden_test_line(graded):
    ws, _, result = graded
    page = (ws / "progress.html").read_text()
    shown = result.stdout + result.stderr
    lines = secret_lines()
    assert sum(map(len, lines.values())) > 100  # the search has something to find
    for name, hidden in lines.items():
        for line in hidden:
            assert line not in shown, f"{name}: hidden-test line in the output: {line}"
            assert line not in page, f"{name}: hidden-test line in progress.html: {line}"


@pytest.mark.slow
def test_progress_leaves_the_learners_notebooks_as_they_were(graded):
    ws, before, _ = graded
    assert {p: p.read_bytes() for p in ws.rglob("*.ipynb")} == before
    html = (ws / "progress.html").read_text()
    assert 'data-notebook="01_loss"' in html and "NOT YET" in html


def test_a_notebook_not_in_the_workspace_or_untouched_counts_zero_without_grading(tmp_path):
    ws = workspace(tmp_path / "ws", {})
    (ws / "03_chain_rule" / "03_chain_rule.ipynb").unlink()
    rows = workspace_progress(ROOT, ws, ["02_gradient_descent", "03_chain_rule"], isolation="none")
    assert [row.points for row in rows] == [0, 0]
    assert all(r.status == NOT_STARTED for row in rows for r in row.results)
    assert rows[1].note.startswith("not started")


def test_redact_hides_a_hidden_line_but_keeps_the_message():
    hidden = {"check_mse(mse, y_hat=secret_values, y=other)"}
    text = "NOT YET: mse is wrong\ncheck_mse(mse, y_hat=secret_values, y=other)\n  Likely cause: 1/N"
    shown = redact(text, hidden)
    assert "secret_values" not in shown
    assert "NOT YET: mse is wrong" in shown and "Likely cause: 1/N" in shown


# ---- solution ---------------------------------------------------------------------

@pytest.mark.slow
def test_solution_is_shown_once_the_answer_passes(graded):
    ws, _, _ = graded
    result = course("solution", "01_loss", "mse", workspace_dir=ws, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Reference solution:" in result.stdout
    assert "np.mean(squared_error(y_hat, y))" in result.stdout
    assert "Why it works:" in result.stdout
    assert "BEGIN SOLUTION" not in result.stdout


@pytest.mark.slow
def test_solution_of_an_answer_not_passed_needs_a_yes(graded):
    ws, _, _ = graded
    refused = course("solution", "02_gradient_descent", "gradient_descent", workspace_dir=ws,
                     stdin=subprocess.DEVNULL)
    assert refused.returncode != 0
    assert "not passed yet" in refused.stdout and "--yes" in refused.stdout + refused.stderr
    assert "Reference solution:" not in refused.stdout
    shown = course("solution", "02_gradient_descent", "gradient_descent", "--yes", workspace_dir=ws)
    assert shown.returncode == 0 and "Reference solution:" in shown.stdout
    assert "def gradient_descent" in shown.stdout
    # The whole notebook: what passed is shown, what did not is not.
    notebook = course("solution", "02_gradient_descent", workspace_dir=ws, stdin=subprocess.DEVNULL)
    assert notebook.returncode == 0, notebook.stderr
    assert "def numerical_derivative" in notebook.stdout and "def gradient_step" in notebook.stdout
    assert "def gradient_descent" not in notebook.stdout and "def pick_learning_rates" not in notebook.stdout


@pytest.mark.slow
@pytest.mark.parametrize("answer, shown", [("n\n", False), ("y\n", True)])
def test_solution_asks_once_at_a_terminal(graded, answer, shown):
    import pty

    ws, _, _ = graded
    primary, secondary = pty.openpty()
    try:
        os.write(primary, answer.encode())
        result = course("solution", "02_gradient_descent", "pick_learning_rates", workspace_dir=ws, stdin=secondary)
    finally:
        os.close(primary)
        os.close(secondary)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("[y/N]") == 1
    assert ("Reference solution:" in result.stdout) == shown


# ---- reset and newer versions ---------------------------------------------------------

def test_reset_keeps_the_learners_file_beside_a_fresh_copy(tmp_path):
    ws = tmp_path / "ws"
    sync_workspace(ROOT / "notebooks", ws)
    mine = ws / "01_loss" / "01_loss.ipynb"
    mine.write_text(json.dumps(answered("01_loss")))
    work = mine.read_bytes()
    result = course("reset", "01_loss", workspace_dir=ws)
    assert result.returncode == 0, result.stderr
    backups = sorted((ws / "01_loss").glob("01_loss.backup-*.ipynb"))
    assert len(backups) == 1 and backups[0].read_bytes() == work
    assert backups[0].name in result.stdout
    assert mine.read_bytes() == state_file.placed_bytes(ROOT / "notebooks" / "01_loss" / "01_loss.ipynb")
    # A second reset keeps the first backup too.
    state_file.reset(ROOT / "notebooks", ws, "01_loss", now=0)
    assert len(list((ws / "01_loss").glob("01_loss.backup-*.ipynb"))) == 2


def _release(where: Path, text: str) -> Path:
    (where / "01_a").mkdir(parents=True, exist_ok=True)
    (where / "01_a" / "01_a.ipynb").write_text(json.dumps({"cells": [{"cell_type": "markdown", "id": "t",
                                                                       "metadata": {}, "source": text}],
                                                            "metadata": {"language_info": {"name": "python"}},
                                                            "nbformat": 4, "nbformat_minor": 5}))
    return where


def test_a_newer_release_replaces_an_untouched_copy_and_names_a_started_one(tmp_path):
    release, ws = _release(tmp_path / "release", "first"), tmp_path / "ws"
    (release / "02_b").mkdir()
    (release / "02_b" / "02_b.ipynb").write_text((release / "01_a" / "01_a.ipynb").read_text())
    sync_workspace(release, ws)
    (ws / "02_b" / "02_b.ipynb").write_text("my work")
    _release(release, "second")
    (release / "02_b" / "02_b.ipynb").write_text((release / "01_a" / "01_a.ipynb").read_text())
    state = state_file.load_state(ws)
    assert state_file.refresh_untouched(release, ws, state) == ["01_a/01_a.ipynb"]
    assert "second" in (ws / "01_a" / "01_a.ipynb").read_text()
    assert state_file.outdated_started(release, ws, state) == ["02_b/02_b.ipynb"]
    assert (ws / "02_b" / "02_b.ipynb").read_text() == "my work"
    assert state_file.last_worked_on(release, ws, state) == "02_b/02_b.ipynb"


@pytest.mark.slow
def test_open_says_which_started_notebook_has_a_newer_version(tmp_path):
    ws = tmp_path / "ws"
    assert course("open", "--version", workspace_dir=ws).returncode == 0
    started = ws / "03_chain_rule" / "03_chain_rule.ipynb"
    started.write_text(json.dumps(answered("03_chain_rule", ["chain-forward-answer"])))
    state = state_file.load_state(ws)
    state["placed"]["03_chain_rule/03_chain_rule.ipynb"]["release"] = "0" * 64  # copied from an older release
    state_file.save_state(ws, state)
    result = course("open", "--version", workspace_dir=ws)
    assert result.returncode == 0, result.stderr
    said = [line for line in result.stdout.split("\n") if "newer version" in line]
    assert len(said) == 1 and "03_chain_rule" in said[0] and "course.py reset 03_chain_rule" in said[0]
    assert "opens 03_chain_rule/03_chain_rule.ipynb" in result.stdout  # the notebook last worked on
    assert (ws / "progress.ipynb").exists()


def test_release_notebooks_say_what_the_kernel_reports_but_its_version():
    for name in NAMES:
        notebook = read_notebook(ROOT / "notebooks" / name / f"{name}.ipynb")
        assert notebook["metadata"]["language_info"] == state_file.LANGUAGE_INFO
        placed = json.loads(state_file.placed_bytes(ROOT / "notebooks" / name / f"{name}.ipynb"))
        assert placed["metadata"]["language_info"]["version"] == sys.version.split()[0]


@pytest.mark.slow
def test_progress_grades_again_only_the_notebook_that_changed(graded, tmp_path):
    import shutil
    import time

    ws = tmp_path / "workspace"
    shutil.copytree(graded[0], ws)  # with the cache of the first run
    start = time.perf_counter()
    rows = workspace_progress(ROOT, ws)
    unchanged = time.perf_counter() - start
    assert [row.points for row in rows[:2]] == [4, 2] and unchanged < 2, unchanged
    path = ws / "02_gradient_descent" / "02_gradient_descent.ipynb"
    path.write_text(json.dumps(answered("02_gradient_descent")))
    rows = workspace_progress(ROOT, ws, ["02_gradient_descent"])
    assert rows[0].points == 6
    cache = json.loads((ws / ".course" / "progress-cache.json").read_text())
    assert sorted(cache) == ["01_loss", "02_gradient_descent"]  # grading 02 alone kept 01's entry


@pytest.mark.slow
def test_progress_catches_a_slip_only_the_hidden_tests_see(tmp_path):
    """`len(y_hat)` passes 01's visible check (1-D) and fails the hidden 2-D and 3-D cases."""
    from course_utils.feedback import CheckFailed  # noqa: F401 (the visible check raises it on failure)
    from course_utils.checks.loss import check_mse_grad
    from course_utils.selfpaced.progress import NOT_YET, html_table, text_lines
    import numpy as np

    slip = "def mse_grad(y_hat, y):\n    return 2 * (y_hat - y) / len(y_hat)\n"
    namespace = {"np": np}
    exec(slip, namespace)
    check_mse_grad(namespace["mse_grad"], y_hat=np.array([1.0, 2.0, 3.0]), y=np.array([1.0, 0.0, 6.0]))
    ws = workspace(tmp_path / "ws", {"01_loss": None})
    path = ws / "01_loss" / "01_loss.ipynb"
    notebook = json.loads(path.read_text())
    for cell in notebook["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "mse-grad-answer":
            cell["source"] = slip
    path.write_text(json.dumps(notebook))
    row = workspace_progress(ROOT, ws, ["01_loss"], use_cache=False)[0]
    assert row.points == 2
    failed = [r for r in row.results if r.status == NOT_YET]
    assert [r.exercise.name for r in failed] == ["mse_grad"] and "NOT YET" in failed[0].message
    shown = "\n".join(text_lines([row])) + html_table([row])
    for line in secret_lines()["01_loss"]:
        assert line not in shown


@pytest.mark.slow
def test_a_notebook_that_cannot_be_read_counts_zero_and_says_why(tmp_path):
    ws = workspace(tmp_path / "ws", {})
    (ws / "01_loss" / "01_loss.ipynb").write_text('{"cells": [')  # cut off while saving
    row = workspace_progress(ROOT, ws, ["01_loss"], use_cache=False)[0]
    assert row.points == 0 and row.note.startswith("could not be graded: ")
    assert all(r.status == NOT_STARTED for r in row.results)
