"""Bad and dishonest submissions through nbgrader's real autograde, many learners in one run.

For every assignment in solutions/, the cases of tests/adversarial.py (stub untouched,
exception, wrong shape and dtype, NaN, None, list, endless loop, sys.exit, os._exit,
an always-equal object, patched numpy/builtins, patched and shadowed checks, an edited and a
deleted test cell, a duplicated and a split answer cell, hard-coded visible answers,
megabytes of output) are graded together with a control learner in ONE autograde run
(two workers), with the round trip's learners (tests/graded_assignment.py). Cases whose test
cells cannot interfere share a learner, to keep the run short.
The broken function's own test cells score 0, every test cell its changes cannot reach keeps
full marks, the run finishes for everyone, and the feedback shows no hidden-test code.
"""
from __future__ import annotations

import html
import json
import re

import pytest

from adversarial import HIDDEN_BEGIN, graded_cells
from nbgrader_course import ROOT, read

ASSIGNMENTS = sorted(p.parent.name for p in (ROOT / "solutions").glob("*/*.ipynb"))
ARTIFACTS = ROOT / "test-artifacts" / "grading"


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def graded(request, graded_assignment):
    """The assignment's course, graded once with the round trip's learners (tests/graded_assignment.py)."""
    shared = graded_assignment(request.param)
    return shared.assignment, shared.course, shared.solution, shared.adversarial


def autograded(course, learner, assignment):
    return read(next((course.root / "grading" / "autograded" / learner / assignment).glob("*.ipynb")))


def seen_messages(notebook, grade_ids) -> dict[str, str]:
    """grade_id -> the first line of the failure message the learner sees in that cell."""
    messages = {}
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in grade_ids:
            for output in cell.get("outputs", []):
                if output.output_type == "error":
                    messages[grade_id] = output.evalue.strip().split("\n")[0]
    return messages


@pytest.mark.slow
def test_each_case_loses_exactly_the_broken_functions_points(graded):
    assignment, course, solution, everyone = graded
    tests = graded_cells(solution)
    total = sum(tests.values())
    rows, problems = [], []
    for learner in everyone:
        scores = course.scores(assignment, learner.name)
        assert set(scores) == set(tests), f"{learner.name}: graded cells {sorted(scores)} != {sorted(tests)}"
        for grade_id, points in tests.items():
            if grade_id in learner.zero and scores[grade_id][0] != 0:
                problems.append(f"{learner.name}: {grade_id} scored {scores[grade_id][0]}, expected 0")
            if grade_id not in learner.zero | learner.free and scores[grade_id][0] != points:
                problems.append(f"{learner.name}: {grade_id} scored {scores[grade_id][0]}, expected {points}")
        messages = seen_messages(autograded(course, learner.name, assignment), learner.zero)
        for grade_id in learner.zero:
            if not messages.get(grade_id):
                problems.append(f"{learner.name}: no failure message in {grade_id}")
        learner_total = sum(s for s, _ in scores.values())
        for case in learner.cases or [None]:
            own = sorted(case.own, key=lambda t: list(tests).index(t)) if case else []
            seen = next((messages[t] for t in own if t in messages), "") if case and case.breaks else ""
            own_scores = ", ".join(f"{t} {scores[t][0]:g}/{tests[t]:g}" for t in own) or "-"
            rows.append(f"| {case.what if case else 'the solution (control)'} | `{case.function if case else '-'}` "
                        f"| {learner.name} ({learner_total:g}/{total:g}) | {own_scores} | {seen} |")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    table = "\n".join(["| submission | function | learner (total) | its test cells | message the learner saw |",
                       "|---|---|---|---|---|", *rows])
    (ARTIFACTS / f"adversarial_{assignment}.md").write_text(table + "\n")
    print(f"\n{assignment}\n{table}")
    assert not problems, "\n".join(problems)


def learner_with(everyone, key):
    learner = next(l for l in everyone if any(c.key == key for c in l.cases))
    return learner, next(c for c in learner.cases if c.key == key)


@pytest.mark.slow
def test_messages_say_what_happened(graded):
    """What the grading itself reports (a stub, an error, a loop, an exit) is worded the same in
    every notebook; a wrong value is described by that notebook's check, which names the function."""
    assignment, course, solution, everyone = graded
    process_level = {"stub": "not written yet", "exception": "raised ValueError",
                     "endless-loop": "did not finish within", "sys-exit": "sys.exit()",
                     "os-exit": "stopped the Python process"}
    for learner in everyone:
        messages = seen_messages(autograded(course, learner.name, assignment), learner.zero)
        for case in learner.cases:
            if not case.breaks:
                continue
            said = [messages[t] for t in case.own if t in messages]
            assert said and all(m.startswith("NOT YET") for m in said), (case.key, said)
            if case.key in process_level:
                assert any(process_level[case.key] in m for m in said), (case.key, said)
            elif case.function:
                assert any(case.function in m for m in said), (case.key, said)


@pytest.mark.slow
def test_hard_coded_answers_pass_the_visible_test_and_fail_the_hidden_ones(graded):
    assignment, course, solution, everyone = graded
    learner, case = learner_with(everyone, "hard-coded")
    notebook = autograded(course, learner.name, assignment)
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in notebook.cells]
    cell = notebook.cells[ids.index(min(case.own, key=ids.index))]
    printed = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
    failed = [o for o in cell.outputs if o.output_type == "error"]
    assert printed.startswith("PASSED"), printed  # the visible test was fooled...
    assert failed and failed[0].evalue.startswith("NOT YET"), failed  # ...the hidden tests were not
    assert "NOT YET" not in printed  # the message is shown once, as the cell's error, not printed besides


@pytest.mark.slow
def test_edited_deleted_and_duplicated_cells_are_reported_to_the_instructor(graded):
    assignment, course, solution, everyone = graded
    from nbgrader.api import Gradebook

    reported = {}
    for path in (course.root / "grading" / "integrity" / assignment).glob("*.json"):
        report = json.loads(path.read_text())
        reported[report["student"]] = report["findings"]
    with Gradebook(f"sqlite:///{course.root / 'grading' / 'gradebook.db'}", "learning-from-mistakes") as gradebook:
        for learner in everyone:
            findings = reported[learner.name]
            flagged = gradebook.find_submission(assignment, learner.name).notebooks[0].flagged
            if learner.integrity:
                assert findings and flagged, (learner.name, findings, flagged)
            elif learner.name != "stub-untouched":
                assert not findings and not flagged, (learner.name, findings)
    for key, word in [("edited-test", "edited"), ("deleted-test", "deleted"), ("duplicated-answer", "share"),
                      ("split-answer", "share")]:
        learner, case = learner_with(everyone, key)
        assert any(word in f["problem"] for f in reported[learner.name]), (key, reported[learner.name])


@pytest.mark.slow
def test_megabytes_of_output_are_trimmed(graded):
    assignment, course, solution, everyone = graded
    notebook = autograded(course, learner_with(everyone, "megabytes")[0].name, assignment)
    sizes = [len(json.dumps(cell.get("outputs", []))) for cell in notebook.cells]
    assert max(sizes) < 60_000, max(sizes)
    assert any("output trimmed" in json.dumps(cell.get("outputs", [])) for cell in notebook.cells)


def visible_text(page: str) -> str:
    """What a reader of an HTML page sees: tags removed, entities decoded."""
    page = re.sub(r"<style.*?</style>|<script.*?</script>", "", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def hidden_lines(solution) -> list[str]:
    """Every line of hidden-test code that is not also part of the visible notebook."""
    hidden, visible = [], set()
    for cell in solution.cells:
        inside = False
        for line in cell.source.split("\n"):
            if HIDDEN_BEGIN in line:
                inside = True
            elif "### END HIDDEN TESTS" in line:
                inside = False
            elif inside:
                hidden.append(line.strip())
            else:
                visible.add(line.strip())
    return [line for line in hidden if line and line not in visible]


@pytest.mark.slow
def test_feedback_shows_scores_and_messages_but_no_hidden_test_code(graded):
    assignment, course, solution, everyone = graded
    from nbconvert import HTMLExporter

    lines = hidden_lines(solution)
    assert lines, "the assignment has no hidden tests"
    # The search works: the instructor's autograded notebook, exported as HTML, shows them all.
    control = HTMLExporter().from_notebook_node(autograded(course, "control", assignment))[0]
    assert all(line in visible_text(control) for line in lines)
    pages = list((course.root / "grading" / "feedback").glob(f"*/{assignment}/*.html"))
    submitted = {p.parent.name for p in (course.root / "grading" / "submitted").glob(f"*/{assignment}")}
    assert {learner.name for learner in everyone} <= submitted  # the round trip's learners are graded here too
    assert len(pages) == len(submitted) and {page.parts[-3] for page in pages} == submitted
    for page in pages:
        text = visible_text(page.read_text())
        leaked = [line for line in lines if line in text]
        assert not leaked, f"{page}: hidden test code in the feedback: {leaked}"
        assert "hidden tests ran here" in text
        assert re.search(r"Score: [\d.]+ / [\d.]+", text), "no score in the feedback"
    for learner in everyone:  # each failure message the learner can act on is on their page
        page = visible_text(next(p for p in pages if p.parts[-3] == learner.name).read_text())
        for message in seen_messages(autograded(course, learner.name, assignment), learner.zero).values():
            assert message in page, (learner.name, message)
