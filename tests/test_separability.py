"""The separability trainer: its steps follow the true gradient, and it reproduces the lesson."""
import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

from course_utils.clusters import best_line_accuracy, centre_and_corners
from course_utils.separability import Session, init_params, learning_rate, parameter_count, score_grid, train_steps


def autograd_mse(X, y):
    def loss(p):
        if "W1" in p:
            out = anp.dot(anp.maximum(0.0, anp.dot(X, p["W1"]) + p["b1"]), p["W2"]) + p["b2"]
        else:
            out = anp.dot(X, p["W"]) + p["b"]
        return anp.mean((out[:, 0] - y) ** 2)
    return loss


@pytest.mark.parametrize("width", [0, 1, 5])
def test_a_train_step_moves_against_the_autodiff_gradient(width):
    rng = np.random.default_rng(width)
    X, y = rng.normal(size=(30, 2)), rng.integers(0, 2, size=30).astype(float)
    params = init_params(width, rng)
    expected_grads = grad(autograd_mse(X, y))(params)
    stepped = train_steps(params, X, y, lr=0.1, n_steps=1)
    for name in params:
        assert np.allclose(stepped[name], params[name] - 0.1 * expected_grads[name], atol=1e-8)


@pytest.mark.parametrize("width", [0, 3, 16])
def test_parameter_count_matches_the_initial_arrays(width):
    params = init_params(width, np.random.default_rng(0))
    assert parameter_count(width) == sum(p.size for p in params.values())
    assert learning_rate(width) <= 0.1


def test_hidden_layer_separates_and_linear_stays_below_the_best_line():
    X, y = centre_and_corners(seed=0)
    hidden = Session(X, y, width=8)
    hidden.train(100)
    assert hidden.accuracy >= 0.97 and hidden.step == 100
    linear = Session(X, y, width=0)
    linear.train(200)
    assert linear.accuracy <= best_line_accuracy(X, y)
    assert linear.accuracy < 0.6  # the MSE-trained line stays near chance on this symmetric layout


def test_reset_starts_again_from_the_same_weights():
    X, y = centre_and_corners(seed=2)
    session = Session(X, y, width=4)
    start = {k: v.copy() for k, v in session.params.items()}
    session.train(5)
    session.reset()
    assert session.step == 0
    assert all(np.array_equal(session.params[k], start[k]) for k in start)
    assert "step 0" in session.readout() and "accuracy" in session.readout()


def test_score_grid_covers_the_plane():
    xx, yy, scores = score_grid(init_params(3, np.random.default_rng(0)), resolution=11)
    assert xx.shape == yy.shape == scores.shape == (11, 11)
    assert xx.min() == -3 and yy.max() == 3
