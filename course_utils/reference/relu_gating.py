"""Reference forward passes for notebook 04 (ReLU gating), in float64.

ReLU is a switch: ``relu(z)`` keeps ``z`` where it is positive and gives 0 elsewhere.
Around any point it is linear with slope 1 (on) or 0 (off); at exactly 0 the course
takes the slope to be 0. :func:`relu_frozen` is that local linear piece, the ReLU with
its on/off state (its slope) held fixed: differentiating a forward pass built from it
gives the course's gradients even when a pre-activation sits exactly at 0.
No function here is a backward formula.
"""
import numpy as np


def relu(z):
    """``max(z, 0)`` elementwise; same shape as ``z``."""
    z = np.asarray(z, dtype=np.float64)
    return np.where(z > 0, z, 0.0)


def relu_frozen(z, slope, at):
    """The ReLU's linear piece at ``at``: ``relu(at) + slope * (z - at)``.

    Equal to ``relu(z)`` at ``z = at``; ``slope`` is the gate (1 on, 0 off), measured
    elsewhere (see :func:`course_utils.checks.relu_gating.relu_slope`).
    """
    z = np.asarray(z, dtype=np.float64)
    at = np.asarray(at, dtype=np.float64)
    return relu(at) + np.asarray(slope, dtype=np.float64) * (z - at)


def pre_activation(x, w, b):
    """One neuron's weighted sum plus bias: ``z = w · x + b`` (x and w of shape (D,))."""
    return float(np.dot(np.asarray(w, dtype=np.float64), np.asarray(x, dtype=np.float64)) + float(b))


def neuron_forward(x, w, b, slope=None, at=None):
    """``y_hat = relu(w · x + b)``; with ``slope`` and ``at``, the ReLU is frozen there."""
    z = pre_activation(x, w, b)
    return float(relu(z) if slope is None else relu_frozen(z, slope, at))


def squared_error(y_hat, y):
    """``(y_hat - y)**2`` for one prediction."""
    return float((np.asarray(y_hat, dtype=np.float64) - np.asarray(y, dtype=np.float64)) ** 2)


def neuron_loss(x, w, b, y, slope=None, at=None):
    """Squared error of one ReLU neuron: ``(relu(w · x + b) - y)**2``."""
    return squared_error(neuron_forward(x, w, b, slope, at), y)
