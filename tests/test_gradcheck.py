"""The numerical gradients every check relies on agree with an independent autodiff library."""
import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from course_utils.gradcheck import (PASS_BELOW, SUSPICIOUS_BELOW, check_gradient, compare_gradients,
                                    numerical_gradient, numerical_gradients, numerical_vjp,
                                    relative_error, sample_indices, verdict_for)

# Smooth scalar functions written once with autograd.numpy, so the same code serves as
# the function we differentiate numerically and as autograd's input.
FUNCTIONS = {
    "mse": lambda x: anp.mean((x - 0.3) ** 2),
    "tanh_sum": lambda x: anp.sum(anp.tanh(x) * anp.arange(x.size).reshape(x.shape)),
    "softplus_product": lambda x: anp.sum(anp.log1p(anp.exp(x))) * anp.mean(x ** 3),
}


@pytest.mark.parametrize("name", FUNCTIONS)
@pytest.mark.parametrize("shape", [(1,), (5,), (3, 4), (2, 3, 2)])
def test_numerical_gradient_matches_autograd(name, shape):
    f = FUNCTIONS[name]
    x = np.random.default_rng(sum(shape)).normal(size=shape)
    exact = autograd.grad(f)(x)
    result = compare_gradients(exact, numerical_gradient(f, x))
    assert result.verdict == "pass", str(result)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(-3, 3), min_size=1, max_size=8))
def test_numerical_gradient_of_a_quadratic_is_exact_to_rounding(values):
    x = np.array(values)
    numeric = numerical_gradient(lambda v: np.sum(v ** 2), x)
    np.testing.assert_allclose(numeric, 2 * x, atol=1e-8)


def test_numerical_gradient_leaves_its_input_untouched():
    x = np.arange(6.0).reshape(2, 3)
    before = x.copy()
    numerical_gradient(lambda v: np.sum(v ** 3), x)
    assert np.array_equal(x, before)


def test_numerical_gradients_of_a_layer_match_autograd_for_every_parameter():
    rng = np.random.default_rng(3)
    params = {"W": rng.normal(size=(4, 3)), "b": rng.normal(size=(3,))}
    X = rng.normal(size=(5, 4))

    def loss(p):
        return anp.mean(anp.maximum(X @ p["W"] + p["b"], 0.0) ** 2 + anp.tanh(X @ p["W"]))

    exact = autograd.grad(loss)(params)
    numeric = numerical_gradients(loss, params)
    for key in params:
        assert compare_gradients(exact[key], numeric[key]).verdict == "pass", key


def test_numerical_vjp_matches_autograd_vector_jacobian_product():
    rng = np.random.default_rng(4)
    X, W, b = rng.normal(size=(5, 4)), rng.normal(size=(4, 3)), rng.normal(size=(3,))
    dout = rng.normal(size=(5, 3))

    def forward(X, W, b):
        return anp.tanh(X @ W + b)

    numeric = numerical_vjp(forward, {"X": X, "W": W, "b": b}, dout)
    for position, key in enumerate(["X", "W", "b"]):
        exact = autograd.make_vjp(lambda *a, i=position: forward(*a), argnum=position)(X, W, b)[0](dout)
        assert compare_gradients(exact, numeric[key]).verdict == "pass", key


def test_sampled_mode_computes_only_the_sampled_entries():
    x = np.random.default_rng(5).normal(size=(30, 40))
    f = FUNCTIONS["tanh_sum"]
    indices = sample_indices(x.shape, 10, np.random.default_rng(0))
    numeric = numerical_gradient(f, x, indices=indices)
    assert np.isfinite(numeric).sum() == 10
    assert check_gradient(f, x, autograd.grad(f)(x), sample=10).verdict == "pass"


@pytest.mark.parametrize("error, verdict", [(0.0, "pass"), (PASS_BELOW / 2, "pass"),
                                            (PASS_BELOW * 2, "suspicious"), (SUSPICIOUS_BELOW, "fail"),
                                            (float("nan"), "fail")])
def test_verdict_thresholds(error, verdict):
    assert verdict_for(error) == verdict


def test_relative_error_has_a_floor_so_two_zeros_agree():
    assert relative_error(0.0, 0.0) == 0.0
    assert relative_error(1e-12, 0.0) < 1e-3


def test_a_wrong_gradient_fails_and_the_worst_entry_is_located():
    exact = np.zeros((3, 4))
    wrong = exact.copy()
    wrong[2, 1] = 1.0
    result = compare_gradients(wrong, exact)
    assert result.verdict == "fail"
    assert result.worst[0][0] == (2, 1)
    assert "(2, 1)" in str(result)


def test_a_kink_within_the_step_reads_as_suspicious_or_fail_not_pass():
    # ReLU evaluated right at its kink: the central difference averages both sides.
    f = lambda v: np.sum(np.maximum(v, 0.0))
    x = np.array([0.0, 1.0])
    assert check_gradient(f, x, np.array([0.0, 1.0])).verdict == "fail"
