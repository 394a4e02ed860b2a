"""Helpers for the Learning from Mistakes course.

One idea per module:

- :mod:`course_utils.gradcheck`  numerical gradients and a verdict on an analytic one
- :mod:`course_utils.feedback`   check a learner's function and explain what is wrong
- :mod:`course_utils.diagnosis`  name the slip behind a wrong gradient
- :mod:`course_utils.reference`  reference forward passes, one module per notebook
- :mod:`course_utils.widgets`    one module per interactive widget (ipywidgets only there)
- :mod:`course_utils.plots`      drawing functions (matplotlib only there)
- :mod:`course_utils.release`    solutions/ -> notebooks/ with nbgrader

Importing the package imports neither ipywidgets nor matplotlib.
"""
__version__ = "0.1.0"
