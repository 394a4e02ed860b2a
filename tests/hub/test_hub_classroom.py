"""A class on JupyterHub, end to end: nbgrader's exchange with real accounts in Chromium.

One instructor and two learners, system accounts made with classroom/add_*.sh, log in
through the hub's PAM login page of classroom/jupyterhub_config.py. The instructor
releases 01_loss; each learner fetches it in the Assignment List, types answers into
JupyterLab (A all right, B with the factor 2 missing from ``mse_grad``) and submits
there; the instructor collects, autogrades with the course's grading, generates and
releases feedback; each learner fetches the feedback in the Assignment List and reads
their score; the exported CSV holds both. Learners see no instructor tool; the
instructor sees formgrader and its gradebook.
"""
from __future__ import annotations

import csv
import json
import os
import pwd
import re
import shutil
import sys
import time
from pathlib import Path

import pytest

from hub_harness import ROOT, Classroom, proxy_command

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.hub]

ASSIGNMENT = "01_loss"
NOTEBOOK = f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
RIGHT = {  # what a learner types into each answer cell (the solutions of solutions/01_loss)
    "def squared_error": "def squared_error(y_hat, y):\n    return (y - y_hat) ** 2",
    "def mse": "def mse(y_hat, y):\n    return float(np.mean(squared_error(y_hat, y)))",
    "def mse_grad": "def mse_grad(y_hat, y):\n    return 2 * (y_hat - y) / y_hat.size",
}
SLIP = dict(RIGHT, **{"def mse_grad": "def mse_grad(y_hat, y):\n    return (y_hat - y) / y_hat.size"})
SLIP_MESSAGE = "the factor 2 from differentiating the square is missing"
INSTRUCTOR_TOOLS = ("Formgrader", "Course List", "Create assignment")


def why_not() -> str | None:
    """The one-line reason this machine cannot run the class, or None."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "needs root (it creates system accounts), as in CI"
    for tool in ("useradd", "userdel", "chpasswd", "runuser"):
        if not shutil.which(tool):
            return f"no {tool} on this machine"
    if shutil.which("jupyterhub", path=str(Path(sys.executable).parent)) is None:
        return "jupyterhub not installed (the `hub` extra; `python3 course.py test` installs it)"
    if proxy_command() is None:
        return "no configurable-http-proxy (`python3 course.py test` installs it with npm)"
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "browser"))
    from browser_harness import chromium_missing

    return chromium_missing()


def hidden_test_lines() -> list[str]:
    """Every line between BEGIN and END HIDDEN TESTS in the instructor's source."""
    source = json.loads((ROOT / "solutions" / NOTEBOOK).read_text())
    lines, hidden = [], False
    for cell in source["cells"]:
        for line in "".join(cell["source"]).splitlines():
            if "BEGIN HIDDEN TESTS" in line:
                hidden = True
            elif "END HIDDEN TESTS" in line:
                hidden = False
            elif hidden and line.strip():
                lines.append(line.strip())
    assert lines, "01_loss should have hidden tests"
    return lines


def grade(room: Classroom, instructor: str, course: Path) -> str:
    """The instructor's autograde, with the course's grading (the one place it is called).

    Confined with bubblewrap where the instructor's account can start a sandbox (see
    course_utils/grading/confine.py); otherwise explicitly without isolation, the way
    `course.py grade autograde --unsafe-no-isolation` does, and the reason is printed.
    Returns how it graded: "bubblewrap" or "none".
    """
    probe = room.run_as(instructor, "python", "-c", "from course_utils.grading.confine import availability; "
                        "ok, why = availability(); print('ok' if ok else why)", cwd=course)
    confined = probe.stdout.strip() == "ok"
    extra = () if confined else ("--SandboxExecute.isolation=none",)
    if not confined:
        print(f"hub classroom: grading without isolation: {probe.stdout.strip()}")
    room.run_as(instructor, "nbgrader", "autograde", ASSIGNMENT, "--force", *extra, cwd=course, timeout=900)
    return "bubblewrap" if confined else "none"


@pytest.fixture
def classroom():
    reason = why_not()
    if reason:
        pytest.skip(reason)
    room = Classroom.create()
    try:
        yield room
    finally:
        room.close()
    assert not room.left_running, f"still running after the hub stopped: {room.left_running}"
    for name in room.users:
        with pytest.raises(KeyError):
            pwd.getpwnam(name)
    assert not room.state.exists()


@pytest.fixture
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed (the `browser` extra)")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "browser"))
    from browser_harness import launch_chromium

    with sync_api.sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


def learner_submits(lab, answers: dict[str, str]) -> None:
    lab.open_assignment_list()
    lab.click_in_list("released", ASSIGNMENT, "Fetch", then="fetched")
    lab.screenshot("assignment-list-fetched")
    lab.type_answers(NOTEBOOK, answers)
    lab.page.goto(lab.user_url("lab"))
    lab.page.wait_for_selector("#jp-main-dock-panel")
    lab.open_assignment_list()
    lab.click_in_list("fetched", ASSIGNMENT, "Submit", then="submitted")
    lab.screenshot("assignment-list-submitted")


def learner_reads_feedback(lab, room: Classroom) -> str:
    """Fetch Feedback in the Assignment List; return the text of the feedback page."""
    lab.page.goto(lab.user_url("lab"))
    lab.page.wait_for_selector("#jp-main-dock-panel")
    lab.open_assignment_list()
    lab.wait_for_item("submitted", ASSIGNMENT, text="feedback available to fetch")
    lab.click_in_list("submitted", ASSIGNMENT, "Fetch Feedback", then="submitted", text="view feedback")
    lab.screenshot("assignment-list-feedback-fetched")
    pages = sorted((room.home(lab.name) / ASSIGNMENT / "feedback").glob(f"*/{ASSIGNMENT}.html"))
    assert len(pages) == 1, f"{lab.name}: expected one fetched feedback page, found {pages}"
    relative = pages[0].relative_to(room.home(lab.name))
    lab.page.goto(lab.user_url(f"files/{relative}"))
    lab.page.wait_for_selector("text=Score")
    lab.screenshot("feedback")
    text = lab.page.inner_text("body")
    if SLIP_MESSAGE in text:  # the check's message where the points were lost
        lab.page.get_by_text(SLIP_MESSAGE).first.scroll_into_view_if_needed()
        lab.screenshot("feedback-slip")
    return text


def test_a_class_releases_submits_grades_and_returns_feedback_on_the_hub(classroom, browser):
    started = time.monotonic()
    room = classroom
    instructor = room.add("i", "instructor")
    alice, bob = room.add("a", "learner"), room.add("b", "learner")
    course = room.home(instructor) / "learning-from-mistakes"
    room.start()
    from lab_pages import LabSession

    sessions = []
    try:
        # ---- the instructor releases 01_loss (nbgrader's own commands) -------------------
        room.run_as(instructor, "nbgrader", "generate_assignment", ASSIGNMENT, "--force", cwd=course)
        room.run_as(instructor, "nbgrader", "release_assignment", ASSIGNMENT, cwd=course)
        # ---- learners: fetch, answer, submit, all in the Assignment List ----------------
        for name, answers, role in ((alice, RIGHT, "learner-a"), (bob, SLIP, "learner-b")):
            lab = LabSession(browser, room, name, role)
            sessions.append(lab)
            menu = lab.nbgrader_menu_items()
            assert "Assignment List" in menu, menu
            assert not [tool for tool in INSTRUCTOR_TOOLS if tool in menu], f"{role} sees {menu}"
            response = lab.page.request.get(lab.user_url("formgrader"))
            assert response.status == 404, f"{role}: formgrader answered {response.status}"
            learner_submits(lab, answers)
        # ---- the instructor collects, grades, returns feedback, exports ------------------
        room.run_as(instructor, "nbgrader", "collect", ASSIGNMENT, cwd=course)
        collected = sorted(p.name for p in (course / "grading" / "submitted").iterdir())
        assert collected == sorted([alice, bob])
        isolation = grade(room, instructor, course)
        records = [json.loads(path.read_text())["isolation"]
                   for path in (course / "grading" / "isolation" / ASSIGNMENT).glob("*.json")]
        assert records == [isolation] * 2, records
        room.run_as(instructor, "nbgrader", "generate_feedback", ASSIGNMENT, "--force", cwd=course)
        room.run_as(instructor, "nbgrader", "release_feedback", ASSIGNMENT, cwd=course)
        room.run_as(instructor, "nbgrader", "export", "--to", "grades.csv", cwd=course)
        # ---- learners fetch their feedback in the Assignment List ------------------------
        hidden = hidden_test_lines()
        texts = {}
        for lab in sessions:
            text = texts[lab.name] = learner_reads_feedback(lab, room)
            leaked = [line for line in hidden if line in text]
            assert not leaked, f"{lab.role}'s feedback shows hidden-test code: {leaked[:3]}"
        assert re.search(r"Score:\s*4(\.0)?\s*/\s*4", texts[alice]), texts[alice][:500]
        assert re.search(r"Score:\s*2(\.0)?\s*/\s*4", texts[bob]), texts[bob][:500]
        assert SLIP_MESSAGE in texts[bob]
        assert SLIP_MESSAGE not in texts[alice]
        # ---- the instructor: formgrader in their JupyterLab, and its gradebook -----------
        teacher = LabSession(browser, room, instructor, "instructor")
        sessions.append(teacher)
        menu = teacher.nbgrader_menu_items()
        assert "Formgrader" in menu and "Assignment List" in menu, menu
        # JupyterHub >= 4.1 forbids the iframe JupyterLab shows formgrader in; nbgrader's
        # documented way round is formgrader in its own browser tab.
        teacher.page.goto(teacher.user_url(f"formgrader/gradebook/{ASSIGNMENT}/{ASSIGNMENT}"))
        teacher.page.wait_for_selector("text=Submission #2")  # the table, names hidden at first
        teacher.page.click("#toggle_names")  # "Show All Names"
        teacher.page.wait_for_selector(f"text={alice}")
        gradebook = teacher.page.inner_text("body")
        assert bob in gradebook and "4 / 4" in gradebook and "2 / 4" in gradebook, gradebook
        teacher.screenshot("formgrader-gradebook")
        # ---- the exported grades -------------------------------------------------------
        with open(course / "grades.csv", newline="") as handle:
            rows = {row["student_id"]: row for row in csv.DictReader(handle)}
        assert set(rows) == {alice, bob}, rows
        assert float(rows[alice]["score"]) == float(rows[alice]["max_score"]) == 4.0
        assert float(rows[bob]["score"]) == 2.0
        print("\n" + (course / "grades.csv").read_text())
        print(f"hub classroom: {time.monotonic() - started:.0f} s end to end")
    except Exception:
        print(room.log_tail(6000))
        for lab in sessions:
            lab.screenshot("at-failure")
        raise
    finally:
        for lab in sessions:
            lab.close()
