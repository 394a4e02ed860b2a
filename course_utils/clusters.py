"""The centre-and-corners data set, and the best accuracy any straight line reaches on it.

Contract: :func:`centre_and_corners` is deterministic for a given seed; class 1 is a
cluster at the origin, class 0 four clusters at the corners of a square around it.
:func:`best_line` searches *every* straight line exactly (not a sample of them) and
returns the highest accuracy one can reach, with such a line.
"""
from __future__ import annotations

import numpy as np

CORNERS = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])


def centre_and_corners(n_points: int = 200, seed: int = 0, spread: float = 0.35,
                       distance: float = 1.6) -> tuple[np.ndarray, np.ndarray]:
    """Half the points around (0, 0) with label 1, the rest split over four corners with label 0.

    Parameters
    ----------
    n_points : int, a multiple of 8 keeps the corners equal in size.
    seed : int, the data are the same for the same seed.
    spread : standard deviation of every cluster.
    distance : the corners sit at (±distance, ±distance).

    Returns
    -------
    X : (N, 2) float array; y : (N,) int array of 0/1.
    """
    rng = np.random.default_rng(seed)
    n_centre = n_points // 2
    per_corner = np.full(4, (n_points - n_centre) // 4)
    per_corner[: (n_points - n_centre) % 4] += 1
    centres = [np.zeros((n_centre, 2))] + [np.tile(c * distance, (k, 1)) for c, k in zip(CORNERS, per_corner)]
    X = np.vstack(centres) + rng.normal(scale=spread, size=(n_points, 2))
    y = np.concatenate([np.ones(n_centre, dtype=int), np.zeros(n_points - n_centre, dtype=int)])
    order = rng.permutation(n_points)
    return X[order], y[order]


def _critical_directions(X: np.ndarray) -> np.ndarray:
    """Angles in [0, pi), one inside every arc where the order of the projections stays the same.

    The order of two points along a normal direction n swaps only when n is
    perpendicular to the segment joining them; between those angles nothing changes.
    """
    i, j = np.triu_indices(len(X), k=1)
    diff = X[j] - X[i]
    angles = np.sort(np.mod(np.arctan2(diff[:, 1], diff[:, 0]) + np.pi / 2, np.pi))
    angles = np.unique(np.concatenate([[0.0], angles]))
    between = (angles + np.append(angles[1:], angles[0] + np.pi)) / 2
    return np.mod(between, np.pi)


def best_line(X, y, chunk: int = 2000) -> dict:
    """Exhaustive search over all straight lines for the best two-class accuracy.

    For every direction in :func:`_critical_directions` the points are sorted by their
    projection and every split of that order is scored, with either side called class 1.
    That covers every way a line can divide the points.

    Returns
    -------
    dict with ``accuracy`` (float), and a line ``normal`` (2,), ``offset`` such that
    points with ``X @ normal > offset`` are predicted class 1.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y).astype(int).ravel()
    n = len(y)
    best = (-1, 0.0, 0, 1)  # (correct, angle, split, side)
    for start in range(0, len(angles := _critical_directions(X)), chunk):
        theta = angles[start:start + chunk]
        proj = X @ np.vstack([np.cos(theta), np.sin(theta)])          # (N, A)
        labels = y[np.argsort(proj, axis=0)]                          # (N, A) labels in projection order
        zeros_before = np.vstack([np.zeros((1, len(theta))), np.cumsum(1 - labels, axis=0)])
        ones_after = labels.sum(axis=0) - np.vstack([np.zeros((1, len(theta))), np.cumsum(labels, axis=0)])
        correct = zeros_before + ones_after                           # (N+1, A): class 1 above the split
        for side, score in ((1, correct), (-1, n - correct)):
            k, a = np.unravel_index(int(np.argmax(score)), score.shape)
            if score[k, a] > best[0]:
                best = (int(score[k, a]), float(theta[a]), int(k), side)
    correct, angle, k, side = best
    normal = np.array([np.cos(angle), np.sin(angle)])
    proj = np.sort(X @ normal)
    padded = np.concatenate([[proj[0] - 1.0], proj, [proj[-1] + 1.0]])
    offset = (padded[k] + padded[k + 1]) / 2
    return {"accuracy": correct / n, "normal": side * normal, "offset": side * offset}


def best_line_accuracy(X, y) -> float:
    """The highest accuracy any straight line reaches on (X, y); see :func:`best_line`."""
    return best_line(X, y)["accuracy"]
