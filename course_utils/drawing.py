"""Turn a digit drawn with the mouse into a 28×28 MNIST-style image.

Contract: :func:`render_strokes` paints mouse strokes (lists of (x, y) canvas points)
as thick round-capped lines on a square canvas with values in [0, 1]; :func:`to_mnist`
prepares such a picture the way MNIST's digits were prepared: the ink's bounding box is
scaled so that its longer side is 20 pixels, placed in a 28×28 frame and moved so that
its centre of mass sits at the centre. Result: (784,) float32 in [0, 1], 1 = ink.
"""
from __future__ import annotations

import numpy as np

SIDE, BOX = 28, 20


def render_strokes(strokes, size: int = 280, width: float = 18.0) -> np.ndarray:
    """Paint strokes (each a sequence of (x, y) points) into a (size, size) float32 image."""
    image = np.zeros((size, size), dtype=np.float32)
    radius = width / 2
    for stroke in strokes:
        points = np.asarray(stroke, dtype=np.float64).reshape(-1, 2)
        if len(points) == 0:
            continue
        if len(points) == 1:
            points = np.vstack([points, points])
        for (x0, y0), (x1, y1) in zip(points[:-1], points[1:]):
            lo_x, hi_x = int(max(0, min(x0, x1) - radius - 2)), int(min(size, max(x0, x1) + radius + 3))
            lo_y, hi_y = int(max(0, min(y0, y1) - radius - 2)), int(min(size, max(y0, y1) + radius + 3))
            if lo_x >= hi_x or lo_y >= hi_y:
                continue
            ys, xs = np.mgrid[lo_y:hi_y, lo_x:hi_x] + 0.5
            dx, dy = x1 - x0, y1 - y0
            length2 = dx * dx + dy * dy
            t = np.clip(((xs - x0) * dx + (ys - y0) * dy) / length2, 0, 1) if length2 else 0.0
            distance = np.hypot(xs - (x0 + t * dx), ys - (y0 + t * dy))
            ink = np.clip(radius + 0.5 - distance, 0, 1).astype(np.float32)
            np.maximum(image[lo_y:hi_y, lo_x:hi_x], ink, out=image[lo_y:hi_y, lo_x:hi_x])
    return image


def _area_resize(image: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Shrink by averaging the input pixels that fall into each output cell."""
    def edges(n_in, n_out):
        return np.minimum(np.floor(np.arange(n_out) * n_in / n_out).astype(int), n_in - 1)
    summed = np.add.reduceat(np.add.reduceat(image, edges(image.shape[0], rows), axis=0),
                             edges(image.shape[1], cols), axis=1)
    counts = np.add.reduceat(np.add.reduceat(np.ones_like(image), edges(image.shape[0], rows), axis=0),
                             edges(image.shape[1], cols), axis=1)
    return summed / counts


def to_mnist(picture, threshold: float = 0.05) -> np.ndarray:
    """An MNIST-style (784,) float32 vector from a square picture (ink = high values).

    An empty picture gives all zeros.
    """
    picture = np.asarray(picture, dtype=np.float32)
    rows, cols = np.nonzero(picture > threshold)
    if rows.size == 0:
        return np.zeros(SIDE * SIDE, dtype=np.float32)
    crop = picture[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    scale = BOX / max(crop.shape)
    height, width = max(1, round(crop.shape[0] * scale)), max(1, round(crop.shape[1] * scale))
    if crop.shape[0] >= height and crop.shape[1] >= width:
        small = _area_resize(crop, height, width)
    else:  # a tiny mark: repeat pixels instead of averaging
        small = crop[np.arange(height) * crop.shape[0] // height][:, np.arange(width) * crop.shape[1] // width]
    frame = np.zeros((SIDE, SIDE), dtype=np.float32)
    top, left = (SIDE - height) // 2, (SIDE - width) // 2
    frame[top:top + height, left:left + width] = small
    total = frame.sum()
    if total > 0:
        ys, xs = np.indices(frame.shape)
        shift_y = int(round(SIDE / 2 - 0.5 - (ys * frame).sum() / total))
        shift_x = int(round(SIDE / 2 - 0.5 - (xs * frame).sum() / total))
        shift_y = int(np.clip(shift_y, -top, SIDE - top - height))
        shift_x = int(np.clip(shift_x, -left, SIDE - left - width))
        frame = np.roll(frame, (shift_y, shift_x), axis=(0, 1))
    return np.clip(frame, 0, 1).ravel()
