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


def mlp_forward_gate_frozen_open(X, params, base_params):
    """The same values as :func:`mlp_forward` at ``base_params``, but every hidden unit passes
    changes straight through, as if ReLU had slope 1 everywhere.

    Differentiating this at ``base_params`` gives the gradient a learner gets when the ReLU
    mask is missing from the backward pass: each hidden activation is ``Z + c`` with the
    constant ``c = relu(Z0) - Z0`` frozen at the base point.
    """
    X = np.asarray(X, dtype=np.float64)
    L = n_layers(params)
    offsets, A = [], X
    for k in range(1, L):
        Z0 = A @ np.asarray(base_params[f"W{k}"], dtype=np.float64) + np.asarray(base_params[f"b{k}"], dtype=np.float64)
        offsets.append(np.maximum(Z0, 0.0) - Z0)
        A = np.maximum(Z0, 0.0)
    A = X
    for k in range(1, L + 1):
        Z = A @ np.asarray(params[f"W{k}"], dtype=np.float64) + np.asarray(params[f"b{k}"], dtype=np.float64)
        A = Z + offsets[k - 1] if k < L else Z
    return A


def accuracy(scores, labels) -> float:
    """Fraction of rows whose largest score sits at the true label."""
    return float(np.mean(np.argmax(np.asarray(scores), axis=1) == np.asarray(labels)))
