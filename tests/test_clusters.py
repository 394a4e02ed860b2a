"""The centre-and-corners data and the exact best-line search."""
import itertools

import numpy as np
import pytest

from course_utils.clusters import best_line, best_line_accuracy, centre_and_corners


def brute_force_best_line(X, y):
    """Independent oracle: every line through two points, with those two put on either side.

    Any split of points in general position by a line can be made by a line through two
    of them, so trying all of these (plus "everything one class") finds the best split.
    """
    n = len(y)
    best = max(y.mean(), 1 - y.mean())
    for i, j in itertools.combinations(range(n), 2):
        direction = X[j] - X[i]
        normal = np.array([-direction[1], direction[0]])
        side = X @ normal - normal @ X[i]
        for si, sj in itertools.product([False, True], repeat=2):
            above = side > 0
            above[i], above[j] = si, sj
            accuracy = np.mean(above == (y == 1))
            best = max(best, accuracy, 1 - accuracy)
    return best


def test_generator_is_deterministic_and_balanced():
    X1, y1 = centre_and_corners(seed=5)
    X2, y2 = centre_and_corners(seed=5)
    X3, _ = centre_and_corners(seed=6)
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)
    assert not np.array_equal(X1, X3)
    assert X1.shape == (200, 2) and y1.shape == (200,)
    assert y1.sum() == 100
    corners = X1[y1 == 0]
    assert all(((np.sign(corners) == s).all(axis=1)).sum() > 15 for s in [(-1, -1), (-1, 1), (1, -1), (1, 1)])


@pytest.mark.parametrize("seed", range(12))
def test_best_line_equals_brute_force_oracle_on_small_sets(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 10))
    X = rng.normal(size=(n, 2))
    y = rng.integers(0, 2, size=n)
    assert best_line_accuracy(X, y) == pytest.approx(brute_force_best_line(X, y))


@pytest.mark.parametrize("seed", [0, 3])
def test_returned_line_reaches_the_reported_accuracy_and_beats_random_lines(seed):
    X, y = centre_and_corners(seed=seed)
    line = best_line(X, y)
    assert np.mean((X @ line["normal"] > line["offset"]) == (y == 1)) == pytest.approx(line["accuracy"])
    rng = np.random.default_rng(seed)
    angles, offsets = rng.uniform(0, 2 * np.pi, 3000), rng.uniform(-3, 3, 3000)
    normals = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    random_best = np.max(np.mean((X @ normals.T > offsets) == (y[:, None] == 1), axis=0))
    assert random_best <= line["accuracy"]


def test_known_cases_separable_xor_and_the_notebook_data():
    X = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    assert best_line_accuracy(X, np.array([1, 1, 0, 0])) == 0.75   # XOR: one point must be wrong
    assert best_line_accuracy(X, np.array([0, 1, 0, 1])) == 1.0     # split by x1 = 0.5
    X, y = centre_and_corners(seed=0)
    assert best_line_accuracy(X, y) == 0.75
