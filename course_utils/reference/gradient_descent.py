"""The loss curve of notebook 02 (gradient descent) and a reference walk down it.

Contract: ``valley_loss(w)`` is the notebook's two-valley curve, a pure function of one
weight (numbers or arrays, elementwise). Its slope comes from central differences, as
every gradient in the package does; ``descend`` is the plain update rule
``w_new = w - lr * dL/dw`` repeated. Checks, plots and the valley widget all use these,
so the curve a learner feels in the exercises is the one the widget draws.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

# The curve: a wide bowl with two dips carved in it. The right dip is deeper, but a
# ball started on the left settles in the left one: gradient descent finds the
# *nearest* valley, not the deepest.
BOWL = 0.1
DIPS = ((1.5, 1.8, 1.0),    # (depth, centre, width²) of the right, deeper valley
        (1.0, -1.6, 0.8))   # the left, shallower valley
LEVEL = 2.0
W_RANGE = (-4.0, 4.0)

# The exercise setting of notebook 02: start, number of steps, and how close to a
# valley bottom counts as converged.
START = -3.5
N_STEPS = 30
TOLERANCE = 0.01

# Beyond this the ball has left for good (the bowl sends it back only for lr < 10).
DIVERGED_BEYOND = 1e6


def valley_loss(w):
    """The notebook's loss curve L(w); float for a number, array for an array."""
    w = np.asarray(w, dtype=np.float64)
    loss = BOWL * w ** 2 + LEVEL
    for depth, centre, width2 in DIPS:
        loss = loss - depth * np.exp(-(w - centre) ** 2 / width2)
    return float(loss) if loss.ndim == 0 else loss


def slope(f: Callable, w, h: float = 1e-6):
    """dL/dw of a scalar curve ``f`` by central differences, elementwise for arrays."""
    w = np.asarray(w, dtype=np.float64)
    result = (np.asarray(f(w + h)) - np.asarray(f(w - h))) / (2 * h)
    return float(result) if np.ndim(result) == 0 else result


def valley_slope(w):
    """The slope of :func:`valley_loss` at ``w`` (what the ball feels under its feet)."""
    return slope(valley_loss, w)


def valley_bottoms() -> np.ndarray:
    """The weights of the curve's local minima, left to right (found numerically)."""
    grid = np.linspace(W_RANGE[0], W_RANGE[1], 8001)
    loss = valley_loss(grid)
    inner = np.flatnonzero((loss[1:-1] < loss[:-2]) & (loss[1:-1] < loss[2:])) + 1
    bottoms = []
    for i in inner:
        lo, hi = grid[i - 1], grid[i + 1]
        for _ in range(60):  # bisect on the sign of the slope
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if valley_slope(mid) < 0 else (lo, mid)
        bottoms.append((lo + hi) / 2)
    return np.array(bottoms)


def descend(df: Callable, w0, lr: float, n_steps: int) -> np.ndarray:
    """Reference gradient descent: the ``n_steps + 1`` weights visited from ``w0``.

    Stops copying the update once the weight is no longer finite (the rest is NaN), so
    a far too large learning rate never raises.
    """
    path = np.full((int(n_steps) + 1,) + np.shape(w0), np.nan)
    path[0] = w0
    with np.errstate(all="ignore"):
        for k in range(int(n_steps)):
            if not np.all(np.isfinite(path[k])) or np.any(np.abs(path[k]) > DIVERGED_BEYOND):
                break
            path[k + 1] = path[k] - lr * np.asarray(df(path[k]), dtype=np.float64)
    return path


def nearest_bottom(w: float) -> float:
    """The valley bottom closest to ``w``."""
    bottoms = valley_bottoms()
    return float(bottoms[np.argmin(np.abs(bottoms - w))])


def classify_learning_rate(lr: float, w0: float = START, n_steps: int = N_STEPS,
                           tol: float = TOLERANCE) -> tuple[str, str]:
    """Simulate ``n_steps`` on the valley from ``w0`` and say what kind of rate ``lr`` is.

    Returns ``(kind, evidence)``: kind is "good" (ends within ``tol`` of a valley
    bottom), "too small" (not there yet, though the loss went down at every step and
    the ball never passed the bottom), "too large" (not there, and the loss went up at
    some step or the weight ran off), "overshooting" (the loss fell, but the ball jumps
    across the bottom at each step and has not settled yet: on the edge of too large),
    or "invalid" (not a positive finite number); evidence is one sentence of numbers.
    """
    if not isinstance(lr, (int, float, np.integer, np.floating)) or isinstance(lr, (bool, np.bool_)) \
            or not np.isfinite(lr) or lr <= 0:
        return "invalid", f"{lr!r} is not a positive number"
    path = descend(valley_slope, w0, float(lr), n_steps)
    if not np.all(np.isfinite(path)):
        last = int(np.flatnonzero(np.isfinite(path))[-1])
        return "too large", f"the weight ran off to {path[last]:.3g} after {last} steps (diverged)"
    losses = valley_loss(path)
    end = float(path[-1])
    bottom = nearest_bottom(end)
    if abs(end - bottom) < tol:
        return "good", (f"after {n_steps} steps w = {end:.4f}, {abs(end - bottom):.4f} from the valley "
                        f"bottom at {bottom:.4f}")
    rises = np.flatnonzero(np.diff(losses) > 1e-12)
    sides = np.sign(path - bottom)
    if rises.size == 0 and losses[-1] < losses[0] and np.all(sides == sides[0]):
        return "too small", (f"the loss fell at every step, but after {n_steps} steps w = {end:.4f} is still "
                             f"{abs(end - bottom):.3f} from the bottom at {bottom:.4f}")
    if rises.size:
        return "too large", (f"the loss went up at step {int(rises[0]) + 1} and after {n_steps} steps "
                             f"w = {end:.4f} is {abs(end - bottom):.3f} from the nearest bottom "
                             f"(the ball jumps across instead of settling)")
    if rises.size == 0 and losses[-1] < losses[0]:
        return "overshooting", (f"the loss fell at every step, but the ball jumps across the bottom and after "
                                f"{n_steps} steps w = {end:.4f} is still {abs(end - bottom):.3f} from it")
    return "invalid", "the loss did not go down at all"
