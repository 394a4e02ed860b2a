"""Bad and dishonest submissions through nbgrader's real autograde, many learners in one run.

For every assignment in solutions/, the cases of tests/adversarial.py (stub untouched,
exception, wrong shape and dtype, NaN, None, list, endless loop, sys.exit, os._exit,
an always-equal object, patched numpy/builtins, patched and shadowed checks, an edited and a
deleted test cell, a duplicated and a split answer cell, hard-coded visible answers,
megabytes of output) are graded together with a control learner in ONE autograde run.
The broken function's test cells score 0, every other test cell keeps full marks, the
run finishes for everyone, and the feedback shows no hidden-test code.
"""
from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from adversarial import HIDDEN_BEGIN, cases, graded_cells
from nbgrader_course import ROOT, TempCourse, read

ASSIGNMENTS = sorted(p.parent.name for p in (ROOT / "solutions").glob("*/*.ipynb"))
TIMEOUT = 6  # seconds per cell in these tests; an endless loop costs this once
ARTIFACTS = ROOT / "test-artifacts" / "grading"


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def graded(request, tmp_path_factory):
    assignment = request.param
    course = TempCourse(tmp_path_factory.mktemp(f"adversarial-{assignment}"))
    release = read(course.generate(assignment))
    solution = read(course.source_notebook(assignment))
    all_cases = cases(assignment, solution, release)
    for case in all_cases:
        course.submit(case.learner, assignment, case.notebook)
    course.autograde(assignment, f"--SandboxExecute.timeout={TIMEOUT}")
    course.nbgrader("generate_feedback", assignment, "--force")
    return assignment, course, solution, all_cases


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
    assignment, course, solution, all_cases = graded
    tests = graded_cells(solution)
    total = sum(tests.values())
    rows, problems = [], []
    for case in all_cases:
        scores = course.scores(assignment, case.learner)
        assert set(scores) == set(tests), f"{case.learner}: graded cells {sorted(scores)} != {sorted(tests)}"
        for grade_id, points in tests.items():
            expected = 0.0 if grade_id in case.loses else points
            if scores[grade_id][0] != expected:
                problems.append(f"{case.learner} ({case.what}): {grade_id} scored {scores[grade_id][0]}, "
                                f"expected {expected}")
        messages = seen_messages(autograded(course, case.learner, assignment), case.loses)
        for grade_id in case.loses:
            if not messages.get(grade_id):
                problems.append(f"{case.learner}: no failure message in {grade_id}")
        message = next(iter(messages.values()), "")
        rows.append(f"| {case.what} | `{case.function or '-'}` | {sum(s for s, _ in scores.values()):g} / {total:g} "
                    f"| {', '.join(sorted(case.loses)) or 'none'} | {message} |")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    table = "\n".join(["| submission | function | score | cells at 0 | message the learner saw |",
                       "|---|---|---|---|---|", *rows])
    (ARTIFACTS / f"adversarial_{assignment}.md").write_text(table + "\n")
    print(f"\n{assignment}\n{table}")
    assert not problems, "\n".join(problems)


@pytest.mark.slow
def test_messages_say_what_happened(graded):
    assignment, course, solution, all_cases = graded
    wanted = {"stub-untouched": "not written yet", "exception": "raised ValueError", "wrong-shape": "shape",
              "wrong-dtype": "dtype", "nan": "NaN", "none": "None", "list": "list",
              "endless-loop": "did not finish within", "sys-exit": "sys.exit()", "os-exit": "stopped the Python process",
              "always-equal": "not a number or a NumPy array"}
    for case in all_cases:
        if case.learner in wanted:
            messages = seen_messages(autograded(course, case.learner, assignment), case.loses)
            assert any(wanted[case.learner] in m for m in messages.values()), (case.learner, messages)


@pytest.mark.slow
def test_hard_coded_answers_pass_the_visible_test_and_fail_the_hidden_ones(graded):
    assignment, course, solution, all_cases = graded
    case = next(c for c in all_cases if c.learner == "hard-coded")
    notebook = autograded(course, "hard-coded", assignment)
    first_test = min(case.loses, key=lambda t: [c.metadata.get("nbgrader", {}).get("grade_id")
                                                for c in notebook.cells].index(t))
    cell = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == first_test)
    printed = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
    assert printed.startswith("PASSED"), printed  # the visible test was fooled...
    assert "NOT YET" in printed  # ...the hidden tests were not


@pytest.mark.slow
def test_edited_deleted_and_duplicated_cells_are_reported_to_the_instructor(graded):
    assignment, course, solution, all_cases = graded
    from nbgrader.api import Gradebook

    reported = {}
    for path in (course.root / "grading" / "integrity" / assignment).glob("*.json"):
        report = json.loads(path.read_text())
        reported[report["student"]] = report["findings"]
    with Gradebook(f"sqlite:///{course.root / 'grading' / 'gradebook.db'}", "learning-from-mistakes") as gradebook:
        for case in all_cases:
            findings = reported[case.learner]
            flagged = gradebook.find_submission(assignment, case.learner).notebooks[0].flagged
            if case.integrity:
                assert findings and flagged, (case.learner, findings, flagged)
            elif case.learner != "stub-untouched":
                assert not findings and not flagged, (case.learner, findings)
    edited = next(c for c in all_cases if c.learner == "edited-test")
    assert any("edited" in f["problem"] for f in reported["edited-test"]), reported["edited-test"]
    assert any("deleted" in f["problem"] for f in reported["deleted-test"]), reported["deleted-test"]
    assert edited.loses


@pytest.mark.slow
def test_megabytes_of_output_are_trimmed(graded):
    assignment, course, solution, all_cases = graded
    notebook = autograded(course, "megabytes", assignment)
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
    assignment, course, solution, all_cases = graded
    from nbconvert import HTMLExporter

    lines = hidden_lines(solution)
    assert lines, "the assignment has no hidden tests"
    # The search works: the instructor's autograded notebook, exported as HTML, shows them all.
    control = HTMLExporter().from_notebook_node(autograded(course, "control", assignment))[0]
    assert all(line in visible_text(control) for line in lines)
    pages = list((course.root / "grading" / "feedback").glob(f"*/{assignment}/*.html"))
    assert len(pages) == len(all_cases)
    for page in pages:
        text = visible_text(page.read_text())
        leaked = [line for line in lines if line in text]
        assert not leaked, f"{page}: hidden test code in the feedback: {leaked}"
        assert "hidden tests ran here" in text
        assert re.search(r"Score: [\d.]+ / [\d.]+", text), "no score in the feedback"
    wrong = visible_text(next(p for p in pages if p.parts[-3] == "nan").read_text())
    assert "NaN" in wrong  # the learner's actionable message is there
