"""Reference functions of notebook 06: one-hot, parameter counts, the small networks."""
import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

from course_utils.reference import architecture as ref


@pytest.mark.parametrize("classes,n", [(2, 1), (10, 25), (13, 7)])
def test_one_hot_has_a_single_one_at_each_label(classes, n):
    labels = np.random.default_rng(classes).integers(0, classes, size=n)
    codes = ref.one_hot(labels, classes)
    assert codes.shape == (n, classes)
    assert np.array_equal(codes.sum(axis=1), np.ones(n))
    assert np.array_equal(codes.argmax(axis=1), labels)


def test_one_hot_makes_every_wrong_digit_equally_far():
    codes = ref.one_hot(np.arange(10))
    distances = ((codes[:, None, :] - codes[None, :, :]) ** 2).sum(axis=2)
    assert np.array_equal(distances, 2 * (1 - np.eye(10)))


@pytest.mark.parametrize("sizes,total,rows", [
    ([784, 10], 7_850, [7_850]),
    ([784, 256, 128, 10], 235_146, [200_960, 32_896, 1_290]),
    ([2, 8, 1], 33, [24, 9]),
])
def test_parameter_counts_reproduce_the_seed_numbers(sizes, total, rows):
    assert ref.count_parameters(sizes) == total
    table = ref.parameter_table(sizes)
    assert table.shape == (len(sizes) - 1, 3)
    assert table[:, 2].tolist() == rows
    assert table[:, :2].tolist() == [list(p) for p in zip(sizes[:-1], sizes[1:])]


def test_gpt3_count_is_within_one_percent_of_175_billion():
    assert ref.gpt3_parameters() == 174_604_259_328
    assert abs(ref.gpt3_parameters() / 175e9 - 1) < 0.01


@pytest.mark.parametrize("config,released", [
    ((12, 768, 50257, 1024), 124_439_808),      # GPT-2 small, as its released weights count
    ((24, 1024, 50257, 1024), 354_823_168),     # GPT-2 medium
    ((36, 1280, 50257, 1024), 774_030_080),     # GPT-2 large
    ((48, 1600, 50257, 1024), 1_557_611_200),   # GPT-2 XL
])
def test_transformer_count_matches_released_gpt2_models(config, released):
    assert ref.gpt3_parameters(*config) == released


@pytest.mark.parametrize("d", [64, 768, 12288])
def test_transformer_block_is_twelve_d_squared_plus_thirteen_d(d):
    assert sum(ref.transformer_block_parameters(d).values()) == 12 * d * d + 13 * d


def test_network_forward_matches_the_written_out_formula():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(7, 2))
    p = {"W1": rng.normal(size=(2, 5)), "b1": rng.normal(size=5), "W2": rng.normal(size=(5, 1)), "b2": rng.normal(size=1)}
    manual = [sum(max(0.0, X[n] @ p["W1"][:, j] + p["b1"][j]) * p["W2"][j, 0] for j in range(5)) + p["b2"][0]
              for n in range(7)]
    assert np.allclose(ref.network_forward(p, X), manual)
    lin = {"W": rng.normal(size=(2, 1)), "b": rng.normal(size=1)}
    assert np.allclose(ref.network_forward(lin, X), X @ lin["W"][:, 0] + lin["b"][0])


def test_least_squares_linear_has_zero_gradient_by_autodiff():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(40, 2)), rng.integers(0, 2, size=40).astype(float)
    best = ref.least_squares_linear(X, y)
    theta = np.concatenate([best["W"].ravel(), best["b"]])
    loss = lambda t: anp.mean((anp.dot(X, t[:2]) + t[2] - y) ** 2)  # noqa: E731
    assert np.allclose(grad(loss)(theta), 0, atol=1e-10)
    assert np.isclose(ref.mse(best, X, y), loss(theta))
