"""Studying alone: what a learner without an instructor runs from ``python3 course.py``.

- ``exercises``: the exercises of a notebook (test cell, points, answer cells), read from
  the release; whether the learner has started each one;
- ``grader``: a learner's saved notebooks graded with the instructor's hidden tests, in a
  private nbgrader course that exists only while it grades (``course.py progress``);
- ``progress``: the table that grading gives, in the terminal, in ``progress.html`` and in
  JupyterLab (:func:`course_utils.selfpaced.progress.show_progress`);
- ``solution``: a reference solution with its explanation, once the learner's answer passes;
- ``workspace``: what ``open`` and ``reset`` keep about the workspace (which release each
  notebook was copied from, backups).

Nothing here prints or returns hidden-test code: only scores and the checks' messages
leave the grader, and every message is searched for hidden-test lines before it is shown.
"""
