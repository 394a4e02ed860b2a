"""Grading an instructor can trust: the instructor's side of the course, one module per idea.

nbgrader's ``autograde`` normally runs a submission top to bottom in one kernel, test cells
included, so a learner's cell can patch ``np.allclose``, shadow a check function, return an
object whose ``==`` is always true, or end the kernel. Here the work is split (configured in
``nbgrader_config.py``, nothing to do per notebook):

- :class:`IntegrityCheck` (before nbgrader restores locked cells) records edited, deleted or
  duplicated locked cells, flags the submission in the gradebook and writes a report line;
- :class:`SandboxExecute` (instead of nbgrader's ``Execute``) runs the learner's cells in a
  sandbox process (:mod:`course_utils.grading.sandbox`) and every graded test cell *here*, in a
  namespace built only from the instructor's locked cells. A name the test cell needs and the
  instructor's cells do not define (the learner's functions, a learner's variable) is fetched
  from the sandbox: values come back as plain data, functions as proxies that call into the
  sandbox. The verdict is computed by code the learner's cells never ran next to. A timeout or
  a dead sandbox costs the cell that caused it: a new sandbox replays the earlier cells and
  grading goes on;
- :class:`HideHiddenTests` (in ``generate_feedback``) removes hidden-test code from the
  feedback; scores and the check messages stay.

Modules:

- ``sandbox``: the process that runs a learner's code (the only module that runs there);
- ``protocol``: framing and output capture on the wire between the two processes;
- ``learner_process``: the grader's handle on a sandbox, and the proxies for what it returns;
- ``execute``: :class:`SandboxExecute`, nbgrader's execute step;
- ``locked_cells``: :class:`IntegrityCheck`, :class:`DeduplicateIds`, :class:`KnownCellsOnly`,
  :class:`OverwriteCellsSafely`;
- ``feedback_html``: :class:`HideHiddenTests`, and the sanitiser every feedback page goes through;
- ``manifest``, ``gradebook_schema``, ``trust``: before each grading step, the files that grade and
  the gradebook's schema are checked against what the instructor trusted (``grade trust``);
- ``isolation_marks``: which grades were made inside the operating system's isolation;
- ``collect`` (with ``archives``, ``platforms``, ``identify``, ``learners``), ``intake``, ``export``,
  ``parallel``: the instructor's steps (``python3 course.py grade ...``).

Names are imported lazily, so the sandbox process never imports nbgrader.

For notebook authors, what a test cell sees when graded (a learner's own kernel is unchanged):

- names bound by the locked cells (the setup imports) are the grader's own, never the learner's;
  any other name is looked up in the learner's process when the test cell starts;
- numbers, strings, NumPy arrays (not object arrays) and tuples, lists and dicts of them come
  back as copies; a learner's function comes back as a proxy; anything else as an opaque
  object whose attributes and methods still work (they run in the learner's process);
- a function passed to a learner's function (e.g. a loss to minimise) runs in the grader and is
  called back; changes a learner's function makes to its array, list or dict arguments in place
  are copied back;
- the two processes do not share global state: a test cell that seeds ``np.random`` or assigns a
  global does not change the learner's process. Pass ``rng`` (or the value) as an argument.
"""
from __future__ import annotations

import importlib

_WHERE = {
    "SandboxExecute": "execute",
    "LearnerProcess": "learner_process", "LearnerCodeError": "learner_process", "LearnerFunction": "learner_process",
    "LearnerObject": "learner_process", "SandboxDied": "learner_process", "SandboxTimeout": "learner_process",
    "IntegrityCheck": "locked_cells", "DeduplicateIds": "locked_cells", "KnownCellsOnly": "locked_cells",
    "OverwriteCellsSafely": "locked_cells", "integrity_rows": "locked_cells",
    "without_hidden_tests": "locked_cells", "HIDDEN_BEGIN": "locked_cells", "HIDDEN_END": "locked_cells",
    "HideHiddenTests": "feedback_html", "clean_html": "feedback_html",
    "Refused": "trust", "check_all": "trust", "take_manifest": "trust",
    "isolation_of": "isolation_marks",
    "export_csv": "export", "score_table": "export",
    "autograde_parallel": "parallel",
}


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = sorted(_WHERE)
