"""Reference *forward* passes, one module per notebook, in float64.

Checks compute expected forward values here and expected gradients by differentiating
these forwards numerically (:mod:`course_utils.gradcheck`). No module here contains a
backward formula.
"""
