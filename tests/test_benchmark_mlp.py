"""benchmarks/mlp_numpy.py: one step of the fast trainer equals a plain gradient-descent step
with numerical gradients of the reference forward, and momentum accumulates as documented."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from course_utils.gradcheck import numerical_gradients
from course_utils.reference import mlp as ref

_spec = importlib.util.spec_from_file_location("mlp_numpy", Path(__file__).resolve().parent.parent / "benchmarks" / "mlp_numpy.py")
mlp_numpy = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mlp_numpy)


def _params(net):
    out = {}
    for k, (W, b) in enumerate(zip(net.W, net.b), start=1):
        out[f"W{k}"], out[f"b{k}"] = W.astype(np.float64), b.astype(np.float64)
    return out


@pytest.mark.parametrize("sizes", [(5, 4, 3), (6, 5, 4, 2)])
def test_one_fast_step_is_a_gradient_descent_step(sizes):
    rng = np.random.default_rng(3)
    net = mlp_numpy.FastMLP(sizes, batch_size=4, seed=1)
    for b in net.b:
        b[:] = rng.normal(size=b.shape) * 0.1
    net.X[:] = rng.normal(size=net.X.shape)
    net.Y[:] = np.eye(sizes[-1], dtype=np.float32)[rng.integers(0, sizes[-1], 4)]
    before = _params(net)
    X, Y = net.X.astype(np.float64), net.Y.astype(np.float64)
    expected = numerical_gradients(lambda p: float(np.mean((ref.mlp_forward(X, p) - Y) ** 2)), before)
    loss = net.step(lr=0.5, momentum=0.9)
    assert np.isclose(loss, np.mean((ref.mlp_forward(X, before) - Y) ** 2), rtol=1e-5)
    after = _params(net)
    for key in before:   # velocity started at 0, so the first step is -lr * grad
        np.testing.assert_allclose(after[key], before[key] - 0.5 * expected[key], rtol=1e-4, atol=1e-5)


def test_shifted_copies_move_pixels_by_one_and_keep_the_original():
    image = np.zeros((1, 28 * 28), np.uint8)
    image[0, 14 * 28 + 14] = 255
    copies = mlp_numpy.shifted_copies(image).reshape(9, 28, 28)
    spots = sorted(tuple(int(i) for i in np.argwhere(c)[0]) for c in copies)
    assert spots == [(r, c) for r in (13, 14, 15) for c in (13, 14, 15)]
