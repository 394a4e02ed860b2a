"""Checks for notebook 03 (chain rule): ``chain_forward``, ``chain_backward``, ``unit_backward``.

Expected gradients are central differences of the reference forward passes. Slips are
recognised by differentiating *mutated* forward passes, in which one link of the chain
is cut (its local derivative replaced by 1) or the loss is left off. The checks return
nothing, so no number is left as a graded cell's last value (nbgrader would read it as
a partial score).
"""
import numpy as np

from course_utils.feedback import check
from course_utils.gradcheck import numerical_gradient, numerical_vjp
from course_utils.reference import chain_rule as ref

_float = float


def _d(f, at) -> float:
    """Central-difference slope of a scalar function of one number."""
    return _float(numerical_gradient(lambda v: _float(f(_float(v))), np.float64(at)))


def check_chain_forward(fn, x, w1, w2):
    """``fn(x, w1, w2)`` must return ``(h, y_hat)`` with h = w1*x and y_hat = w2*h."""
    __tracebackhide__ = True
    h, y_hat = (np.float64(v) for v in ref.chain_forward(x, w1, w2))
    check(fn, (x, w1, w2), (h, y_hat), arg_names=("x", "w1", "w2"), outputs=("h", "y_hat"),
          candidates={"h": {"swapped": y_hat}, "y_hat": {"swapped": h, "skipped_w1": np.float64(w2 * x)}},
          hints={"swapped": "h and y_hat are swapped: return (h, y_hat), in the order they are computed",
                 "skipped_w1": "y_hat must be built from h (w2 * h), not straight from x"},
          cause="follow the arrows: h from x and w1 first, then y_hat from h and w2")


HINTS_BACKWARD = {
    "factor_2_missing": "half the expected value: the 2 from differentiating (y_hat - y)**2 is missing, "
                        "dL/dy_hat = 2 * (y_hat - y)",
    "sign": "the opposite sign: the error is (y_hat - y), prediction minus target, not (y - y_hat)",
    "local_w2_missing": "the local derivative dy_hat/dh = w2 is missing from the product: "
                        "the error reaches h only through w2",
    "local_x_missing": "the local derivative dh/dw1 = x is missing from the product: multiply by the input x",
    "local_h_missing": "the local derivative dy_hat/dw2 = h is missing: multiply dy_hat by the hidden value h",
    "upstream_missing": "this is only the local derivative: multiply it by the gradient arriving from above "
                        "(dy_hat for dw2 and dh, dh for dw1)",
}


def check_chain_backward(fn, x, w1, w2, y):
    """``fn(x, w1, w2, y)`` must return a dict with dy_hat, dw2, dh and dw1 (gradients of L)."""
    __tracebackhide__ = True
    h, y_hat = (_float(v) for v in ref.chain_forward(x, w1, w2))
    expected = {"dy_hat": _d(lambda v: ref.squared_loss(v, y), y_hat),
                "dw2": _d(lambda v: ref.chain_loss(x, w1, v, y), w2),
                "dh": _d(lambda v: ref.loss_from_h(v, w2, y), h),
                "dw1": _d(lambda v: ref.chain_loss(x, v, w2, y), w1)}
    # Mutated forwards: one link of the chain cut (it passes changes on unscaled), or no loss at the end.
    cut = {"dw1": {"local_w2_missing": _d(lambda v: ref.squared_loss(y_hat + (v - w1) * x, y), w1),
                   "local_x_missing": _d(lambda v: ref.squared_loss(y_hat + (v - w1) * w2, y), w1),
                   "upstream_missing": _d(lambda v: ref.chain_forward(x, v, w2)[1], w1)},
           "dw2": {"local_h_missing": _d(lambda v: ref.squared_loss(y_hat + (v - w2), y), w2),
                   "upstream_missing": _d(lambda v: ref.chain_forward(x, w1, v)[1], w2)},
           "dh": {"local_w2_missing": _d(lambda v: ref.squared_loss(y_hat + (v - h), y), h),
                  "upstream_missing": _d(lambda v: w2 * v, h)},
           "dy_hat": {}}
    check(fn, (x, w1, w2, y), {k: np.float64(v) for k, v in expected.items()},
          arg_names=("x", "w1", "w2", "y"), candidates=cut, hints=HINTS_BACKWARD, rtol=1e-6, atol=1e-7,
          cause="walk backward one link at a time: each gradient is the gradient arriving from above "
                "times the local derivative of that link")


def check_unit_backward(fn, dz, x, w):
    """``fn(dz, x, w)`` must return ``(dx, dw, db)`` for z = w*x + b, given dz = dL/dz."""
    __tracebackhide__ = True
    point = {"x": np.float64(x), "w": np.float64(w), "b": np.float64(0.0)}
    grads = numerical_vjp(ref.unit_forward, point, dz)
    bare = numerical_vjp(ref.unit_forward, point, 1.0)  # the local derivatives alone
    check(fn, (dz, x, w), (grads["x"], grads["w"], grads["b"]), arg_names=("dz", "x", "w"),
          outputs=("dx", "dw", "db"), rtol=1e-6, atol=1e-7,
          candidates={"dx": {"swapped": grads["w"], "upstream_missing": bare["x"]},
                      "dw": {"swapped": grads["x"], "upstream_missing": bare["w"]},
                      "db": {"upstream_missing": bare["b"], "db_zero": np.float64(0.0)}},
          hints={"swapped": "dx and dw are swapped: z changes with x at the rate w, and with w at the rate x",
                 "upstream_missing": "the upstream gradient dz is not multiplied in: each local derivative "
                                     "(w for x, x for w, 1 for b) is multiplied by dz",
                 "db_zero": "the bias does get a gradient: dz/db = 1, so db = dz, the full downstream error"},
          cause="each gradient is dz times the local derivative: how fast z changes with that input")
