"""Reference forward passes for notebook 07 (MNIST): a ReLU MLP with a linear output, in float64.

``params`` holds ``W1, b1, ..., WL, bL`` with ``Wk`` of shape (n_{k-1}, n_k) and ``bk`` (n_k,).
Hidden layers apply ReLU; the last layer gives raw scores. No backward formula here:
expected gradients come from differentiating these forwards numerically.
"""
import numpy as np


def n_layers(params) -> int:
    """Number of weight layers L in a params dict with keys W1, b1, ..., WL, bL."""
    return sum(1 for key in params if key.startswith("W"))


def mlp_forward(X, params, relu_on_output=False, use_bias=True):
    """Scores (N, n_L) of the network; the flags build the mutated forwards used for diagnosis."""
    A = np.asarray(X, dtype=np.float64)
    L = n_layers(params)
    for k in range(1, L + 1):
        Z = A @ np.asarray(params[f"W{k}"], dtype=np.float64)
        if use_bias:
            Z = Z + np.asarray(params[f"b{k}"], dtype=np.float64)
        A = np.maximum(Z, 0.0) if (k < L or relu_on_output) else Z
    return A


def mlp_forward_gate_frozen(X, params, base_params, gate):
    """The same values as :func:`mlp_forward` at ``base_params``, but each hidden unit passes
    changes on with the slope ``gate(Z0)`` frozen at the base point's pre-activation ``Z0``.

    Differentiating this at ``base_params`` gives the gradient a backward pass gets when it
    multiplies by ``gate(Z0)`` where the ReLU's 0/1 mask belongs: each hidden activation is
    ``relu(Z0) + gate(Z0) * (Z - Z0)``.
    """
    X = np.asarray(X, dtype=np.float64)
    L = n_layers(params)
    bases, A = [], X
    for k in range(1, L):
        Z0 = A @ np.asarray(base_params[f"W{k}"], dtype=np.float64) + np.asarray(base_params[f"b{k}"], dtype=np.float64)
        bases.append(Z0)
        A = np.maximum(Z0, 0.0)
    A = X
    for k in range(1, L + 1):
        Z = A @ np.asarray(params[f"W{k}"], dtype=np.float64) + np.asarray(params[f"b{k}"], dtype=np.float64)
        if k < L:
            Z0 = bases[k - 1]
            A = np.maximum(Z0, 0.0) + np.asarray(gate(Z0), dtype=np.float64) * (Z - Z0)
        else:
            A = Z
    return A


def mlp_forward_gate_frozen_open(X, params, base_params):
    """:func:`mlp_forward_gate_frozen` with every gate open (slope 1): the ReLU mask missing."""
    return mlp_forward_gate_frozen(X, params, base_params, np.ones_like)


def accuracy(scores, labels) -> float:
    """Fraction of rows whose largest score sits at the true label."""
    return float(np.mean(np.argmax(np.asarray(scores), axis=1) == np.asarray(labels)))
