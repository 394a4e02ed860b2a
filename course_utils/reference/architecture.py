"""Reference functions for notebook 06 (architecture): one-hot targets, parameter counts,
and the forward pass of the small networks trained on the centre-and-corners data.

Shapes follow the glossary: a batch ``X`` is (N, D); a layer is ``X @ W + b`` with
``W`` (D, H) and ``b`` (H,).
"""
from __future__ import annotations

import numpy as np


def one_hot(labels, num_classes: int = 10) -> np.ndarray:
    """(N,) integer labels -> (N, num_classes) float array with a single 1 per row."""
    labels = np.asarray(labels).astype(int).ravel()
    out = np.zeros((labels.size, num_classes))
    out[np.arange(labels.size), labels] = 1.0
    return out


def layer_parameters(n_in: int, n_out: int) -> int:
    """A fully connected layer: a weight per (input, output) pair plus a bias per output."""
    return int(n_in) * int(n_out) + int(n_out)


def parameter_table(layer_sizes) -> np.ndarray:
    """One row ``(n_in, n_out, parameters)`` per layer, as an (L, 3) integer array."""
    sizes = [int(s) for s in layer_sizes]
    return np.array([(a, b, layer_parameters(a, b)) for a, b in zip(sizes[:-1], sizes[1:])],
                    dtype=np.int64).reshape(-1, 3)


def count_parameters(layer_sizes) -> int:
    """Total parameters of a stack of fully connected layers, e.g. [784, 10] -> 7850."""
    return int(parameter_table(layer_sizes)[:, 2].sum())


def transformer_block_parameters(d_model: int) -> dict:
    """Where a GPT-style block's parameters sit, counted as fully connected layers.

    Attention: four d->d layers (query, key, value, output). Feed-forward: d->4d->d.
    Two layer norms, each with a scale and a shift per feature.
    """
    d = int(d_model)
    return {"attention": 4 * layer_parameters(d, d),
            "feed_forward": layer_parameters(d, 4 * d) + layer_parameters(4 * d, d),
            "layer_norms": 2 * 2 * d}


def gpt3_parameters(n_layers: int = 96, d_model: int = 12288, vocab: int = 50257,
                    context: int = 2048) -> int:
    """Parameters of a GPT-style model: blocks, token and position embeddings, final norm.

    The output layer reuses the token embedding (tied weights), so it adds nothing.
    GPT-3's defaults give 174,604,259,328; GPT-2 small (12, 768, 50257, 1024) gives
    124,439,808.
    """
    d = int(d_model)
    blocks = int(n_layers) * sum(transformer_block_parameters(d).values())
    embeddings = int(vocab) * d + int(context) * d
    return blocks + embeddings + 2 * d


def network_forward(params, X) -> np.ndarray:
    """Scores (N,) of the linear model {W (2,1), b (1,)} or the ReLU net {W1, b1, W2, b2}.

    Linear: ``X @ W + b``. One hidden layer: ``relu(X @ W1 + b1) @ W2 + b2``.
    A score above 0.5 means "centre" (class 1).
    """
    X = np.asarray(X, dtype=np.float64)
    p = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    if "W1" in p:
        hidden = np.maximum(0.0, X @ p["W1"] + p["b1"])
        return (hidden @ p["W2"] + p["b2"]).reshape(-1)
    return (X @ p["W"] + p["b"]).reshape(-1)


def predict(params, X) -> np.ndarray:
    """Class 0/1 per row of X: 1 (centre) where the score is above 0.5."""
    return (network_forward(params, X) > 0.5).astype(int)


def accuracy(params, X, y) -> float:
    """Fraction of rows of X whose predicted class equals y."""
    return float(np.mean(predict(params, X) == np.asarray(y).ravel()))


def mse(params, X, y) -> float:
    """Mean squared error of the scores against the 0/1 targets."""
    return float(np.mean((network_forward(params, X) - np.asarray(y, dtype=np.float64).ravel()) ** 2))


def least_squares_linear(X, y) -> dict:
    """The linear model with the lowest MSE, solved in closed form (no training)."""
    X = np.asarray(X, dtype=np.float64)
    design = np.hstack([X, np.ones((len(X), 1))])
    coef, *_ = np.linalg.lstsq(design, np.asarray(y, dtype=np.float64).ravel(), rcond=None)
    return {"W": coef[:-1].reshape(-1, 1), "b": coef[-1:]}
