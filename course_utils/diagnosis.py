"""Name the likely slip behind a wrong answer.

Contract: ``diagnose(actual, expected, ...)`` returns a sentence naming the mistake
when the learner's array matches a known slip of the expected one, else ``None``.

Generic slips are transformations of the expected array (sign, a factor 2, 1/N, a
transpose, a sum over the batch left out). Slips that depend on the exercise (a ReLU
mask missing or taken from the wrong array, the upstream gradient not multiplied in)
are passed in as ``candidates``: what the answer would be *with* that slip, which the
exercise computes from a deliberately mutated forward pass, never from an analytic
backward formula.
"""
from __future__ import annotations

from typing import Mapping

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
    hints = dict(hints or {})
    return hints.get(slip) or SLIP_MESSAGES.get(slip) or slip.replace("_", " ")


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
    for key, candidate in generic:
        if _matches(actual, candidate, rtol, atol):
            return key
    if actual.ndim == expected.ndim + 1 and actual.shape[1:] == expected.shape and actual.shape[0] > 1:
        if _matches(actual.sum(axis=0), expected, rtol, atol):
            return "not_summed_over_batch"
    return None
