"""Numerical gradients by central differences, and a verdict on an analytic gradient.

Contract: every reference gradient in the course comes from here, computed in float64
from a reference *forward* pass. The package holds no analytic answer to a backward
exercise; the project's tests confirm these numbers against an independent autodiff
library.

Naming follows the glossary: for a scalar loss ``L`` and an array ``Z``, ``dZ`` is
∂L/∂Z and has the shape of ``Z``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

# Thresholds on the relative error, in one place. Central differences in float64 with
# h = 1e-5 agree with an exact gradient to about 1e-9 on smooth functions; anything
# above 1e-3 is a real mistake, in between is worth a second look (often a kink such
# as ReLU at 0 sitting within h of an input).
PASS_BELOW = 1e-6
SUSPICIOUS_BELOW = 1e-3
# Entries whose gradients are both smaller than this count as equal (avoids 0/0).
RELATIVE_ERROR_FLOOR = 1e-8
DEFAULT_STEP = 1e-5


def numerical_gradient(f: Callable[[np.ndarray], float], x, h: float = DEFAULT_STEP,
                       indices=None) -> np.ndarray:
    """Central-difference gradient of a scalar function of one array.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``, evaluated on float64 copies of ``x``.
    x : array_like, any shape S
        Point at which to differentiate. It is not modified.
    h : float
        Step: ``(f(x + h e_i) - f(x - h e_i)) / (2 h)``.
    indices : sequence of index tuples, optional
        Only these entries are computed (sampled mode for large arrays); the rest of
        the returned array is NaN.

    Returns
    -------
    ndarray of shape S, float64
    """
    point = np.array(x, dtype=np.float64, copy=True)
    grad = np.full(point.shape, np.nan) if indices is not None else np.zeros(point.shape)
    for index in (indices if indices is not None else np.ndindex(point.shape)):
        index = tuple(index)
        original = point[index]
        point[index] = original + h
        f_plus = float(f(point.copy()))
        point[index] = original - h
        f_minus = float(f(point.copy()))
        point[index] = original
        grad[index] = (f_plus - f_minus) / (2 * h)
    return grad


def numerical_gradients(f: Callable[[dict], float], params: Mapping[str, np.ndarray],
                        h: float = DEFAULT_STEP, indices: Mapping[str, list] | None = None) -> dict:
    """Central-difference gradients of ``f(params) -> float`` for every array in a dict.

    Each entry of ``params`` is perturbed in turn while the others stay fixed; the
    function always receives a fresh dict of float64 copies.

    Returns
    -------
    dict with the same keys; ``grads[k]`` has the shape of ``params[k]``.
    """
    base = {k: np.array(v, dtype=np.float64, copy=True) for k, v in params.items()}
    grads = {}
    for name in base:
        def f_of_one(value, name=name):
            return f({**base, name: value})
        grads[name] = numerical_gradient(f_of_one, base[name], h,
                                         None if indices is None else indices.get(name))
    return grads


def numerical_vjp(forward: Callable[..., np.ndarray], inputs: Mapping[str, np.ndarray],
                  dout, h: float = DEFAULT_STEP) -> dict:
    """Reference gradients of a layer for a given upstream gradient ``dout``.

    A backward function receives ``dout`` (∂L/∂out) and returns ∂L/∂input for each
    input. That is the gradient of the scalar ``sum(dout * forward(**inputs))``, which
    is what this computes numerically.

    Returns
    -------
    dict mapping each input name to an array of that input's shape.
    """
    upstream = np.asarray(dout, dtype=np.float64)
    return numerical_gradients(lambda p: float(np.sum(upstream * forward(**p))), inputs, h)


def sample_indices(shape: tuple, count: int, rng: np.random.Generator) -> list[tuple]:
    """Up to ``count`` distinct random index tuples into an array of ``shape``."""
    size = int(np.prod(shape))
    flat = rng.choice(size, size=min(count, size), replace=False)
    return [tuple(int(i) for i in np.unravel_index(k, shape)) for k in flat]


def relative_error(analytic, numeric, floor: float = RELATIVE_ERROR_FLOOR) -> np.ndarray:
    """Elementwise ``|a - n| / max(|a| + |n|, floor)``; 0 where both are tiny."""
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    return np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), floor)


@dataclass
class GradCheck:
    """The outcome of comparing an analytic gradient with a numerical one.

    ``verdict`` is "pass", "suspicious" or "fail"; ``worst`` lists up to five
    ``(index, analytic, numeric, relative_error)`` tuples, largest error first.
    """
    verdict: str
    max_relative_error: float
    worst: list = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"{self.verdict}: largest relative error {self.max_relative_error:.2e}"
                 f" (pass below {PASS_BELOW:g}, fail from {SUSPICIOUS_BELOW:g})"]
        for index, a, n, err in self.worst:
            lines.append(f"  at {index}: yours {a:.6g}, numerical {n:.6g} (relative error {err:.1e})")
        return "\n".join(lines)


def verdict_for(max_error: float) -> str:
    """Map a relative error to "pass", "suspicious" or "fail"."""
    if not np.isfinite(max_error) or max_error >= SUSPICIOUS_BELOW:
        return "fail"
    return "pass" if max_error < PASS_BELOW else "suspicious"


def compare_gradients(analytic, numeric, top: int = 5) -> GradCheck:
    """Compare two same-shaped gradients; NaN entries of ``numeric`` (unsampled) are skipped."""
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    if a.shape != n.shape:
        raise ValueError(f"gradient shapes differ: analytic {a.shape}, numerical {n.shape}")
    errors = relative_error(a, n)
    errors = np.where(np.isnan(n), -1.0, np.where(np.isfinite(a), errors, np.inf))
    order = np.argsort(errors, axis=None)[::-1][:top]
    worst = [(tuple(int(i) for i in np.unravel_index(k, a.shape)), float(a.flat[k]), float(n.flat[k]),
              float(errors.flat[k])) for k in order if errors.flat[k] >= 0]
    largest = float(errors.max()) if errors.size else 0.0
    largest = max(largest, 0.0)
    return GradCheck(verdict_for(largest), largest, worst)


def check_gradient(f: Callable[[np.ndarray], float], x, analytic, sample: int | None = None,
                   seed: int = 0) -> GradCheck:
    """Numerically differentiate ``f`` at ``x`` (all entries, or ``sample`` random ones)
    and compare with ``analytic``."""
    x = np.asarray(x, dtype=np.float64)
    indices = None if sample is None else sample_indices(x.shape, sample, np.random.default_rng(seed))
    return compare_gradients(analytic, numerical_gradient(f, x, indices=indices))
