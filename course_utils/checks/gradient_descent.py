"""Checks for notebook 02 (gradient descent): ``numerical_derivative``, ``gradient_step``,
``gradient_descent`` and ``pick_learning_rates``.

The checks return nothing: nbgrader reads a number left as the last value of a graded
cell as a partial score, so a check that returned the learner's result would cost points.
"""
import numpy as np

from course_utils.feedback import FAIL_MARK, call_learner, check, compare, fail, passed
from course_utils.gradcheck import numerical_gradient
from course_utils.reference import gradient_descent as ref

_isinstance, _len, _float = isinstance, len, float


def check_numerical_derivative(fn, f, w, h=None):
    """``fn(f, w[, h])`` must be the central difference (f(w + h) - f(w - h)) / (2h)."""
    __tracebackhide__ = True
    step = 1e-5 if h is None else h
    w = _float(w)
    expected = numerical_gradient(lambda p: f(_float(p)), np.float64(w), h=step)
    candidates = {"forward_difference": (f(w + step) - f(w)) / step,
                  "backward_difference": (f(w) - f(w - step)) / step,
                  "two_missing": (f(w + step) - f(w - step)) / step}
    hints = {"forward_difference": "this is the forward difference (f(w + h) - f(w)) / h: "
                                   "step to both sides, (f(w + h) - f(w - h)) / (2*h)",
             "backward_difference": "this is the backward difference (f(w) - f(w - h)) / h: "
                                    "step to both sides, (f(w + h) - f(w - h)) / (2*h)",
             "two_missing": "twice the slope: the two points are 2*h apart, so divide by 2*h, not h"}
    args, names = ((f, w), ("f", "w")) if h is None else ((f, w, h), ("f", "w", "h"))
    # With h = 1e-5 a forward difference is off by about 1e-5 relative: be stricter than that.
    check(fn, args, expected, arg_names=names, rtol=1e-7, atol=1e-9,
                 candidates=candidates, hints=hints,
                 cause="evaluate f a distance h to each side of w and divide the rise by the run, 2*h"
                       + ("" if h is None else "; use the h you are given, not a fixed step"))


def check_gradient_step(fn, w, grad, lr):
    """``fn(w, grad, lr)`` must be ``w - lr * grad`` (any shape)."""
    __tracebackhide__ = True
    w64, g64 = np.asarray(w, dtype=np.float64), np.asarray(grad, dtype=np.float64)
    expected = w64 - lr * g64
    check(fn, (w, grad, lr), expected, arg_names=("w", "grad", "lr"),
                 candidates={"uphill": w64 + lr * g64, "lr_missing": w64 - g64, "step_only": -lr * g64},
                 hints={"uphill": "you stepped uphill: the gradient points up the slope, "
                                  "so subtract it: w - lr * grad",
                        "lr_missing": "the learning rate is missing: the step is lr * grad, not grad",
                        "step_only": "you returned the step, not the new weight: add it to w"},
                 cause="the new weight is the old one minus the learning rate times the gradient")


def check_gradient_descent(fn, df, w0, lr, n_steps):
    """``fn(df, w0, lr, n_steps)`` must return the n_steps + 1 weights visited, w0 first."""
    __tracebackhide__ = True
    names = ("df", "w0", "lr", "n_steps")
    label = f"gradient_descent({', '.join(names)})"
    expected = ref.descend(df, w0, lr, n_steps)
    result = call_learner(fn, df, w0, lr, n_steps, name="gradient_descent", arg_names=names)
    shape = result.shape if _isinstance(result, np.ndarray) else None
    if shape == (n_steps,):
        fail(f"{FAIL_MARK}: {label} returned {n_steps} weights, but {n_steps + 1} are expected: "
             f"the first entry is the start w0, then one weight after each of the {n_steps} steps.")
    if shape == (n_steps + 2,):
        fail(f"{FAIL_MARK}: {label} returned {n_steps + 2} weights, but {n_steps + 1} are expected: "
             f"the loop takes one step too many (use range(n_steps)).")
    stale = w0 - lr * np.arange(n_steps + 1) * df(w0)
    uphill = ref.descend(lambda w: -np.asarray(df(w)), w0, lr, n_steps)
    problem = compare(result, expected, f"{label} (the visited weights)", rtol=1e-7, atol=1e-9,
                      candidates={"stale_gradient": stale, "uphill": uphill},
                      hints={"stale_gradient": "every step uses the slope at the start w0: "
                                               "evaluate df at the current weight inside the loop",
                             "uphill": "the weights climb: subtract lr * df(w), do not add it"},
                      cause="start the list with w0; then repeat n_steps times: one gradient_step with the slope "
                            "at the current weight, appending each new w")
    if problem:
        fail(f"{FAIL_MARK}: {problem}")
    passed(f"{label} visits the expected {n_steps + 1} weights.")


ROLES = ("too_small", "good", "too_large")
WANTED = {"too_small": "too small", "good": "good", "too_large": "too large"}
KIND_WORDS = {"too small": "too small", "good": "good", "too large": "too large",
              "overshooting": "a rate on the edge of too large (it overshoots, yet still settles slowly)"}
ADVICE = {"too_small": "a too-small rate still lowers the loss at every step, without jumping across "
                       "the bottom, but has not reached it after {n} steps",
          "good": "a good rate ends within {tol} of a valley bottom after {n} steps",
          "too_large": "a too-large rate makes the loss go up at some step (the ball jumps across "
                       "the valley) and never settles, or sends the weight away"}


def check_pick_learning_rates(fn, w0=ref.START, n_steps=ref.N_STEPS, tol=ref.TOLERANCE, strict=False):
    """``fn()`` must return ``(too_small, good, too_large)``, each of the kind its name says
    when simulated on the valley for ``n_steps`` from ``w0``.

    ``strict`` also requires three plain numbers in increasing order.
    """
    __tracebackhide__ = True
    label = "pick_learning_rates()"
    rates = call_learner(fn, name="pick_learning_rates")
    if not _isinstance(rates, (tuple, list)) or _len(rates) != 3:
        fail(f"{FAIL_MARK}: {label} must return three learning rates: (too_small, good, too_large).")
    for role, lr in zip(ROLES, rates):
        if _isinstance(lr, np.ndarray) and lr.size == 1:
            lr = lr.item()
        kind, evidence = ref.classify_learning_rate(lr, w0, n_steps, tol)
        if kind == "invalid":
            fail(f"{FAIL_MARK}: {label}: {role} = {lr!r}: {evidence}. A learning rate is a positive number.")
        if kind != WANTED[role]:
            fail(f"{FAIL_MARK}: {label}: {role} = {lr!r} is not {WANTED[role]}: from w0 = {w0} {evidence}. "
                 f"That makes it {KIND_WORDS[kind]}; " + ADVICE[role].format(n=n_steps, tol=tol) + ".")
    if strict:
        plain = all(_isinstance(v, (int, float, np.integer, np.floating)) for v in rates)
        if not plain or not (rates[0] < rates[1] < rates[2]):
            fail(f"{FAIL_MARK}: {label} should return three plain numbers with too_small < good < too_large, "
                 f"got {rates!r}.")
    passed(f"{label}: " + ", ".join(f"{role} = {lr:g}" for role, lr in zip(ROLES, rates))
           + f" behave as their names say over {n_steps} steps from w0 = {w0}.")
