"""Reference forward functions for notebook 03 (the chain rule on a scalar chain).

The chain is ``x -> h = w1 * x -> y_hat = w2 * h -> L = (y_hat - y)**2``; a unit with a
bias is ``z = w * x + b``. Only forward passes live here: every gradient the checks and
the chain-graph widget use is a central difference of these functions.
"""
import numpy as np


def _f(value):
    return np.asarray(value, dtype=np.float64)


def chain_forward(x, w1, w2):
    """Forward pass of the chain: returns ``(h, y_hat)`` with ``h = w1*x``, ``y_hat = w2*h``."""
    h = _f(w1) * _f(x)
    return h, _f(w2) * h


def squared_loss(y_hat, y):
    """The chain's loss for one prediction: ``(y_hat - y)**2``."""
    return (_f(y_hat) - _f(y)) ** 2


def chain_loss(x, w1, w2, y):
    """The loss at the end of the chain, as one function of every input and weight."""
    return squared_loss(chain_forward(x, w1, w2)[1], y)


def loss_from_h(h, w2, y):
    """The part of the chain after the hidden node: ``(w2*h - y)**2``."""
    return squared_loss(_f(w2) * _f(h), y)


def unit_forward(x, w, b):
    """One unit with a bias: ``z = w*x + b`` (elementwise for arrays)."""
    return _f(w) * _f(x) + _f(b)
