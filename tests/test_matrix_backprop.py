"""Reference gradients for notebook 05 agree with autograd, on non-square shapes and
with pre-activations exactly at 0; the slip helpers behave as documented."""
import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

from course_utils.checks.matrix_backprop import (hidden_blames_expected, linear_backward_expected,
                                                 two_layer_candidates, two_layer_expected)
from course_utils.diagnosis import by_output, diagnose_key, merge_candidates, scaled_candidates, shape_slip

SHAPES = [(5, 4, 3, 2), (3, 2, 6, 4), (7, 6, 4, 3)]


def _relu(z):
    return anp.where(z > 0, z, 0.0)


def _net(N, D, H, C, seed):
    rng = np.random.default_rng(seed)
    X = rng.integers(-4, 5, size=(N, D)) / 2
    params = {"W1": rng.integers(-4, 5, size=(D, H)) / 4, "b1": rng.integers(-4, 5, size=H) / 8,
              "W2": rng.normal(size=(H, C)), "b2": rng.normal(size=C)}
    params["b1"][0] = -float(X[0] @ params["W1"][:, 0])  # a pre-activation exactly at 0
    return X, rng.normal(size=(N, C)), params


@pytest.mark.parametrize("N, D, H, C", SHAPES)
def test_two_layer_reference_matches_autograd_with_a_kink_at_zero(N, D, H, C):
    X, Y, params = _net(N, D, H, C, seed=N * D)
    assert (X @ params["W1"] + params["b1"])[0, 0] == 0.0

    def loss(W1, b1, W2, b2):
        return anp.mean((_relu(anp.dot(X, W1) + b1) @ W2 + b2 - Y) ** 2)
    ours = two_layer_expected(X, Y, params)
    args = [params[k] for k in ("W1", "b1", "W2", "b2")]
    for i, key in enumerate(("W1", "b1", "W2", "b2")):
        np.testing.assert_allclose(ours[key], grad(loss, i)(*args), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("N, D, H", [(4, 3, 2), (2, 5, 3), (6, 1, 4)])
def test_linear_reference_matches_autograd(N, D, H):
    rng = np.random.default_rng(N + D + H)
    X, W, b, dout = rng.normal(size=(N, D)), rng.normal(size=(D, H)), rng.normal(size=H), rng.normal(size=(N, H))

    def f(X_, W_, b_):
        return anp.sum(dout * (anp.dot(X_, W_) + b_))
    for i, ours in enumerate(linear_backward_expected(X, W, b, dout)):
        np.testing.assert_allclose(ours, grad(f, i)(X, W, b), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("deltas_shape", [(3,), (5, 3)])
def test_hidden_blames_reference_matches_autograd(deltas_shape):
    rng = np.random.default_rng(3)
    W, deltas = rng.normal(size=(4, 3)), rng.normal(size=deltas_shape)
    hidden = np.zeros(deltas_shape[:-1] + (4,))
    oracle = grad(lambda Hh: anp.sum(deltas * anp.dot(Hh, W)))(hidden)
    np.testing.assert_allclose(hidden_blames_expected(deltas, W), oracle, rtol=1e-6, atol=1e-9)


def test_two_layer_slips_are_distinct_from_the_answer_and_from_each_other():
    X, Y, params = _net(5, 4, 3, 2, seed=11)
    expected = two_layer_expected(X, Y, params)
    slips = two_layer_candidates(X, Y, params, expected)["W1"]
    values = {"answer": expected["W1"], **slips}
    names = list(values)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert not np.allclose(values[a], values[b]), f"{a} and {b} cannot be told apart"


@pytest.mark.parametrize("shape, expected, key", [
    ((3, 4), (4, 3), "transposed"), ((5, 3), (3,), "not_summed_over_batch"), ((3,), (), "paths_not_summed"),
    ((3, 3), (3, 3), None), ((2, 4), (4, 3), None),
])
def test_shape_slip_names_only_telltale_shapes(shape, expected, key):
    assert shape_slip(shape, expected) == key


def test_candidate_tables_are_reshaped_and_merged_in_order():
    table = by_output({"a": {"W": np.zeros(2)}, "b": {"W": np.ones(2), "b": np.ones(1)}})
    assert list(table["W"]) == ["a", "b"] and list(table["b"]) == ["b"]
    merged = merge_candidates({"W": {"c": np.full(2, 2.0)}}, table)
    assert list(merged["W"]) == ["c", "a", "b"]
    scaled = scaled_candidates({"W": np.array([1.0, 2.0])}, {"half": 0.5})
    assert diagnose_key(np.array([0.5, 1.0]), np.array([1.0, 2.0]), candidates=scaled["W"]) == "half"


def test_gradient_report_passes_a_right_backward_and_names_the_slip_of_a_wrong_one(capsys):
    from course_utils.checks.matrix_backprop import TWO_LAYER_HINTS, gradient_report

    X, Y, params = _net(5, 4, 3, 2, seed=5)

    def backward(X, Y, params, mask=True):
        Z1 = X @ params["W1"] + params["b1"]
        A1 = np.maximum(Z1, 0)
        dY = 2 * (A1 @ params["W2"] + params["b2"] - Y) / Y.size
        dA1 = dY @ params["W2"].T
        dZ1 = dA1 * (Z1 > 0) if mask else dA1
        return {"W1": X.T @ dZ1, "b1": dZ1.sum(0), "W2": A1.T @ dY, "b2": dY.sum(0)}
    report = gradient_report(backward, X, Y, params)
    assert all(r.verdict == "pass" for r in report.values())
    report = gradient_report(lambda *a: backward(*a, mask=False), X, Y, params)
    assert report["W1"].verdict == "fail" and report["W2"].verdict == "pass"
    assert TWO_LAYER_HINTS["mask_missing"] in capsys.readouterr().out
