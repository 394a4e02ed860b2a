"""Reference gradients for notebook 04 agree with an independent autodiff library.

The oracle is HIPS autograd differentiating its own ReLU, written as
``where(z > 0, z, 0)`` so that its derivative at exactly 0 is 0 like the course's.
"""
import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

from course_utils.checks.relu_gating import (neuron_backward_candidates, neuron_gradients, relu_backward_candidates,
                                             relu_backward_expected, relu_slope)
from course_utils.reference.relu_gating import relu


def _relu(z):
    return anp.where(z > 0, z, 0.0)


@pytest.mark.parametrize("side, at_zero", [("left", 0.0), ("right", 1.0)])
def test_relu_slope_is_a_0_1_gate_with_the_convention_at_zero(side, at_zero):
    z = np.array([-3.0, -1e-3, 0.0, 1e-3, 2.5])
    np.testing.assert_allclose(relu_slope(z, side), [0, 0, at_zero, 1, 1], atol=1e-6)


@pytest.mark.parametrize("shape", [(7,), (3, 4), (2, 3, 2)])
def test_relu_backward_reference_matches_autograd_including_exact_zeros(shape):
    rng = np.random.default_rng(sum(shape))
    z = np.round(rng.normal(size=shape) * 2, 1)
    z.flat[::3] = 0.0
    dout = rng.normal(size=shape)
    oracle = grad(lambda v: anp.sum(dout * _relu(v)))(z)
    np.testing.assert_allclose(relu_backward_expected(dout, z), oracle, rtol=1e-6, atol=1e-9)


def test_relu_backward_blocks_negative_and_zero_inputs():
    z = np.array([-1.0, 0.0, 2.0])
    np.testing.assert_allclose(relu_backward_expected(np.array([5.0, 5.0, 5.0]), z), [0, 0, 5], atol=1e-6)


@pytest.mark.parametrize("shift", [1.25, -0.75, 0.0])
@pytest.mark.parametrize("size", [2, 5])
def test_neuron_gradients_match_autograd_on_off_and_at_zero(size, shift):
    rng = np.random.default_rng(size)
    x = rng.integers(-4, 5, size=size) / 2
    w = rng.integers(-4, 5, size=size) / 4
    b = -float(np.dot(w, x)) + shift
    y = 1.7

    def loss(w_, b_, x_):
        return (_relu(anp.dot(w_, x_) + b_) - y) ** 2
    ours = neuron_gradients(x, w, b, y)
    np.testing.assert_allclose(ours["dw"], grad(loss, 0)(w, b, x), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ours["db"], grad(loss, 1)(w, b, x), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ours["dx"], grad(loss, 2)(w, b, x), rtol=1e-6, atol=1e-8)


def test_relu_backward_slips_all_differ_from_the_answer_on_the_visible_case():
    z = np.array([-2.0, -0.5, 0.0, 0.5, 3.0])
    dout = np.array([1.0, -2.0, 4.0, 3.0, -1.5])
    expected = relu_backward_expected(dout, z)
    slips = relu_backward_candidates(dout, z)
    values = [expected] + list(slips.values())
    for i, a in enumerate(values):
        for b in values[i + 1:]:
            assert not np.allclose(a, b), "two slips (or a slip and the answer) cannot be told apart"


def test_neuron_slips_are_gradients_of_mutated_forwards():
    # With the gate missing, an off neuron's forward pass still outputs relu(z) = 0, but
    # its error 2 * (0 - y) flows back to w as if the gate were open.
    x, w, b, y = np.array([1.0, 2.0]), np.array([0.5, 0.25]), -1.5, 2.5
    slips = neuron_backward_candidates(x, w, b, y)
    z = np.dot(w, x) + b
    assert z < 0
    np.testing.assert_allclose(slips["dw"]["mask_missing"], 2 * (relu(z) - y) * x, rtol=1e-6)
    np.testing.assert_allclose(slips["dw"]["mask_ge_at_zero"], 0.0, atol=1e-9)  # off is off for `>=` too
