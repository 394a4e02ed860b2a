"""Checks for notebook 08 (next character): ``softmax``, ``cross_entropy``, ``cross_entropy_grad``.

Expected values come from the reference forward passes in
:mod:`course_utils.reference.next_character`; the expected gradient is a numerical
gradient of the reference cross-entropy. Each slip is a mutated forward pass (or, for
the softmax, a plain transformation of its inputs), never an analytic backward formula.
"""
from __future__ import annotations

import contextlib
import io

import numpy as np

from course_utils.checks.slips import check_named, run_learner
from course_utils.feedback import FAIL_MARK, fail
from course_utils.gradcheck import numerical_gradient
from course_utils.reference import next_character as ref

_asarray, _isfinite, _isinstance = np.asarray, np.isfinite, isinstance

HINTS = {
    "unstabilised": "exp of a large score overflows to infinity (exp(710) is already beyond float64), "
                    "and infinity divided by infinity is NaN. Subtracting the same number from every "
                    "score of a row leaves its probabilities unchanged: choose one that keeps exp small",
    "columns": "the probabilities add up to 1 down each column instead of along each row: "
               "every row (one example) is its own distribution, so normalise along axis=1",
    "columns_shifted_once": "the probabilities add up to 1 down each column instead of along each row: "
                            "every row (one example) is its own distribution, so normalise along axis=1",
    "not_normalised": "these are the exponentials without the division: each row must add up to 1",
    "whole_batch": "the whole batch adds up to 1: each row (one example) must add up to 1 on its own",
    "ce_sum": "the result is N times too large: the loss is the mean over the N examples, not the sum",
    "ce_sign": "the loss is negative: a probability is at most 1, so its log is at most 0, and the loss "
               "is minus the log (the surprise), which is never negative",
    "rows_indexed": "probabilities were picked with p[labels], which takes whole rows: pick one entry "
                    "per row, the label's column of that row (row n, column labels[n])",
    "one_hot_labels": "your function works when the labels are one-hot rows, but here labels are indices "
                      "of shape (N,): labels[n] is the class of example n, not a row of 0s and 1s",
    "mean_missing": "every entry is N times too large: the loss is a mean over the N examples, so its "
                    "gradient carries that 1/N",
    "label_not_subtracted": "this is the gradient of the log of the normaliser alone: the score of the "
                            "right answer also appears in the loss, and its own term is missing",
    "labels_as_one_hot": "the labels were subtracted as if they were numbers in every column: only the "
                         "label's column of each row gets the extra term (labels are indices, not one-hot rows)",
}


def _one_hot(labels, classes: int) -> np.ndarray:
    labels = _asarray(labels, dtype=int)
    out = np.zeros((len(labels), classes))
    out[np.arange(len(labels)), labels] = 1.0
    return out


def _refuse_overflow(result, scores, label: str) -> None:
    """A NaN or infinity on large scores is the unstabilised softmax: name it."""
    __tracebackhide__ = True
    try:
        values = _asarray(result, dtype=np.float64)
    except (TypeError, ValueError):
        return
    if not _isfinite(values).all() and float(np.max(np.abs(scores))) > 700:
        fail(f"{FAIL_MARK}: {label} returned NaN or infinity for scores as large as "
             f"{float(np.max(np.abs(scores))):g}.\n  Likely cause: {HINTS['unstabilised']}.")


def softmax_candidates(scores) -> dict:
    s = _asarray(scores, dtype=np.float64)
    e_rows = np.exp(s - s.max(axis=1, keepdims=True))   # each row shifted by its own largest score
    e_all = np.exp(s - s.max())                          # the whole batch shifted by one number
    return {"columns": e_rows / e_rows.sum(axis=0, keepdims=True),
            "columns_shifted_once": e_all / e_all.sum(axis=0, keepdims=True),
            "whole_batch": e_all / e_all.sum(), "not_normalised": e_rows}


def check_softmax(fn, scores):
    """``fn(scores)`` for scores (N, C) must give each row's probabilities, rows adding up to 1."""
    __tracebackhide__ = True
    result = run_learner(fn, (scores,), name="softmax", arg_names=("scores",), hints=HINTS)
    _refuse_overflow(result, scores, "softmax(scores)")
    return check_named(lambda *_: result, (scores,), ref.softmax(scores), name="softmax", arg_names=("scores",),
                       candidates=softmax_candidates(scores), hints=HINTS,
                       cause="every row is exp of its scores divided by that row's total")


def cross_entropy_candidates(scores, labels) -> dict:
    s, labels = _asarray(scores, dtype=np.float64), _asarray(labels, dtype=int)
    logp = ref.log_softmax(s)
    slips = {"ce_sum": ref.cross_entropy(s, labels) * len(labels), "ce_sign": -ref.cross_entropy(s, labels)}
    if labels.max() < len(labels):  # otherwise p[labels] raises IndexError in the learner's code
        slips["rows_indexed"] = float(-np.mean(logp[labels]))
    return slips


def _works_with_one_hot(fn, scores, labels):
    """Probe: does ``fn`` give the right loss when handed one-hot labels instead?"""
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            value = float(fn(np.array(scores, dtype=np.float64), _one_hot(labels, np.shape(scores)[1])))
    except Exception:  # the probe must never hide the learner's own result
        return None
    return "one_hot_labels" if np.isclose(value, ref.cross_entropy(scores, labels), rtol=1e-6) else None


def check_cross_entropy(fn, scores, labels):
    """``fn(scores, labels)`` must be one number: the mean over the N rows of -log p[n, labels[n]]."""
    __tracebackhide__ = True
    args = (scores, labels)
    expected = ref.cross_entropy(*args)
    result = run_learner(fn, args, name="cross_entropy", arg_names=("scores", "labels"), hints=HINTS,
                         probe=lambda f: _works_with_one_hot(f, scores, labels))
    _refuse_overflow(result, scores, "cross_entropy(scores, labels)")
    try:
        wrong = not np.isclose(float(result), expected, rtol=1e-5)
    except (TypeError, ValueError):
        wrong = False  # not one number: check_named below says so
    if wrong and _works_with_one_hot(fn, scores, labels):
        fail(f"{FAIL_MARK}: cross_entropy(scores, labels) is wrong for index labels.\n"
             f"  Likely cause: {HINTS['one_hot_labels']}.")
    return check_named(lambda *_: result, args, expected, name="cross_entropy",
                       arg_names=("scores", "labels"), candidates=cross_entropy_candidates(*args), hints=HINTS,
                       cause="turn each row into probabilities, take the log of the right answer's "
                             "probability in each row, and average minus those logs")


def _log_normaliser(v) -> np.ndarray:
    """log(sum(exp(v))) of each row, (N,): the largest score minus its log-probability."""
    return v.max(axis=1) - ref.log_softmax(v).max(axis=1)


def cross_entropy_grad_candidates(scores, labels) -> dict:
    """What ``cross_entropy_grad`` returns with each slip: gradients of mutated forward passes."""
    s, labels = _asarray(scores, dtype=np.float64), _asarray(labels, dtype=int)

    def normaliser_only(v):      # the loss without its -score[label] term
        return float(np.mean(_log_normaliser(v)))

    def labels_everywhere(v):    # labels used as numbers in every column
        return float(np.mean(_log_normaliser(v) - labels * v.sum(axis=1)))

    return {"label_not_subtracted": numerical_gradient(normaliser_only, s),
            "labels_as_one_hot": numerical_gradient(labels_everywhere, s)}


def check_cross_entropy_grad(fn, scores, labels):
    """``fn(scores, labels)`` must be dL/dscores (N, C) for L = cross_entropy, checked numerically."""
    __tracebackhide__ = True
    args = (scores, labels)
    s = _asarray(scores, dtype=np.float64)
    expected = numerical_gradient(lambda v: ref.cross_entropy(v, labels), s)
    result = run_learner(fn, args, name="cross_entropy_grad", arg_names=("scores", "labels"), hints=HINTS)
    _refuse_overflow(result, scores, "cross_entropy_grad(scores, labels)")
    return check_named(lambda *_: result, args, expected, name="cross_entropy_grad",
                       arg_names=("scores", "labels"), batch_size=len(labels),
                       candidates=cross_entropy_grad_candidates(*args), hints=HINTS,
                       cause="differentiate the mean over rows of -log softmax(scores)[n, labels[n]] "
                             "with respect to every score, the right answer's and the others'")
