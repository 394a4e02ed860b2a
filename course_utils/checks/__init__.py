"""Exercise checks, one module per notebook, built on :mod:`course_utils.feedback`.

Each ``check_<function>(fn, ...)`` runs the learner's ``fn`` on the given inputs and
compares it with the reference: forward values from :mod:`course_utils.reference`,
gradients by differentiating those forwards numerically.
"""
