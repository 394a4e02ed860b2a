"""A fast NumPy MLP trainer: the 07_mnist network with preallocated float32 buffers.

The same network and training recipe as notebook 07's solution (ReLU hidden layers, a
linear output, one-hot targets, MSE = mean over all elements, minibatch SGD with
momentum, a step-down learning-rate schedule, optional one-pixel shifts of the training
images), written for speed so that a benchmark can time it:

- every array is float32; every buffer is allocated once in :class:`FastMLP` and reused;
- one training step is exactly 8 matrix products for 784-256-128-10 (3 forward,
  3 for the weight gradients, 2 for the gradients flowing back into hidden layers;
  none for the input image), each written into its buffer with ``np.matmul(..., out=)``;
- everything else (bias, ReLU, its mask, the MSE gradient, momentum) is in place; the
  momentum update (three passes over the 235,146 parameters) is what remains above the
  floor of the 8 products.

It lives outside ``course_utils`` on purpose: the course package holds no analytic answer
to a backward exercise, and this file contains the answer to ``mlp_backward``.

    python benchmarks/mlp_numpy.py                  # offline MNIST subset: accuracy and time
    python benchmarks/mlp_numpy.py --fashion        # full Fashion-MNIST, when installed
"""
from __future__ import annotations

import argparse
import time

import numpy as np

LAYERS = (784, 256, 128, 10)


def shifted_copies(images: np.ndarray, side: int = 28) -> np.ndarray:
    """The images moved by one pixel in each of the 8 directions, plus the originals: (9, N, D)."""
    grid = images.reshape(len(images), side, side)
    out = np.zeros((9, len(images), side, side), dtype=images.dtype)
    k = 0
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            src = grid[:, max(0, -dy):side - max(0, dy), max(0, -dx):side - max(0, dx)]
            out[k, :, max(0, dy):side - max(0, -dy), max(0, dx):side - max(0, -dx)] = src
            k += 1
    return out.reshape(9, len(images), side * side)


class FastMLP:
    """ReLU MLP with a linear output trained on one-hot MSE; all buffers preallocated.

    Parameters
    ----------
    layer_sizes : sequence of int, e.g. (784, 256, 128, 10)
    batch_size : int, the fixed minibatch size B
    seed : int, for He initialisation (weights N(0, 2/fan_in), biases 0)
    """

    def __init__(self, layer_sizes=LAYERS, batch_size: int = 32, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.sizes, self.B = tuple(layer_sizes), batch_size
        f32 = np.float32
        self.W = [(rng.standard_normal((i, o)) * np.sqrt(2.0 / i)).astype(f32) for i, o in zip(self.sizes, self.sizes[1:])]
        self.b = [np.zeros(o, f32) for o in self.sizes[1:]]
        self.vW = [np.zeros_like(w) for w in self.W]
        self.vb = [np.zeros_like(b) for b in self.b]
        self.dW = [np.zeros_like(w) for w in self.W]
        self.db = [np.zeros_like(b) for b in self.b]
        B = batch_size
        self.X = np.zeros((B, self.sizes[0]), f32)
        self.Y = np.zeros((B, self.sizes[-1]), f32)
        self.A = [np.zeros((B, o), f32) for o in self.sizes[1:]]      # activations (last = scores)
        self.D = [np.zeros((B, o), f32) for o in self.sizes[1:]]      # dL/dZ of each layer
        self.mask = [np.zeros((B, o), bool) for o in self.sizes[1:-1]]

    def forward_into(self, X: np.ndarray, out: list) -> np.ndarray:
        """Forward pass of a batch into ``out`` (buffers shaped like self.A for len(X) rows)."""
        inp = X
        last = len(self.W) - 1
        for k, (W, b) in enumerate(zip(self.W, self.b)):
            np.matmul(inp, W, out=out[k])
            out[k] += b
            if k < last:
                np.maximum(out[k], 0, out=out[k])
            inp = out[k]
        return out[-1]

    def step(self, lr: float, momentum: float) -> float:
        """One SGD-with-momentum step on the batch in ``self.X``/``self.Y``; returns the batch loss."""
        A, D, W = self.A, self.D, self.W
        scores = self.forward_into(self.X, A)
        d = D[-1]
        np.subtract(scores, self.Y, out=d)
        loss = float(np.vdot(d, d)) / d.size
        # dL/dscores for L = mean over all elements, times lr: every gradient below is linear in
        # dscores, so they all come out already multiplied by lr (one pass less per parameter).
        d *= 2.0 * lr / d.size
        for k in range(len(W) - 1, -1, -1):
            below = A[k - 1] if k else self.X
            np.matmul(below.T, D[k], out=self.dW[k])
            np.sum(D[k], axis=0, out=self.db[k])
            if k:
                np.matmul(D[k], W[k].T, out=D[k - 1])
                np.greater(A[k - 1], 0, out=self.mask[k - 1])  # ReLU'(z) = 1 where z > 0, 0 at and below 0
                D[k - 1] *= self.mask[k - 1]
        for P, V, G in zip(W + self.b, self.vW + self.vb, self.dW + self.db):
            V *= momentum        # v <- momentum * v - lr * grad ;  p <- p + v
            V -= G
            P += V
        return loss

    def predict(self, X: np.ndarray, chunk: int = 1000) -> np.ndarray:
        """Class scores for float32 inputs (N, D)."""
        parts = []
        for start in range(0, len(X), chunk):
            rows = X[start:start + chunk]
            out = [np.empty((len(rows), o), np.float32) for o in self.sizes[1:]]
            parts.append(self.forward_into(rows, out).copy())
        return np.concatenate(parts)


def train(X_train_u8, y_train, epochs=20, batch_size=32, lr=0.2, momentum=0.9, decay_at=(0.6, 0.85),
          shifts=True, seed=0, layer_sizes=LAYERS, callback=None) -> FastMLP:
    """Train on uint8 images (N, 784) scaled to [0, 1]; the learning rate drops 10x at each
    fraction of ``epochs`` listed in ``decay_at``. ``callback(epoch, mean_loss)`` after each epoch."""
    rng = np.random.default_rng(seed + 1)
    net = FastMLP(layer_sizes, batch_size, seed)
    scale = np.float32(1 / 255)
    pool = shifted_copies(X_train_u8) if shifts else X_train_u8[None]
    eye = np.eye(layer_sizes[-1], dtype=np.float32)
    n, steps = len(y_train), len(y_train) // batch_size
    for epoch in range(epochs):
        rate = lr * 0.1 ** sum(epoch >= round(f * epochs) for f in decay_at)
        order = rng.permutation(n)
        version = rng.integers(len(pool), size=n)
        total = 0.0
        for s in range(steps):
            rows = order[s * batch_size:(s + 1) * batch_size]
            np.multiply(pool[version[rows], rows], scale, out=net.X)
            np.take(eye, y_train[rows], axis=0, out=net.Y)
            total += net.step(rate, momentum)
        if callback:
            callback(epoch, total / steps)
    return net


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fashion", action="store_true", help="train on full Fashion-MNIST instead")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--no-shifts", action="store_true")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1: these products are small)")
    args = parser.parse_args()
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=args.threads, user_api="blas")
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from course_utils.data import load_fashion_mnist, load_mnist

    data = load_fashion_mnist() if args.fashion else load_mnist(source="subset")
    epochs = args.epochs or 20
    start = time.perf_counter()
    net = train(data.X_train, data.y_train, epochs=epochs, shifts=not args.no_shifts)
    seconds = time.perf_counter() - start
    scores = net.predict(data.X_test.astype(np.float32) / 255)
    accuracy = float(np.mean(scores.argmax(1) == data.y_test))
    print(f"{data.source}: test accuracy {accuracy:.2%} on {len(data.y_test):,} images; "
          f"training {epochs} epochs on {len(data.y_train):,} images took {seconds:.1f} s")


if __name__ == "__main__":
    main()
