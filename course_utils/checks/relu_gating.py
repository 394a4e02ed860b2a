"""Checks for notebook 04 (ReLU gating): ``relu``, ``relu_grad``, ``relu_backward``,
``neuron_backward`` and the forward/backward table.

The ReLU's slope is *measured*: a left-sided difference of the reference ``relu``
(:func:`relu_slope`) gives 1 where ``z > 0`` and 0 where ``z <= 0``, including exactly 0,
the course's convention. Expected gradients of anything built on a ReLU come from
differentiating, by central differences, the forward pass with each ReLU frozen at
that measured slope (:func:`course_utils.reference.relu_gating.relu_frozen`): away from
0 that is the true forward pass, and at 0 it applies the convention.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np

from course_utils.checks.slips import check_named, name_swapped_order, run_learner
from course_utils.diagnosis import loss_candidates, vjp_candidates
from course_utils.feedback import FAIL_MARK, check, fail, passed
from course_utils.gradcheck import numerical_gradient, numerical_gradients, numerical_vjp
from course_utils.reference import relu_gating as ref

SLOPE_STEP = 1e-7

HINTS = {
    "mask_ge_at_zero": "at z = 0 exactly your gradient passes; this course takes ReLU's derivative at 0 "
                       "to be 0, so the gate is open only for z > 0 (not z >= 0)",
    "mask_missing": "the gradient passes everywhere, also where the neuron was off: multiply by the "
                    "ReLU's 0/1 gate, (z > 0)",
    "mask_wrong_array": "the gate is taken from the gradient (dout > 0): whether the gate is open depends "
                        "only on the pre-activation z of the forward pass, so use (z > 0)",
    "upstream_missing": "this is the gate alone: multiply it by the upstream gradient dout "
                        "(chain rule: dz = dout * relu'(z))",
}


def relu_slope(z, side: str = "left", h: float = SLOPE_STEP) -> np.ndarray:
    """ReLU's slope at each entry of ``z``, measured by a one-sided difference.

    ``side="left"``: ``(relu(z) - relu(z - h)) / h``, which is 0 at exactly 0 (the course's
    convention). ``side="right"`` gives 1 at 0: what a ``z >= 0`` gate computes.
    Exact (to rounding) for every ``|z| >= h``.
    """
    z = np.asarray(z, dtype=np.float64)
    if side == "left":
        return (ref.relu(z) - ref.relu(z - h)) / h
    return (ref.relu(z + h) - ref.relu(z)) / h


def _frozen(slope, at):
    return lambda z: ref.relu_frozen(z, slope, at)


ELEMENTWISE = {"truth_value": "a loop or list comprehension over z works for a 1-D z only: for a 2-D z, "
                              "`for v in z` gives whole rows, and comparing a row with 0 is not one True or False. "
                              "Write one NumPy expression on the whole array z, which keeps any shape"}


def check_relu(fn, z):
    """``fn(z)`` must equal ``max(z, 0)`` elementwise."""
    __tracebackhide__ = True
    return check(fn, (z,), ref.relu(z), arg_names=("z",), error_hints=ELEMENTWISE,
                 candidates={"returned_mask": relu_slope(z)}, hints=HINTS,
                 cause="keep each positive entry and replace every other entry by 0, elementwise")


def check_relu_grad(fn, z):
    """``fn(z)`` must be the 0/1 derivative of ReLU: 1 where z > 0, 0 where z <= 0 (also at 0)."""
    __tracebackhide__ = True
    return check(fn, (z,), relu_slope(z), arg_names=("z",), hints=HINTS, error_hints=ELEMENTWISE,
                 candidates={"mask_ge_at_zero": relu_slope(z, "right"), "returned_relu": ref.relu(z)},
                 cause="the derivative is 1 where z > 0 and 0 everywhere else, including z = 0")


def relu_backward_candidates(dout, z) -> dict:
    """What ``relu_backward(dout, z)`` returns with each known slip, from mutated forwards."""
    z0 = np.asarray(z, dtype=np.float64)
    upstream = np.asarray(dout, dtype=np.float64)
    slips = vjp_candidates({
        "mask_ge_at_zero": _frozen(relu_slope(z0, "right"), z0),
        "mask_missing": lambda z: z,
        "mask_wrong_array": _frozen(upstream > 0, z0),
        "mask_from_activation": _frozen(ref.relu(z0), z0),
    }, {"z": z0}, upstream)["z"]
    slips["upstream_missing"] = numerical_vjp(_frozen(relu_slope(z0), z0), {"z": z0}, np.ones_like(z0))["z"]
    return slips


def relu_backward_expected(dout, z) -> np.ndarray:
    """dL/dz for z -> relu(z) given dout: the vector-Jacobian product of the frozen ReLU, numerically."""
    z0 = np.asarray(z, dtype=np.float64)
    return numerical_vjp(_frozen(relu_slope(z0), z0), {"z": z0}, dout)["z"]


def check_relu_backward(fn, dout, z):
    """``fn(dout, z)`` must be dL/dz for z -> relu(z), given dout = dL/drelu(z)."""
    __tracebackhide__ = True
    expected = relu_backward_expected(dout, z)
    return check_named(fn, (dout, z), expected, name="relu_backward", arg_names=("dout", "z"),
                       candidates=relu_backward_candidates(dout, z), hints=HINTS,
                       cause="the arriving gradient passes where the neuron was on (z > 0) and is stopped elsewhere")


NEURON_OUTPUTS = ("dx", "dw", "db")  # the order of the forward inputs x, w, b (the course's rule)
ORDER_RULE = "backward functions return gradients in the order of the forward inputs (x, w, b)"
NEURON_HINTS = {
    **HINTS,
    "mask_missing": "the gradients are not zero where the neuron was off (z <= 0): the ReLU's gate "
                    "relu'(z) must multiply the error before it reaches w, b and x",
    "mask_wrong_array": "the gate is taken from the error (dL/dy_hat > 0): whether it is open depends "
                        "only on the pre-activation z = w·x + b",
    "upstream_missing": "the error dL/dy_hat = 2 * (y_hat - y) is not multiplied in: these are the "
                        "gradients of y_hat, not of the loss",
    "factor_2_missing": "every gradient is half the expected value: the factor 2 from differentiating "
                        "(y_hat - y)**2 is missing, dL/dy_hat = 2 * (y_hat - y)",
}


def _neuron_params(x, w, b):
    return {"w": np.asarray(w, dtype=np.float64), "b": np.asarray(b, dtype=np.float64),
            "x": np.asarray(x, dtype=np.float64)}


def neuron_gradients(x, w, b, y, slope=None, of_loss=True) -> dict:
    """Numerical gradients of the neuron's loss (or of y_hat) w.r.t. w, b, x, ReLU frozen at ``slope``."""
    z0 = ref.pre_activation(x, w, b)
    slope = relu_slope(z0) if slope is None else slope
    if of_loss:
        def f(p):
            return ref.neuron_loss(p["x"], p["w"], p["b"], y, slope, z0)
    else:
        def f(p):
            return ref.neuron_forward(p["x"], p["w"], p["b"], slope, z0)
    return {"d" + k: v for k, v in numerical_gradients(f, _neuron_params(x, w, b)).items()}


def neuron_backward_candidates(x, w, b, y) -> dict:
    """What ``neuron_backward`` returns with each known slip: {output: {slip: array}}."""
    z0 = ref.pre_activation(x, w, b)
    y_hat = ref.neuron_forward(x, w, b)
    dy_hat = float(numerical_gradient(lambda v: ref.squared_error(v, y), np.float64(y_hat)))
    # `>=` first: at z = 0 exactly it and a missing gate give the same numbers, and a
    # case at exactly 0 is there to catch `>=` (a case with z < 0 catches a missing gate).
    slopes = {"mask_ge_at_zero": relu_slope(z0, "right"), "mask_missing": 1.0,
              "mask_wrong_array": float(dy_hat > 0), "mask_from_activation": float(ref.relu(z0))}
    losses = {k: (lambda p, s=s: ref.neuron_loss(p["x"], p["w"], p["b"], y, s, z0)) for k, s in slopes.items()}
    losses["upstream_missing"] = lambda p: ref.neuron_forward(p["x"], p["w"], p["b"], relu_slope(z0), z0)
    table = loss_candidates(losses, _neuron_params(x, w, b))
    return {"d" + k: v for k, v in table.items()}


def check_neuron_backward(fn, x, w, b, y):
    """``fn(x, w, b, y)`` must return (dx, dw, db) for L = (relu(w·x + b) - y)**2.

    The gradients in another order (e.g. the earlier (dw, db, dx)) are named as such.
    """
    __tracebackhide__ = True
    grads = neuron_gradients(x, w, b, y)
    expected = tuple(grads[k] for k in NEURON_OUTPUTS)
    label = "neuron_backward(x, w, b, y)"
    result = run_learner(fn, (x, w, b, y), name="neuron_backward", arg_names=("x", "w", "b", "y"))
    name_swapped_order(result, expected, label=label, outputs=NEURON_OUTPUTS, rule=ORDER_RULE)
    return check_named(lambda *_: result, (x, w, b, y), expected, name="neuron_backward",
                       arg_names=("x", "w", "b", "y"),
                       outputs=NEURON_OUTPUTS, candidates=neuron_backward_candidates(x, w, b, y),
                       hints=NEURON_HINTS,
                       cause="follow the chain from the loss back: the error of y_hat, then the gate, "
                             "then each input of the weighted sum")


# ---- the table: forward pass, backward pass and intuition for each step -------------

ROWS = ("weighted_sum", "bias", "activation", "loss")
COLUMNS = ("forward", "backward", "intuition")
# Which sentence (A-D, listed in the notebook) describes which step.
INTUITION_LETTERS = {"weighted_sum": "C", "bias": "D", "activation": "B", "loss": "A"}
TABLE_SIGNATURES = {
    ("weighted_sum", "forward"): ("w", "x"), ("weighted_sum", "backward"): ("dz", "x"),
    ("bias", "forward"): ("s", "b"), ("bias", "backward"): ("dz",),
    ("activation", "forward"): ("z",), ("activation", "backward"): ("dy_hat", "z"),
    ("loss", "forward"): ("y_hat", "y"), ("loss", "backward"): ("y_hat", "y"),
}


TABLE_HINTS = {
    **NEURON_HINTS,
    "upstream_missing": "the gradient arriving at this step is not multiplied in: a backward formula is "
                        "(the gradient that reaches the step) times (the step's local derivative)",
}


def _table_structure(table) -> str | None:
    if not isinstance(table, Mapping):
        return f"table must be a dict with the rows {list(ROWS)}, not a {type(table).__name__}."
    for row in ROWS:
        if row not in table or not isinstance(table[row], Mapping):
            return f"table['{row}'] is missing: every row {list(ROWS)} must be a dict."
        for column in COLUMNS:
            if column not in table[row]:
                return f"table['{row}'] has no '{column}' entry yet."
            entry = table[row][column]
            if column == "intuition":
                if not isinstance(entry, str) or entry.strip().upper() not in ("A", "B", "C", "D"):
                    return f"table['{row}']['intuition'] must be one letter, A, B, C or D (got {entry!r})."
            elif not callable(entry):
                names = ", ".join(TABLE_SIGNATURES[row, column])
                return f"table['{row}']['{column}'] must be a function of ({names}), e.g. a lambda."
    return None


def _scalar(value) -> np.ndarray:
    return np.asarray(float(value), dtype=np.float64)


def check_table(table, cases=None) -> None:
    """Check every cell of the learner's table.

    ``cases`` is a list of dicts with scalar values for w, x, b, y and dz (the ReLU is
    tried at negative, zero and positive pre-activations whatever the cases).
    """
    __tracebackhide__ = True
    problem = _table_structure(table)
    if problem:
        fail(f"{FAIL_MARK}: {problem}")
    cases = cases or [dict(w=0.5, x=3.0, b=-1.0, y=2.0, dz=-4.0)]
    for case in cases:
        w, x, b, y, dz = (float(case[k]) for k in ("w", "x", "b", "y", "dz"))
        s = w * x
        for (row, column), expected, args, candidates in [
            (("weighted_sum", "forward"), s, (w, x), None),
            (("weighted_sum", "backward"), numerical_vjp(lambda w: w * x, {"w": _scalar(w)}, dz)["w"], (dz, x),
             {"upstream_missing": _scalar(x)}),
            (("bias", "forward"), s + b, (s, b), None),
            (("bias", "backward"), numerical_vjp(lambda b: s + b, {"b": _scalar(b)}, dz)["b"], (dz,),
             {"upstream_missing": _scalar(1.0)}),
            (("loss", "forward"), ref.squared_error(s + b, y), (s + b, y), None),
            (("loss", "backward"), numerical_gradient(lambda v: ref.squared_error(v, y), _scalar(s + b)),
             (s + b, y), None),
        ]:
            check(table[row][column], args, expected, name=f"table['{row}']['{column}']",
                  arg_names=TABLE_SIGNATURES[row, column], candidates=candidates, hints=TABLE_HINTS, quiet=True)
        for z in (-abs(s + b) - 0.5, 0.0, abs(s + b) + 0.25):
            check(table["activation"]["forward"], (z,), ref.relu(z), name="table['activation']['forward']",
                  arg_names=("z",), quiet=True)
            check(table["activation"]["backward"], (dz, z),
                  numerical_vjp(_frozen(relu_slope(z), z), {"z": _scalar(z)}, dz)["z"],
                  name="table['activation']['backward']", arg_names=("dy_hat", "z"), hints={**HINTS, **{
                      "upstream_missing": TABLE_HINTS["upstream_missing"]}}, quiet=True,
                  candidates={"mask_ge_at_zero": _scalar(dz * relu_slope(z, "right")), "mask_missing": _scalar(dz),
                              "upstream_missing": relu_slope(_scalar(z))})
    for row in ROWS:
        given = table[row]["intuition"].strip().upper()
        if given != INTUITION_LETTERS[row]:
            fail(f"{FAIL_MARK}: table['{row}']['intuition'] is '{given}', which describes another step. "
                 f"Read the four sentences again and ask which one is about the {row.replace('_', ' ')}.")
    passed("the table is right: forward pass, backward pass and intuition for every step.")
