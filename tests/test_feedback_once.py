"""A failed check reads as feedback: its message once, no traceback of course code, and the
cell still scores 0 — in a real IPython kernel (what JupyterLab shows), in nbgrader's
autograde (the grading sandbox) and in the feedback page it generates."""
from __future__ import annotations

import html
import re

import nbformat
import pytest

from nbgrader_course import TempCourse, read, replace_cell_source

SLIPPED_MSE = '''def mse(y_hat, y):
    return float(np.sum(squared_error(y_hat, y)) / len(y))
'''
MESSAGE = ("NOT YET: mse(y_hat, y) (the returned value): expected 2, got 6.\n"
           "  Likely cause: the result is 3 times too large: the sum was divided by len(y) = 2, the number of rows; "
           "the mean divides by every element, N = y.size = 6.")
NOISE = ("Traceback", "course_utils", "feedback.py", "skipping hidden", "__tracebackhide__", "File \"")


def _slipped_solution(source_notebook):
    return replace_cell_source(read(source_notebook), "mse-answer", SLIPPED_MSE)


def _text_of(outputs) -> str:
    parts = []
    for output in outputs:
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type == "error":
            parts.append("\n".join(output.traceback))
    return "\n".join(parts)


@pytest.mark.slow
def test_in_a_real_kernel_the_error_output_is_the_message_alone(tmp_path):
    """nbclient runs the notebook in an IPython kernel, as JupyterLab does; the check cell's
    error output carries the message as its whole traceback."""
    from nbclient import NotebookClient

    from nbgrader_course import ROOT

    notebook = _slipped_solution(ROOT / "solutions" / "01_loss" / "01_loss.ipynb")
    NotebookClient(notebook, timeout=60, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(ROOT)}}).execute()
    cell = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "mse-test")
    errors = [o for o in cell.outputs if o.output_type == "error"]
    assert len(errors) == 1 and errors[0].ename == "CheckFailed"
    assert errors[0].traceback == MESSAGE.split("\n")
    shown = _text_of(cell.outputs)
    assert shown.count("NOT YET") == 1 and MESSAGE in shown
    for noise in NOISE:
        assert noise not in shown, noise


@pytest.mark.slow
def test_autograde_scores_the_cell_0_and_the_feedback_page_shows_the_message_once(tmp_path):
    course = TempCourse(tmp_path)
    course.generate("01_loss")
    course.submit("ada", "01_loss", _slipped_solution(course.source_notebook("01_loss")))
    course.autograde("01_loss")

    scores = course.scores("01_loss", "ada")
    assert scores["mse-test"][0] == 0 and scores["mse-test"][1] > 0
    assert scores["squared-error-test"][0] == scores["squared-error-test"][1]  # the rest still counts

    graded = read(course.root / "grading" / "autograded" / "ada" / "01_loss" / "01_loss.ipynb")
    cell = next(c for c in graded.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "mse-test")
    shown = _text_of(cell.outputs)
    assert shown.count("NOT YET") == 1 and MESSAGE in shown, shown
    for noise in NOISE:
        assert noise not in shown, noise

    course.nbgrader("generate_feedback", "01_loss", "--force")
    page = (course.root / "grading" / "feedback" / "ada" / "01_loss" / "01_loss.html").read_text()
    body = re.sub(r"<(style|script)[^>]*>.*?</\1>", "", page, flags=re.S)  # the page's CSS names "Traceback"
    text = html.unescape(re.sub(r"<[^>]+>", "", body))
    assert text.count("NOT YET: mse(y_hat, y)") == 1, "the message must appear once on the page"
    outputs = [html.unescape(block) for block in
               re.findall(r'<div class="output_subarea[^"]*">\s*<pre>(.*?)</pre>', body, flags=re.S)]
    failed = [block for block in outputs if "NOT YET" in block]
    assert [block.strip() for block in failed] == [MESSAGE], failed
    for noise in NOISE + ("CheckFailed",):
        assert not any(noise in block for block in outputs), noise
