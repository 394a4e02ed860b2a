"""Notebook 08's reference, text helpers and checks: right answers pass, typical slips are named.

The learner-style implementations live only in this file (the package holds no backward
formula); the expected gradient, a numerical gradient of the reference cross-entropy, is
confirmed against HIPS autograd.
"""
from __future__ import annotations

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

from course_utils import characters
from course_utils.checks import next_character as checks
from course_utils.feedback import CheckFailed
from course_utils.gradcheck import numerical_gradient
from course_utils.reference import next_character as ref


def softmax_ok(s):
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def cross_entropy_ok(s, labels):
    return float(-np.mean(np.log(softmax_ok(s)[np.arange(len(labels)), labels])))


def grad_ok(s, labels):
    d = softmax_ok(s)
    d[np.arange(len(labels)), labels] -= 1
    return d / len(labels)


def _autograd_loss(labels):
    def loss(s):
        shifted = s - anp.max(s, axis=1, keepdims=True)
        logp = shifted - anp.log(anp.sum(anp.exp(shifted), axis=1, keepdims=True))
        return -anp.mean(logp[np.arange(len(labels)), labels])
    return loss


def _case(n, c, seed, shift=0.0):
    rng = np.random.default_rng(seed)
    scores = rng.normal(size=(n, c)) * 3
    scores[0] += shift
    return scores, rng.integers(0, c, size=n)


@pytest.mark.parametrize("n, c, shift", [(4, 3, 0.0), (6, 9, 1000.0), (1, 2, 0.0), (7, 5, -800.0)])
def test_numerical_gradient_of_the_reference_matches_autograd(n, c, shift):
    scores, labels = _case(n, c, seed=n * c, shift=shift)
    numeric = numerical_gradient(lambda v: ref.cross_entropy(v, labels), scores)
    np.testing.assert_allclose(numeric, grad(_autograd_loss(labels))(scores), atol=1e-7)


def test_reference_softmax_is_finite_and_shift_invariant_for_large_scores():
    scores = np.array([[1.0, 2.0, 3.0]])
    np.testing.assert_allclose(ref.softmax(scores + 1000.0), ref.softmax(scores))
    np.testing.assert_allclose(ref.softmax(scores).sum(axis=1), 1.0)
    assert np.isclose(ref.cross_entropy(np.array([[0.0, 0.0, 0.0]]), [1]), np.log(3))


@pytest.mark.parametrize("n, c, shift", [(5, 4, 0.0), (3, 11, 2000.0)])
def test_right_answers_pass(n, c, shift, capsys):
    scores, labels = _case(n, c, seed=c, shift=shift)
    checks.check_softmax(softmax_ok, scores)
    checks.check_cross_entropy(cross_entropy_ok, scores, labels)
    checks.check_cross_entropy_grad(grad_ok, scores, labels)
    assert capsys.readouterr().out.count("PASSED") == 3


def _message(check, fn, *args) -> str:
    with pytest.raises(CheckFailed) as failure:
        check(fn, *args)
    return str(failure.value)


SCORES, LABELS = _case(4, 3, seed=1)
BIG = SCORES + np.array([[1000.0], [0.0], [0.0], [0.0]])


@pytest.mark.parametrize("slip, check, fn, args", [
    ("unstabilised", checks.check_softmax, lambda s: np.exp(s) / np.exp(s).sum(axis=1, keepdims=True), (BIG,)),
    ("columns", checks.check_softmax, lambda s: np.exp(s) / np.exp(s).sum(axis=0, keepdims=True), (SCORES,)),
    ("whole_batch", checks.check_softmax, lambda s: np.exp(s - s.max()) / np.exp(s - s.max()).sum(), (SCORES,)),
    ("ce_sum", checks.check_cross_entropy, lambda s, y: cross_entropy_ok(s, y) * len(y), (SCORES, LABELS)),
    ("ce_sign", checks.check_cross_entropy, lambda s, y: -cross_entropy_ok(s, y), (SCORES, LABELS)),
    ("one_hot_labels", checks.check_cross_entropy,
     lambda s, y: float(-np.mean(np.sum(y * np.log(softmax_ok(s)), axis=1))), (SCORES, LABELS)),
    ("mean_missing", checks.check_cross_entropy_grad, lambda s, y: grad_ok(s, y) * len(y), (SCORES, LABELS)),
    ("label_not_subtracted", checks.check_cross_entropy_grad, lambda s, y: softmax_ok(s) / len(y), (SCORES, LABELS)),
    ("labels_as_one_hot", checks.check_cross_entropy_grad,
     lambda s, y: (softmax_ok(s) - y[:, None]) / len(y), (SCORES, LABELS)),
    ("unstabilised", checks.check_cross_entropy_grad,
     lambda s, y: (np.exp(s) / np.exp(s).sum(axis=1, keepdims=True) - np.eye(s.shape[1])[y]) / len(y), (BIG, LABELS)),
])
def test_each_typical_slip_is_named(slip, check, fn, args):
    with np.errstate(all="ignore"):
        assert checks.HINTS[slip] in _message(check, fn, *args)


def test_one_hot_labels_on_a_square_batch_are_named_too():
    # With N == C the one-hot code broadcasts instead of failing, and returns a wrong number.
    scores, labels = _case(3, 3, seed=4)
    fn = lambda s, y: float(-np.mean(np.sum(y * np.log(softmax_ok(s)), axis=1)))
    assert checks.HINTS["one_hot_labels"] in _message(checks.check_cross_entropy, fn, scores, labels)


def test_zen_text_ships_with_python_and_is_read_quietly(capsys):
    text = characters.zen_text()
    assert text.startswith("The Zen of Python") and "Beautiful is better than ugly." in text
    assert capsys.readouterr().out == ""


def test_training_pairs_put_k_one_hot_characters_side_by_side():
    chars = characters.vocabulary("abcab")
    ids = characters.encode("abcab", chars)
    X, labels = characters.training_pairs(ids, len(chars), k=2)
    assert X.shape == (3, 6) and labels.tolist() == [2, 0, 1]
    assert X[0].tolist() == [1, 0, 0, 0, 1, 0]    # "a" then "b"


def test_generate_draws_each_next_character_from_the_given_distribution():
    chars = "ab"
    always_b = lambda X: np.array([[0.0, 1.0]])
    assert characters.generate(always_b, "a", chars, 1, 5, np.random.default_rng(0)) == "abbbbb"
