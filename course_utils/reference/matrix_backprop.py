"""Reference forward passes for notebook 05 (matrix backprop), in float64.

Shapes follow the glossary: X (N, D), W1 (D, H), b1 (H,), W2 (H, C), b2 (C,), Y (N, C).
A hidden neuron j reaches output k through the weight ``W[j, k]``. No function here is a
backward formula: gradients are obtained by differentiating these numerically.
"""
import numpy as np

from course_utils.reference.relu_gating import relu, relu_frozen


def _f(a):
    return np.asarray(a, dtype=np.float64)


def path_outputs(a, w_row):
    """What one hidden neuron with activation ``a`` sends to each output: ``a * w_row`` (C,)."""
    return _f(a) * _f(w_row)


def layer_outputs(A, W):
    """What every hidden neuron sends to every output, summed per output: ``A @ W``.

    ``A`` (the hidden activations) is (H,) for one example or (N, H) for a batch; ``W`` is (H, C).
    """
    return _f(A) @ _f(W)


def linear_forward(X, W, b):
    """``X @ W + b``: X (N, D), W (D, H), b (H,) -> (N, H)."""
    return _f(X) @ _f(W) + _f(b)


def hidden_activations(X, params, slope=None, at=None):
    """``relu(X @ W1 + b1)``, (N, H); with ``slope``/``at`` the ReLU is frozen at ``at``."""
    Z1 = linear_forward(X, params["W1"], params["b1"])
    return relu(Z1) if slope is None else relu_frozen(Z1, slope, at)


def two_layer_forward(X, params, slope=None, at=None):
    """Scores ``Y_hat = relu(X @ W1 + b1) @ W2 + b2``, shape (N, C)."""
    return linear_forward(hidden_activations(X, params, slope, at), params["W2"], params["b2"])


def mse(Y_hat, Y) -> float:
    """Mean of ``(Y_hat - Y)**2`` over all N * C entries."""
    return float(np.mean((_f(Y_hat) - _f(Y)) ** 2))


def two_layer_loss(X, Y, params, slope=None, at=None) -> float:
    """MSE of the two-layer network on (X, Y)."""
    return mse(two_layer_forward(X, params, slope, at), Y)
