"""A fast trainer for the course's MNIST network: the same maths, fewer memory trips.

Contract: :class:`FastMLP` trains a fully connected ReLU network with one-hot MSE and
minibatch SGD, taking exactly the steps that notebook 07's ``mlp_forward``,
``mlp_backward`` and ``sgd_update`` take (or ``momentum_update``, with ``momentum=``):
the same parameters after the same minibatches (the project's tests check each step against numerical gradients and an independent
autodiff library).
It is here for learners who want to see how close plain NumPy gets to the hardware
(``python benchmarks/mlp.py``); it is not needed for any exercise.

Where the time goes in a training step is the eight matrix products (three forward;
two per hidden layer and one for the first layer's weights backward). Everything
else is made to cost little:

- every array a step touches is allocated once, in float32, and reused (``out=``);
- the learning rate and the MSE factor ``2 / (N * C)`` are folded into the output
  error once, so every gradient after it is already the step to take;
- the weight update is fused into the matrix product that computes it: BLAS's
  ``sgemm`` computes ``W <- W - X.T @ dZ`` in one pass (``beta = 1``), so the weight
  gradient is never written to memory and read back;
- ReLU is applied in place, and its backward multiplies by the gate ``H > 0`` read
  from the forward output (``H > 0`` exactly when ``Z > 0``, so ReLU'(0) = 0 as in
  the course);
- a shuffled minibatch is gathered into a fixed buffer with ``np.take(..., out=)``.
- with momentum, the velocity is updated inside the same product (``beta = momentum``)
  and added to the weights in one BLAS ``axpy`` pass; velocities that decay into the
  subnormal range, where the CPU is many times slower, are set to 0 every
  ``FLUSH_EVERY`` steps (on Fashion-MNIST this made 20 epochs of notebook 07's recipe
  take 23 s instead of 220 s, with the same test accuracy).

Shapes follow the glossary: a batch ``X`` is (N, D), layer ``k`` has ``W`` (D_k, H_k)
and ``b`` (H_k,), and ``dZ`` is ∂L/∂Z with Z's shape.
"""
from __future__ import annotations

from typing import Iterable, Mapping

import numpy as np

try:  # BLAS's gemm with beta = 1 updates the weights inside the product
    from scipy.linalg import blas as _blas
except ImportError:  # pragma: no cover - scipy comes with the course's dependencies
    _blas = None


class FastMLP:
    """A ReLU network trained with one-hot MSE and minibatch SGD, in place.

    Parameters
    ----------
    params : mapping
        ``W1, b1, W2, b2, ...`` as in notebook 07: ``Wk`` of shape (D_k, H_k) and
        ``bk`` of shape (H_k,), with ``H_k == D_{k+1}``. They are copied into the
        trainer's own arrays (read them back with :meth:`params`).
    max_batch : int
        Largest minibatch a step will see; buffers are allocated for it once.
    dtype : numpy dtype
        float32 (default) or float64 (used by the tests to compare with float64
        gradients).

    The hidden layers use ReLU; the last layer is linear (scores). The loss of a
    batch of N rows and C outputs is ``mean((S - Y)**2)`` over all N*C entries.
    """

    def __init__(self, params: Mapping[str, np.ndarray], max_batch: int = 128, dtype=np.float32):
        self.dtype = np.dtype(dtype)
        n_layers = sum(1 for key in params if key.startswith("W"))
        self.W = [np.array(params[f"W{k}"], dtype=self.dtype, order="C") for k in range(1, n_layers + 1)]
        self.b = [np.array(params[f"b{k}"], dtype=self.dtype).reshape(-1) for k in range(1, n_layers + 1)]
        for k, (W, b) in enumerate(zip(self.W, self.b), start=1):
            if b.shape != (W.shape[1],):
                raise ValueError(f"b{k} has shape {b.shape}; W{k} {W.shape} needs ({W.shape[1]},)")
            if k > 1 and W.shape[0] != self.W[k - 2].shape[1]:
                raise ValueError(f"W{k} has {W.shape[0]} rows but layer {k - 1} has {self.W[k - 2].shape[1]} outputs")
        self.max_batch = int(max_batch)
        widths = [W.shape[1] for W in self.W]
        B = self.max_batch
        self._x = np.empty((B, self.W[0].shape[0]), self.dtype)
        self._y = np.empty((B, widths[-1]), self.dtype)
        # Per layer k: its output h (after ReLU for hidden layers), the gradient d with
        # respect to its pre-activation, and the ReLU gate; plus ones for bias sums.
        self._full = ([np.empty((B, w), self.dtype) for w in widths],
                      [np.empty((B, w), self.dtype) for w in widths],
                      [np.empty((B, w), bool) for w in widths],
                      np.ones(B, self.dtype))
        self._views: dict[int, tuple] = {}
        gemm = {np.dtype(np.float32): "sgemm", np.dtype(np.float64): "dgemm"}.get(self.dtype)
        self._gemm = getattr(_blas, gemm) if (_blas is not None and gemm) else None
        axpy = {np.dtype(np.float32): "saxpy", np.dtype(np.float64): "daxpy"}.get(self.dtype)
        self._axpy = getattr(_blas, axpy) if (_blas is not None and axpy) else None
        # Momentum: one velocity per W and b, made at the first momentum step.
        self._vW: list[np.ndarray] | None = None
        self._vb: list[np.ndarray] | None = None
        self._momentum_steps = 0

    def params(self) -> dict[str, np.ndarray]:
        """A copy of the parameters, in the notebook's dict layout."""
        out = {}
        for k, (W, b) in enumerate(zip(self.W, self.b), start=1):
            out[f"W{k}"], out[f"b{k}"] = W.copy(), b.copy()
        return out

    # ---- one step ----------------------------------------------------------------

    def _buffers(self, n: int) -> tuple:
        """The first ``n`` rows of every buffer (views, made once per batch size)."""
        if n not in self._views:
            if n > self.max_batch:
                raise ValueError(f"batch of {n} rows; this trainer was built for at most {self.max_batch}")
            hs, ds, gates, ones = self._full
            self._views[n] = ([h[:n] for h in hs], [d[:n] for d in ds], [g[:n] for g in gates], ones[:n])
        return self._views[n]

    def _subtract_product(self, W: np.ndarray, inp: np.ndarray, d: np.ndarray) -> None:
        """``W -= inp.T @ d`` in one BLAS call (``d`` already carries the learning rate).

        BLAS sees a C-ordered array as its Fortran-ordered transpose, so it is asked for
        ``W.T <- 1 * W.T - d.T @ inp``: ``W.T`` (H, D), ``d.T`` (H, n) and ``inp.T``
        (D, n) with ``trans_b=1`` are all Fortran-ordered views of our own memory,
        so nothing is copied and ``W`` changes in place.
        """
        if self._gemm is not None:
            self._gemm(-1.0, d.T, inp.T, beta=1.0, c=W.T, trans_b=1, overwrite_c=1)
        else:  # pragma: no cover - scipy is a dependency of the course
            W -= inp.T @ d

    def _accumulate_product(self, V: np.ndarray, inp: np.ndarray, d: np.ndarray, beta: float) -> None:
        """``V <- beta * V + inp.T @ d`` in one BLAS call (the same transposed view as above)."""
        if self._gemm is not None:
            self._gemm(1.0, d.T, inp.T, beta=beta, c=V.T, trans_b=1, overwrite_c=1)
        else:  # pragma: no cover - scipy is a dependency of the course
            V *= beta
            V += inp.T @ d

    def _add_scaled(self, P: np.ndarray, V: np.ndarray, a: float) -> None:
        """``P <- P + a * V`` in one pass (BLAS axpy on the contiguous arrays, in place)."""
        if self._axpy is not None:
            out = self._axpy(V.reshape(-1), P.reshape(-1), a=a)
            if not np.shares_memory(out, P):  # scipy had to copy: write the result back
                P[...] = out.reshape(P.shape)
        else:  # pragma: no cover - scipy is a dependency of the course
            P += a * V

    # Every this many momentum steps, velocities smaller than the dtype's smallest normal
    # number are set to 0 (see _flush_subnormal_velocities).
    FLUSH_EVERY = 50

    def _velocities(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Momentum buffers v for every W and b, zero until the first momentum step."""
        if self._vW is None:
            self._vW = [np.zeros_like(W) for W in self.W]
            self._vb = [np.zeros_like(b) for b in self.b]
        return self._vW, self._vb

    def _flush_subnormal_velocities(self) -> None:
        """Set velocities below the smallest normal float to exactly 0.

        A weight whose gradient is 0 step after step (an input pixel that is always
        black, a unit that never fires) keeps a velocity that only shrinks,
        ``v <- momentum * v``, until it reaches the subnormal range (below 1.2e-38 in
        float32). The CPU computes with subnormal numbers many times more slowly: on
        Fashion-MNIST half of W1's velocities were subnormal after one epoch, and every
        later epoch took three times as long. Such a velocity moves its weight by less
        than 1e-38, so dropping it changes nothing a float32 weight can show.
        """
        tiny = np.finfo(self.dtype).tiny
        for V in self._vW + self._vb:
            np.copyto(V, 0, where=np.abs(V) < tiny)

    def step(self, x: np.ndarray, y: np.ndarray, lr: float, momentum: float = 0.0) -> float:
        """One SGD step on the batch ``x`` (n, D) with one-hot targets ``y`` (n, C).

        Returns the batch's MSE before the step. Every weight and bias is updated in
        place. With ``momentum == 0`` (default) the step is ``P <- P - lr * dL/dP``;
        otherwise it is notebook 07's ``momentum_update``: ``v <- momentum * v + dL/dP``,
        then ``P <- P - lr * v``, with one velocity ``v`` per parameter kept by the
        trainer (zero at first).
        """
        hs, ds, gates, ones = self._buffers(x.shape[0])
        W, b, last = self.W, self.b, len(self.W) - 1
        # Forward: h_k = ReLU(h_{k-1} @ W_k + b_k); the last layer gives the scores.
        inp = x
        for k in range(last + 1):
            np.matmul(inp, W[k], out=hs[k])
            hs[k] += b[k]
            if k < last:
                np.maximum(hs[k], 0, out=hs[k])  # ReLU in place
            inp = hs[k]
        # dS = 2 (S - Y) / S.size. Without momentum it is also multiplied by lr here,
        # so every gradient computed from it is already the step to take.
        d = ds[last]
        np.subtract(hs[last], y, out=d)
        flat = d.reshape(-1)
        loss = float(np.dot(flat, flat)) / d.size
        d *= 2.0 * (1.0 if momentum else lr) / d.size
        if momentum:
            vW, vb = self._velocities()
            self._momentum_steps += 1
            if self._momentum_steps % self.FLUSH_EVERY == 0:
                self._flush_subnormal_velocities()
        # Backward, top layer first.
        for k in range(last, -1, -1):
            inp = hs[k - 1] if k > 0 else x
            if k > 0:
                # Gradient for the layer below, with W_k before its update. inp is the
                # ReLU output, > 0 exactly where Z > 0: the gate is ReLU'(Z) as 0/1, and
                # multiplying by it beats masked assignment, which branches per entry.
                np.matmul(d, W[k].T, out=ds[k - 1])
                np.greater(inp, 0, out=gates[k - 1])
                np.multiply(ds[k - 1], gates[k - 1], out=ds[k - 1])
            if momentum:
                self._accumulate_product(vW[k], inp, d, momentum)
                vb[k] *= momentum
                vb[k] += ones @ d
                self._add_scaled(W[k], vW[k], -lr)
                self._add_scaled(b[k], vb[k], -lr)
            else:
                self._subtract_product(W[k], inp, d)
                b[k] -= ones @ d  # the bias gradient sums over the batch
            if k > 0:
                d = ds[k - 1]
        return loss

    # ---- one epoch ---------------------------------------------------------------

    def train_epoch(self, X: np.ndarray, Y: np.ndarray, lr: float, batch_size: int | None = None,
                    rng: np.random.Generator | None = None, order: Iterable[int] | None = None,
                    momentum: float = 0.0) -> float:
        """One pass over ``X`` (N, D) / ``Y`` (N, C) in shuffled minibatches.

        The order is ``order`` if given, else a permutation drawn from ``rng`` (the
        notebook's ``rng.permutation(N)``), else the rows in order. The last batch
        may be smaller. ``X`` and ``Y`` should already be in the trainer's dtype
        (else each batch is converted). ``momentum`` as in :meth:`step`. Returns the
        mean of the batch losses.
        """
        batch_size = batch_size or self.max_batch
        N = X.shape[0]
        if order is None:
            order = rng.permutation(N) if rng is not None else np.arange(N)
        order = np.asarray(order)
        same = X.dtype == self.dtype and Y.dtype == self.dtype
        total, steps = 0.0, 0
        for start in range(0, N, batch_size):
            idx = order[start:start + batch_size]
            n = idx.shape[0]
            if same:
                # mode="clip" lets take write straight into out (mode="raise" buffers).
                x = np.take(X, idx, axis=0, out=self._x[:n], mode="clip")
                y = np.take(Y, idx, axis=0, out=self._y[:n], mode="clip")
            else:
                x, y = self._x[:n], self._y[:n]
                x[...] = X[idx]
                y[...] = Y[idx]
            total += self.step(x, y, lr, momentum)
            steps += 1
        return total / max(steps, 1)
