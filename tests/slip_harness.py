"""Run a notebook's visible checks against its solution with one slip put in.

    feedback = slipped_feedback("05_matrix_backprop", "linear-backward-answer",
                                "dW = X.T @ dout", "dW = dout.T @ X", "linear-backward-test")

executes the notebook's setup and helper cells, its answer cells (the one named with
``old`` replaced by ``new``: a copy of the solution with one slip), then the visible
part of every test cell up to the named one, and returns what the named check printed
and raised: the exact words a learner would read.
"""
from __future__ import annotations

import contextlib
import io
import linecache

import matplotlib
import nbformat

from nbgrader_course import ROOT

matplotlib.use("Agg")

HIDDEN_MARK = "### BEGIN HIDDEN TESTS"
HELPER_IDS = {"relu-helper"}  # ungraded cells that define something the answers use


def shown(error: BaseException) -> str:
    """An exception as IPython (JupyterLab, nbgrader) shows it, when it chooses how."""
    render = getattr(error, "_render_traceback_", None)
    return "\n".join(render()) if render else f"{type(error).__name__}: {error}"


def _compile(source: str, name: str):
    """Compile a cell so that tracebacks can show its lines, as IPython's cells do."""
    linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    return compile(source, name, "exec")


def _cells(assignment):
    nb = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    return [c for c in nb.cells if c.cell_type == "code" and (_meta(c) or c.id in HELPER_IDS)]


def _meta(cell):
    return cell.metadata.get("nbgrader", {})


def slipped_feedback(assignment: str, answer_id: str, old: str, new: str, test_id: str) -> str:
    namespace: dict = {}
    found = False
    for cell in _cells(assignment):
        meta = _meta(cell)
        source = cell.source
        if meta.get("grade"):
            visible = source.split(HIDDEN_MARK)[0]
            buffer = io.StringIO()
            try:
                with contextlib.redirect_stdout(buffer):
                    exec(_compile(visible, f"<{cell.id}>"), namespace)
            except AssertionError as failure:
                if cell.id == test_id:
                    # What the learner reads: what the cell printed, then the failure as IPython shows it.
                    return buffer.getvalue() + shown(failure)
            if cell.id == test_id:
                return buffer.getvalue()
            continue
        if cell.id == answer_id:
            assert old in source, f"{old!r} is not in the solution of {answer_id}"
            source = source.replace(old, new)
            found = True
        with contextlib.redirect_stdout(io.StringIO()):
            exec(_compile(source, f"<{cell.id}>"), namespace)
    raise AssertionError(f"no test cell {test_id} (answer cell found: {found})")


def assert_feedback_names_slip(assignment: str, key: str, hints, answer_id: str, test_id: str, old: str, new: str) -> None:
    """Put the slip (``old`` -> ``new``) into the solution cell and check the feedback names it."""
    from course_utils.diagnosis import slip_sentence

    feedback = slipped_feedback(assignment, answer_id, old, new, test_id)
    assert "NOT YET" in feedback, f"the slip was not caught:\n{feedback}"
    assert f"Likely cause: {slip_sentence(key, hints)}." in feedback, feedback

