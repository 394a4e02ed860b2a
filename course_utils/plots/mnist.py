"""Pictures for notebook 07: digits, training curves, templates, features, confusion, mistakes."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from course_utils.plots.figures import Picture, finish

SIDE = 28


def _image(row) -> np.ndarray:
    return np.asarray(row, dtype=np.float32).reshape(SIDE, SIDE)


def plot_digits(images, labels, n_rows: int = 4, n_cols: int = 10, title: str | None = None):
    """A grid of the first ``n_rows * n_cols`` images, each with its label above it.

    The grid is one picture in one axes (the images tiled with a gap between them) and one
    text per label: forty separate axes would cost a second of the kernel's time to build
    and as much again to draw, for the same look.
    """
    images = [_image(image) for image, _ in zip(images, labels)][:n_rows * n_cols]
    labels = list(labels)[:len(images)]
    gap, title_room = 3, 8                  # pixels between images, and above each for its label
    cell_w, cell_h = SIDE + gap, SIDE + gap + title_room
    mosaic = np.full((n_rows * cell_h, n_cols * cell_w), np.nan, dtype=np.float32)
    width = n_cols * 0.9                    # inches: each digit about 0.8 inch wide, as a row of small axes
    fig, ax = plt.subplots(figsize=(width, width * mosaic.shape[0] / mosaic.shape[1] + (0.45 if title else 0.1)))
    for k, (image, label) in enumerate(zip(images, labels)):
        row, col = divmod(k, n_cols)
        top, left = row * cell_h + title_room, col * cell_w + gap // 2
        mosaic[top:top + SIDE, left:left + SIDE] = image
        ax.text(left + SIDE / 2, top - 1.5, str(label), ha="center", va="bottom", fontsize=9)
    cmap = plt.get_cmap("gray_r").with_extremes(bad="white")   # the gaps: paper, like the background
    finite = mosaic[np.isfinite(mosaic)]
    ax.imshow(mosaic, cmap=cmap, vmin=float(finite.min()) if finite.size else 0.0,
              vmax=float(finite.max()) if finite.size else 1.0)
    ax.axis("off")
    if title:
        fig.suptitle(title)
    finish(fig)
    return fig


def plot_loss_curve(losses, steps_per_epoch: int | None = None, ax=None, title="Training loss"):
    """The loss of every minibatch (faint) and its running mean over ~an epoch (bold)."""
    losses = np.asarray(losses, dtype=np.float64)
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 3))
    else:
        fig = ax.figure
    steps = np.arange(1, len(losses) + 1)
    ax.plot(steps, losses, color="tab:blue", alpha=0.25, lw=0.8, label="one minibatch")
    window = max(1, min(len(losses), steps_per_epoch or 50))
    if len(losses) >= window:
        smooth = np.convolve(losses, np.ones(window) / window, mode="valid")
        ax.plot(steps[window - 1:], smooth, color="tab:blue", lw=2, label=f"mean of the last {window}")
    ax.set(xlabel="training step (one minibatch)", ylabel="MSE loss", title=title)
    if len(losses) and np.all(losses > 0):
        ax.set_yscale("log")
    ax.legend(loc="upper right", fontsize=8)
    finish(fig)
    return fig


def plot_templates(W, title="What each output neuron looks for (784 → 10 weights)"):
    """Each column of a (784, 10) weight matrix drawn as a 28×28 image: red adds, blue subtracts.

    The colour scale ends at the 99th percentile of |W|, so that a few rarely inked border
    pixels with large weights do not wash out the shapes.
    """
    W = np.asarray(W, dtype=np.float64)
    limit = float(np.percentile(np.abs(W), 99)) or 1.0
    fig, axes = plt.subplots(1, W.shape[1], figsize=(W.shape[1] * 1.1, 1.6))
    for digit, ax in enumerate(np.ravel(axes)):
        ax.imshow(_image(W[:, digit]), cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_title(f"digit {digit}", fontsize=9)
        ax.axis("off")
    fig.suptitle(title, fontsize=10)
    finish(fig)
    return fig


def strongest_units(W1, W2, count: int = 16) -> np.ndarray:
    """Indices of the hidden units of layer 1 whose outgoing weights (rows of W2) are largest."""
    strength = np.linalg.norm(np.asarray(W2, dtype=np.float64), axis=1)
    return np.argsort(strength)[::-1][:count]


def plot_features(W1, units, title="Strongest features of the first hidden layer"):
    """The incoming weights (columns of W1) of the given hidden units as 28×28 images."""
    W1 = np.asarray(W1, dtype=np.float64)
    cols = min(8, len(units))
    rows = int(np.ceil(len(units) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.1, rows * 1.25))
    for ax in np.ravel(axes):
        ax.axis("off")
    for ax, unit in zip(np.ravel(axes), units):
        w = W1[:, unit]
        limit = float(np.abs(w).max()) or 1.0
        ax.imshow(_image(w), cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_title(f"unit {unit}", fontsize=8)
    fig.suptitle(title, fontsize=10)
    finish(fig)
    return fig


def confusion_counts(true_labels, predicted, n_classes: int = 10) -> np.ndarray:
    """(n_classes, n_classes) counts: row = true label, column = predicted label."""
    counts = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(counts, (np.asarray(true_labels), np.asarray(predicted)), 1)
    return counts


def plot_confusion(true_labels, predicted, n_classes: int = 10):
    """The confusion matrix with every count written in its cell."""
    counts = confusion_counts(true_labels, predicted, n_classes)
    fig, ax = plt.subplots(figsize=(5.2, 4.6))
    shown = np.log1p(counts)
    ax.imshow(shown, cmap="Blues")
    for (i, j), value in np.ndenumerate(counts):
        if value:
            ax.text(j, i, str(value), ha="center", va="center", fontsize=8,
                    color="white" if shown[i, j] > 0.6 * shown.max() else "black")
    ax.set(xticks=range(n_classes), yticks=range(n_classes), xlabel="the network's answer",
           ylabel="the true digit", title=f"Confusion matrix: {int(np.trace(counts))} of {counts.sum()} right")
    finish(fig)
    return fig


def worst_mistakes(scores, labels, count: int = 8) -> np.ndarray:
    """Indices of wrong answers, the most confident first (largest gap between the
    winning score and the true label's score)."""
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels)
    predicted = scores.argmax(axis=1)
    wrong = np.flatnonzero(predicted != labels)
    gap = scores[wrong, predicted[wrong]] - scores[wrong, labels[wrong]]
    return wrong[np.argsort(gap)[::-1][:count]]


def plot_mistakes(images, scores, labels, indices):
    """Each chosen image with its ten scores as bars: green = true digit, red = the answer given."""
    n = len(indices)
    fig, axes = plt.subplots(2, n, figsize=(n * 1.45, 3.2), gridspec_kw={"height_ratios": [1.2, 1]})
    axes = np.asarray(axes).reshape(2, n)
    for col, index in enumerate(indices):
        s = np.asarray(scores[index], dtype=np.float64)
        guess, truth = int(s.argmax()), int(labels[index])
        axes[0, col].imshow(_image(images[index]), cmap="gray_r")
        axes[0, col].set_title(f"true {truth}, said {guess}", fontsize=8)
        axes[0, col].axis("off")
        colors = ["tab:green" if d == truth else "tab:red" if d == guess else "0.7" for d in range(len(s))]
        axes[1, col].bar(range(len(s)), s, color=colors)
        axes[1, col].set_xticks(range(len(s)))
        axes[1, col].tick_params(labelsize=6)
        axes[1, col].set_ylim(min(-0.2, s.min()), max(1.1, s.max()))
    fig.suptitle("The most confident mistakes (scores below each image)", fontsize=10)
    finish(fig)
    return fig


class DigitAnswerPicture(Picture):
    """What the network sees of a drawing (28x28, left) and its ten scores (right), the
    winner highlighted. Built once; :meth:`update` shows a new image and new scores."""

    figsize = (5.2, 2.6)
    FLOOR, CEILING = -0.2, 1.1   # the score axis at least; scores beyond widen it

    def build(self) -> None:
        self.seen, self.bars_ax = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.6]})
        move = self.moving_artist
        self.seen.axis("off")
        self.image = move(self.seen.imshow(np.zeros((28, 28)), cmap="gray_r", vmin=0, vmax=1))
        self.seen.set_title("nothing drawn yet", fontsize=9)
        move(self.seen.title)
        self.bars = [move(bar) for bar in self.bars_ax.bar(range(10), np.zeros(10), color="tab:blue")]
        self.note = move(self.bars_ax.text(4.5, 0.5, "", ha="center", va="center", fontsize=9, color="0.4"))
        self.bars_ax.set(xticks=range(10), xlabel="digit", ylabel="score", ylim=(self.FLOOR, self.CEILING))
        self.bars_ax.set_title("its ten scores", fontsize=9)
        self.limits = (self.FLOOR, self.CEILING)

    def lay_out(self) -> None:
        # Fixed margins with room for both titles (a layout fitted to the empty first frame
        # cut the titles off at the top).
        self.fig.subplots_adjust(left=0.03, right=0.98, top=0.82, bottom=0.18, wspace=0.3)

    def update(self, image=None, scores=None, note: str = "") -> None:
        """``image``: 784 values in [0, 1] or None (nothing drawn); ``scores``: 10 or None."""
        drawn = image is not None
        self.image.set_data(np.asarray(image).reshape(28, 28) if drawn else np.zeros((28, 28)))
        self.seen.title.set_text("what the network\nsees (28×28)" if drawn else "nothing drawn yet")
        s = np.zeros(10) if scores is None else np.asarray(scores, dtype=np.float64).ravel()
        best = int(s.argmax()) if scores is not None else -1
        for digit, bar in enumerate(self.bars):
            bar.set_height(s[digit])
            bar.set_color("tab:orange" if digit == best else "tab:blue")
        self.note.set_text(note)
        limits = (min(self.FLOOR, float(s.min())), max(self.CEILING, float(s.max())))
        if limits != self.limits:
            self.bars_ax.set_ylim(*limits)
            self.note.set_y(sum(limits) / 2)
            self.limits = limits
            self.background_changed()
