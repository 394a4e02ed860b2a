"""Notebook 07's whole training recipe on the fast trainer: test accuracy and time.

    python benchmarks/mnist_recipe.py              # the notebook's 4,000-image MNIST subset, 20 epochs
    python benchmarks/mnist_recipe.py --fashion    # all 60,000 Fashion-MNIST images, when installed

The recipe is the notebook's (784 -> 256 -> 128 -> 10, ReLU, one-hot MSE, minibatches
of 32, momentum 0.9, learning rate 0.2 dropped tenfold at 60 % and 85 % of the epochs,
every image moved by up to one pixel each epoch); the steps are taken by
:class:`course_utils.fast_mlp.FastMLP`, which the tests check against notebook 07's
``momentum_update``. One BLAS thread by default: these products are small, and a second
thread costs more in handing out work than it saves.

Not a timed comparison (that is ``benchmarks/mlp.py``): this answers "how good does the
notebook's network get, and how long does it take, when the steps cost little?".
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from course_utils.fast_mlp import FastMLP  # noqa: E402
from course_utils.reference.mlp import mlp_forward  # noqa: E402

LAYERS = (784, 256, 128, 10)


def shifted_copies(images: np.ndarray, side: int = 28) -> np.ndarray:
    """The images moved by one pixel in each of the 8 directions, plus the originals: (9, N, D).

    Pixels moved past the edge are dropped and the uncovered edge is 0 (the notebook's
    ``np.roll`` wraps them round instead; digits have an empty border, so both give the
    same images).
    """
    grid = images.reshape(len(images), side, side)
    out = np.zeros((9, len(images), side, side), dtype=images.dtype)
    k = 0
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            src = grid[:, max(0, -dy):side - max(0, dy), max(0, -dx):side - max(0, dx)]
            out[k, :, max(0, dy):side - max(0, -dy), max(0, dx):side - max(0, -dx)] = src
            k += 1
    return out.reshape(9, len(images), side * side)


def he_init(layer_sizes, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """W_k ~ N(0, 2 / fan_in) of shape (D_k, H_k), b_k = 0 of shape (H_k,), float32."""
    params = {}
    for k, (fan_in, fan_out) in enumerate(zip(layer_sizes, layer_sizes[1:]), start=1):
        params[f"W{k}"] = (rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)).astype(np.float32)
        params[f"b{k}"] = np.zeros(fan_out, np.float32)
    return params


def train(X_train_u8, y_train, epochs=20, batch_size=32, lr=0.2, momentum=0.9, decay_at=(0.6, 0.85),
          shifts=True, seed=0, layer_sizes=LAYERS, callback=None) -> FastMLP:
    """Train on uint8 images (N, 784) scaled to [0, 1]; the learning rate drops 10x at each
    fraction of ``epochs`` listed in ``decay_at``. ``callback(epoch, mean_loss)`` after each epoch."""
    rng = np.random.default_rng(seed + 1)
    net = FastMLP(he_init(layer_sizes, np.random.default_rng(seed)), max_batch=batch_size)
    scale = np.float32(1 / 255)
    pool = shifted_copies(X_train_u8) if shifts else X_train_u8[None]
    eye = np.eye(layer_sizes[-1], dtype=np.float32)
    x = np.empty((batch_size, layer_sizes[0]), np.float32)
    y = np.empty((batch_size, layer_sizes[-1]), np.float32)
    n, steps = len(y_train), len(y_train) // batch_size
    for epoch in range(epochs):
        rate = lr * 0.1 ** sum(epoch >= round(f * epochs) for f in decay_at)
        order = rng.permutation(n)
        version = rng.integers(len(pool), size=n)
        total = 0.0
        for s in range(steps):
            rows = order[s * batch_size:(s + 1) * batch_size]
            np.multiply(pool[version[rows], rows], scale, out=x)
            np.take(eye, y_train[rows], axis=0, out=y)
            total += net.step(x, y, rate, momentum)
        if callback:
            callback(epoch, total / steps)
    return net


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fashion", action="store_true", help="train on full Fashion-MNIST instead")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--no-shifts", action="store_true", help="train on the images as they are")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1)")
    args = parser.parse_args()
    from threadpoolctl import threadpool_limits

    from course_utils.data import load_fashion_mnist, load_mnist

    threadpool_limits(limits=args.threads, user_api="blas")
    data = load_fashion_mnist() if args.fashion else load_mnist(source="subset")
    start = time.perf_counter()
    net = train(data.X_train, data.y_train, epochs=args.epochs, shifts=not args.no_shifts)
    seconds = time.perf_counter() - start
    scores = mlp_forward(data.X_test / 255.0, net.params())
    accuracy = float(np.mean(scores.argmax(1) == data.y_test))
    print(f"{data.source}: test accuracy {accuracy:.2%} on {len(data.y_test):,} images; "
          f"training {args.epochs} epochs on {len(data.y_train):,} images took {seconds:.1f} s")


if __name__ == "__main__":
    main()
