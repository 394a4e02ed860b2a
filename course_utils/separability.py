"""A tiny trainer for the separability widget: a linear model or one ReLU hidden layer
on two-dimensional points, full-batch gradient descent on the MSE.

Contract: pure NumPy, no drawing. Gradients are central differences of the reference
forward pass (:func:`course_utils.reference.architecture.mse`), as everywhere in this
package, so it holds no analytic backward pass; with at most a few hundred parameters
a step still takes milliseconds.
"""
from __future__ import annotations

import numpy as np

from course_utils.gradcheck import numerical_gradients
from course_utils.reference.architecture import accuracy, mse, network_forward


def init_params(width: int, rng: np.random.Generator) -> dict:
    """Starting weights: width 0 is the linear model {W (2,1), b (1,)}, else {W1, b1, W2, b2}.

    Hidden biases start at 0.5 so that every ReLU is on near the origin at first.
    """
    if width == 0:
        return {"W": rng.normal(scale=0.1, size=(2, 1)), "b": np.zeros(1)}
    return {"W1": rng.normal(size=(2, width)), "b1": np.full(width, 0.5),
            "W2": rng.normal(scale=1 / np.sqrt(width), size=(width, 1)), "b2": np.zeros(1)}


def learning_rate(width: int) -> float:
    """0.1, smaller for wide layers: the output adds up ``width`` terms, so steps grow with it."""
    return min(0.1, 1.0 / max(width, 1))


def parameter_count(width: int) -> int:
    """Number of weights and biases of the model with this hidden width (0 = linear)."""
    return 3 if width == 0 else 4 * width + 1


def train_steps(params: dict, X, y, lr: float, n_steps: int = 1) -> dict:
    """``n_steps`` of ``p <- p - lr * dL/dp`` for every array; returns new arrays."""
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    params = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    for _ in range(n_steps):
        grads = numerical_gradients(lambda p: mse(p, X, y), params)
        params = {k: params[k] - lr * grads[k] for k in params}
    return params


def score_grid(params: dict, xlim=(-3.0, 3.0), ylim=(-3.0, 3.0), resolution: int = 121):
    """The model's scores on a grid, for drawing regions: returns (xx, yy, scores), each (R, R)."""
    xx, yy = np.meshgrid(np.linspace(*xlim, resolution), np.linspace(*ylim, resolution))
    scores = network_forward(params, np.column_stack([xx.ravel(), yy.ravel()])).reshape(xx.shape)
    return xx, yy, scores


class Session:
    """The widget's state: data, model, step count. No drawing and no widgets here."""

    def __init__(self, X, y, width: int = 0, seed: int = 0):
        self.X, self.y, self.seed = np.asarray(X, dtype=np.float64), np.asarray(y), seed
        self.reset(width)

    def reset(self, width: int | None = None) -> None:
        if width is not None:
            self.width = int(width)
        self.params = init_params(self.width, np.random.default_rng(self.seed))
        self.step = 0

    def train(self, n_steps: int = 1) -> None:
        self.params = train_steps(self.params, self.X, self.y, learning_rate(self.width), n_steps)
        self.step += n_steps

    @property
    def accuracy(self) -> float:
        return accuracy(self.params, self.X, self.y)

    @property
    def loss(self) -> float:
        return mse(self.params, self.X, self.y)

    def readout(self) -> str:
        model = "linear model" if self.width == 0 else f"hidden layer of {self.width} ReLUs"
        return (f"{model} ({parameter_count(self.width)} parameters) | step {self.step} | "
                f"accuracy {100 * self.accuracy:.1f}% | loss {self.loss:.4f}")
