"""Name the likely slip behind a wrong answer.

Contract: ``diagnose(actual, expected, ...)`` returns a sentence naming the mistake
when the learner's array matches a known slip of the expected one, else ``None``.

Generic slips are transformations of the expected array (sign, a factor 2, 1/N, a
transpose, a sum over the batch left out). Slips that depend on the exercise (a ReLU
mask missing or taken from the wrong array, the upstream gradient not multiplied in)
are passed in as ``candidates``: what the answer would be *with* that slip, which the
exercise computes from a deliberately mutated forward pass, never from an analytic
backward formula. The helpers at the end build such candidate tables
(:func:`loss_candidates`, :func:`vjp_candidates`, :func:`scaled_candidates`) and name a
slip from a wrong shape alone (:func:`shape_slip`).
"""
from __future__ import annotations

import itertools
from typing import Callable, Mapping

import numpy as np

# Captured at import, before any learner code runs, so a reassigned numpy function in
# a notebook cannot change what we compare with.
_asarray, _abs, _subtract, _multiply = np.asarray, np.absolute, np.subtract, np.multiply
_less_equal, _isfinite = np.less_equal, np.isfinite

# One sentence per slip. Exercises may override a sentence with ``hints`` to name the
# exact line to look at; the key stays the same so tests can check which slip it was.
SLIP_MESSAGES = {
    "sign": "every entry has the opposite sign: check the order of a subtraction "
            "(y_hat - y, not y - y_hat) and whether you added where you should subtract",
    "factor_2_missing": "every entry is half the expected value: the factor 2 from "
                        "differentiating the square is missing",
    "factor_2_extra": "every entry is twice the expected value: there is an extra factor 2",
    "mean_missing": "every entry is N times too large: the 1/N from the mean is missing",
    "mean_extra": "every entry is N times too small: you divided by N where a sum was needed "
                  "(a mean instead of a sum over the batch)",
    "transposed": "the values are right but transposed: check the order in the matrix "
                  "product (for dW it is X.T @ dout)",
    "not_summed_over_batch": "you returned one row per example: sum over the batch axis "
                             "(axis=0) to get one gradient for the shared parameter",
    "mask_missing": "the ReLU mask is missing: the gradient must be 0 wherever the "
                    "pre-activation was not positive",
    "mask_wrong_array": "the ReLU mask is taken from the wrong array: it must come from "
                        "the pre-activation z of the forward pass, not from the gradient",
    "mask_ge_at_zero": "the ReLU mask lets the gradient through at exactly 0: ReLU's "
                       "derivative at 0 is 0 in this course, so use z > 0, not z >= 0",
    "upstream_missing": "the upstream gradient dout is not multiplied in: the chain rule "
                        "multiplies the local derivative by the gradient arriving from above",
    # ReLU gating and matrix backprop (notebooks 04 and 05).
    "mask_from_activation": "the gradient is multiplied by the ReLU's output values relu(z): the "
                            "gate is a 0/1 mask, (z > 0), taken from the pre-activation z",
    "dx_without_transpose": "the gradient for the layer's input uses W where it needs W.T: "
                            "dX = dout @ W.T, shapes (N, H) @ (H, D) -> (N, D); with W itself the "
                            "shapes only line up when W is square",
    "mse_mean_missing": "every gradient is N times too large, N = Y_hat.size: the 1/N of the mean "
                        "is missing from the loss gradient, which is 2 * (Y_hat - Y) / Y_hat.size",
    "mse_rows_only": "every gradient is C times too large: the MSE averages over all N * C "
                     "entries of Y_hat, so divide by Y_hat.size, not by the number of rows",
    "paths_not_summed": "one product per path is returned: the blame from the paths is added up "
                        "into one number (a dot product)",
    "paths_averaged": "the result is C times too small (C outputs): the blame from the paths is summed, "
                      "not averaged",
    "bias_missing": "the bias b is not added: out = X @ W + b",
    "relu_missing": "the ReLU is missing from the hidden layer: A1 = relu(X @ W1 + b1)",
    "returned_mask": "this is the 0/1 mask (the derivative), not the ReLU's output: relu(z) keeps "
                     "positive entries and replaces the others by 0",
    "keepdims": "the gradient kept the summed axis: a sum with keepdims=True gives shape (1, H) where "
                "the parameter has shape (H,); sum with axis=0 and no keepdims",
    "fractions_dropped": "the fractions are dropped: // (floor division), int(...) or .astype(int) keeps "
                         "whole numbers only; divide with / and keep floats",
    "returned_relu": "this is relu(z) itself, not its derivative: the derivative is 1 where z > 0 "
                     "and 0 elsewhere",
}


def _matches(actual: np.ndarray, candidate, rtol: float, atol: float) -> bool:
    candidate = _asarray(candidate, dtype=np.float64)
    if candidate.shape != actual.shape or not _isfinite(candidate).all():
        return False
    tolerance = atol + rtol * _abs(candidate)
    return bool(_less_equal(_abs(_subtract(actual, candidate)), tolerance).all())


def diagnose(actual, expected, *, batch_size: int | None = None,
             candidates: Mapping[str, np.ndarray] | None = None,
             hints: Mapping[str, str] | None = None,
             rtol: float = 1e-5, atol: float = 1e-8) -> str | None:
    """Return the message of the first slip that ``actual`` matches, or ``None``.

    Parameters
    ----------
    actual : array_like
        The learner's (wrong) answer; must already be numeric and finite.
    expected : array_like
        The reference answer.
    batch_size : int, optional
        N, when the answer involves a mean or a sum over a batch.
    candidates : dict, optional
        Exercise-specific slips: key -> what the answer would be with that slip.
        Checked before the generic ones, since they are more specific.
    hints : dict, optional
        key -> sentence, replacing the default sentence for that slip.
    """
    slip = diagnose_key(actual, expected, batch_size=batch_size, candidates=candidates,
                        rtol=rtol, atol=atol)
    if slip is None:
        return None
    return slip_sentence(slip, hints)


def diagnose_key(actual, expected, *, batch_size=None, candidates=None, rtol=1e-5, atol=1e-8) -> str | None:
    """Like :func:`diagnose` but return the slip's key (e.g. ``"sign"``)."""
    actual = _asarray(actual, dtype=np.float64)
    expected = _asarray(expected, dtype=np.float64)
    if _matches(actual, expected, rtol, atol):
        return None
    for key, candidate in (candidates or {}).items():
        if _matches(actual, candidate, rtol, atol):
            return key
    nonzero = bool((_abs(expected) > atol).any())
    generic = []
    if nonzero:
        generic += [("sign", -expected), ("factor_2_missing", expected / 2), ("factor_2_extra", expected * 2)]
        if batch_size and batch_size > 1:
            generic += [("mean_missing", expected * batch_size), ("mean_extra", expected / batch_size)]
    if expected.ndim == 2 and expected.shape[0] != expected.shape[1]:
        generic.append(("transposed", expected.T))
    if bool((np.floor(expected) != expected).any()):
        generic += [("fractions_dropped", np.floor(expected)), ("fractions_dropped", np.trunc(expected))]
    for key, candidate in generic:
        if _matches(actual, candidate, rtol, atol):
            return key
    if actual.ndim == expected.ndim + 1 and actual.shape[1:] == expected.shape and actual.shape[0] > 1:
        if _matches(actual.sum(axis=0), expected, rtol, atol):
            return "not_summed_over_batch"
    if nonzero:
        # Two slips at once: a known slip (or the right answer transposed) scaled by a generic slip.
        scalings = [("sign", -1.0), ("factor_2_missing", 0.5), ("factor_2_extra", 2.0)]
        if batch_size and batch_size > 1:
            scalings += [("mean_missing", float(batch_size)), ("mean_extra", 1.0 / batch_size)]
        bases = list((candidates or {}).items()) + [(k, c) for k, c in generic if k == "transposed"]
        for key, candidate in bases:
            for scale_key, factor in scalings:
                if scale_key != key and _matches(actual, _multiply(factor, _asarray(candidate, dtype=np.float64)), rtol, atol):
                    return f"{key}+{scale_key}"
        for (key_a, a), (key_b, b) in itertools.combinations(scalings, 2):
            if {key_a, key_b} != {"factor_2_missing", "factor_2_extra"} and _matches(actual, expected * a * b, rtol, atol):
                return f"{key_a}+{key_b}"
    return None


# ---- building candidates from mutated forward passes --------------------------------
#
# A candidate is what a learner's answer would be with one slip. It is computed by
# differentiating (numerically) a forward pass that carries the slip, or by a plain
# transformation of the inputs or of the reference answer; never from a backward formula.

def slip_sentence(key: str, hints: Mapping[str, str] | None = None) -> str:
    """The sentence for slip ``key``: the exercise's hint if given, else the default.
    Two slips at once (``"a+b"``) are both named."""
    if "+" in key and key not in (hints or {}):
        first, second = key.split("+", 1)
        return f"two things at once: (1) {slip_sentence(first, hints)}; (2) {slip_sentence(second, hints)}"
    return (hints or {}).get(key) or SLIP_MESSAGES.get(key) or key.replace("_", " ")


def by_output(slips: Mapping[str, Mapping[str, np.ndarray]]) -> dict:
    """Turn ``{slip: {output: array}}`` into ``{output: {slip: array}}``, the layout
    :func:`course_utils.feedback.check` takes for functions with several outputs.
    The order of the slips is kept (the first match wins)."""
    table: dict = {}
    for slip, outputs in slips.items():
        for output, value in outputs.items():
            table.setdefault(output, {})[slip] = value
    return table


def merge_candidates(*tables: Mapping[str, Mapping[str, np.ndarray]]) -> dict:
    """Join several ``{output: {slip: array}}`` tables; earlier slips are tried first."""
    merged: dict = {}
    for table in tables:
        for output, slips in table.items():
            merged.setdefault(output, {}).update(slips)
    return merged


def loss_candidates(mutated_losses: Mapping[str, Callable[[dict], float]],
                    params: Mapping[str, np.ndarray], keys=None) -> dict:
    """Differentiate each mutated loss numerically with respect to ``params``.

    ``mutated_losses`` maps a slip key to ``f(params) -> float``, a loss whose forward
    pass carries that slip. Returns ``{param name: {slip: gradient}}``; only ``keys``
    (default: all) are kept.
    """
    from course_utils.gradcheck import numerical_gradients

    slips = {}
    for slip, loss in mutated_losses.items():
        grads = numerical_gradients(loss, params)
        slips[slip] = {k: v for k, v in grads.items() if keys is None or k in keys}
    return by_output(slips)


def vjp_candidates(mutated_forwards: Mapping[str, Callable[..., np.ndarray]],
                   inputs: Mapping[str, np.ndarray], dout) -> dict:
    """For each mutated forward ``f(**inputs)``, the gradients a backward function would
    return for the upstream gradient ``dout``. Returns ``{input name: {slip: array}}``."""
    from course_utils.gradcheck import numerical_vjp

    return by_output({slip: numerical_vjp(forward, inputs, dout)
                      for slip, forward in mutated_forwards.items()})


def scaled_candidates(expected: Mapping[str, np.ndarray], factors: Mapping[str, float]) -> dict:
    """Slips that scale every output by the same factor (a missing 1/N, a mean instead of
    a sum): ``{output: {slip: factor * expected[output]}}``."""
    return by_output({slip: {k: factor * _asarray(v, dtype=np.float64) for k, v in expected.items()}
                      for slip, factor in factors.items()})


def shape_slip(shape: tuple, expected_shape: tuple) -> str | None:
    """Name a slip from a wrong shape alone, or return ``None``.

    ``"transposed"`` when a non-square 2-D result has the expected shape reversed;
    ``"not_summed_over_batch"`` when there is one extra leading axis;
    ``"paths_not_summed"`` when one number is expected and a vector came back;
    ``"keepdims"`` when a (1, H) array came back for an (H,) one.
    """
    shape, expected_shape = tuple(shape), tuple(expected_shape)
    if shape == expected_shape:
        return None
    if len(expected_shape) == 2 and expected_shape[0] != expected_shape[1] and shape == expected_shape[::-1]:
        return "transposed"
    if expected_shape == () and len(shape) == 1 and shape[0] > 1:
        return "paths_not_summed"
    if len(shape) == len(expected_shape) + 1 and shape[1:] == expected_shape and shape[0] > 1:
        return "not_summed_over_batch"
    if len(expected_shape) == 1 and shape == (1,) + expected_shape:
        return "keepdims"
    return None
