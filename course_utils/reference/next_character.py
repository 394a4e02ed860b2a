"""Reference forward functions for notebook 08 (next character): softmax and cross-entropy.

Forward passes only: the gradient of the cross-entropy is checked against numerical
gradients of :func:`cross_entropy` (see :mod:`course_utils.gradcheck`).
"""
import numpy as np


def softmax(scores) -> np.ndarray:
    """Row-wise softmax of ``scores`` (N, C); each row's largest score is subtracted first,
    which leaves the probabilities unchanged and keeps ``exp`` from overflowing."""
    scores = np.asarray(scores, dtype=np.float64)
    shifted = scores - scores.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def log_softmax(scores) -> np.ndarray:
    """``log(softmax(scores))`` row by row, computed without taking the log of an underflowed 0."""
    scores = np.asarray(scores, dtype=np.float64)
    shifted = scores - scores.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def cross_entropy(scores, labels) -> float:
    """Mean over the N rows of ``-log softmax(scores)[n, labels[n]]``; labels are indices (N,)."""
    logp = log_softmax(scores)
    labels = np.asarray(labels, dtype=int)
    return float(-np.mean(logp[np.arange(len(labels)), labels]))
