"""Pictures for notebook 06: the centre-and-corners data, decision regions, width trade-off."""
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from course_utils.plots.figures import Picture, finish

CENTRE_COLOUR, CORNER_COLOUR = "tab:orange", "tab:blue"
REGIONS = ListedColormap(["#d6e6f5", "#fde3c8"])  # light blue = "corner", light orange = "centre"


def draw_points(ax, X, y):
    """Centre points as orange circles, corner points as blue squares (shape and colour both tell)."""
    X, y = np.asarray(X), np.asarray(y)
    ax.scatter(*X[y == 1].T, s=14, marker="o", color=CENTRE_COLOUR, edgecolor="k", lw=0.3, label="centre (1)")
    ax.scatter(*X[y == 0].T, s=14, marker="s", color=CORNER_COLOUR, edgecolor="k", lw=0.3, label="corner (0)")
    ax.set(xlim=(-3, 3), ylim=(-3, 3), aspect="equal", xlabel="x₁", ylabel="x₂")


def draw_regions(ax, xx, yy, scores):
    """Shade where the score is above 0.5 (centre) or not, and draw the 0.5 contour between them."""
    ax.contourf(xx, yy, (scores > 0.5).astype(float), levels=[-0.5, 0.5, 1.5], cmap=REGIONS)
    if scores.min() < 0.5 < scores.max():
        ax.contour(xx, yy, scores, levels=[0.5], colors="k", linewidths=1.5)


def plot_clusters(X, y, line=None, title="Centre (1) against corners (0)"):
    """The data; with ``line`` (a dict with normal, offset, accuracy) the best straight line too."""
    fig, ax = plt.subplots(figsize=(4.6, 4.6))
    if line is not None:
        xx, yy = np.meshgrid(np.linspace(-3, 3, 201), np.linspace(-3, 3, 201))
        side = (np.column_stack([xx.ravel(), yy.ravel()]) @ line["normal"] > line["offset"]).reshape(xx.shape)
        ax.contourf(xx, yy, side.astype(float), levels=[-0.5, 0.5, 1.5], cmap=REGIONS)
        ax.contour(xx, yy, side.astype(float), levels=[0.5], colors="k", linewidths=1.5)
        title = f"The best straight line: {100 * line['accuracy']:.1f}% right"
    draw_points(ax, X, y)
    ax.set_title(title)
    ax.legend(loc="upper center", fontsize=8, ncol=2, frameon=True)
    finish(fig)
    return fig


class DecisionPicture(Picture):
    """Regions where the model says centre (orange) or corner (blue), its 0.5 contour and the data.

    :meth:`update` takes ``grid = (xx, yy, scores)`` as from
    :func:`course_utils.separability.score_grid` and a title. The regions are an image
    (one call to change), smoothed between grid points; the data are drawn on top of them.
    """

    figsize = (4.6, 4.6)

    def __init__(self, X, y, fig=None):
        self.X, self.y = np.asarray(X), np.asarray(y)
        super().__init__(fig)

    def build(self) -> None:
        ax = self.ax = self.fig.subplots()
        self.regions = self.moving_artist(ax.imshow(np.zeros((2, 2)), cmap=REGIONS, vmin=0, vmax=1,
                                                    extent=(-3, 3, -3, 3), origin="lower",
                                                    interpolation="bilinear", zorder=0))
        self.boundary = None
        draw_points(ax, self.X, self.y)
        for points in ax.collections:   # on top of the regions, so drawn with them
            self.moving_artist(points)
        ax.set_title("model", fontsize=10)
        self.moving_artist(ax.title)

    def update(self, grid, title: str = "") -> None:
        xx, yy, scores = grid
        self.regions.set_data((scores > 0.5).astype(float))
        self.regions.set_extent((xx.min(), xx.max(), yy.min(), yy.max()))
        line = None
        if scores.min() < 0.5 < scores.max():
            line = self.ax.contour(xx, yy, scores, levels=[0.5], colors="k", linewidths=1.5, zorder=1)
        self.boundary = self.replace_moving(self.boundary, line)
        self.ax.title.set_text(title)


def plot_decisions(X, y, grids, titles):
    """Several models' regions side by side (e.g. linear next to hidden layer)."""
    fig, axes = plt.subplots(1, len(grids), figsize=(4.2 * len(grids), 4.3), squeeze=False)
    for ax, (xx, yy, scores), title in zip(axes[0], grids, titles):
        draw_regions(ax, xx, yy, scores)
        draw_points(ax, X, y)
        ax.set_title(title, fontsize=10)
    finish(fig)
    return fig


def plot_width_tradeoff(widths, accuracies, parameters):
    """Accuracy (left axis) and parameter count (right axis, log scale) against hidden width."""
    fig, ax = plt.subplots(figsize=(7, 3.6))
    ax.plot(widths, 100 * np.asarray(accuracies), "o-", color="tab:green", label="accuracy")
    ax.set(xscale="log", xlabel="hidden width (log scale)", ylabel="accuracy (%)", ylim=(40, 102))
    ax.set_xticks(widths, [str(w) for w in widths])
    right = ax.twinx()
    right.plot(widths, parameters, "s--", color="0.4", label="parameters")
    right.set(yscale="log", ylabel="parameters (log scale)")
    lines = ax.get_lines() + right.get_lines()
    ax.legend(lines, [line.get_label() for line in lines], loc="center right", fontsize=8)
    ax.set_title("Too narrow cannot bend enough; past a point, width only adds parameters", fontsize=10)
    finish(fig)
    return fig


def plot_hidden_lines(X, y, params, grid, title=""):
    """The decision region of a one-hidden-layer model with each hidden ReLU's line z_j = 0 dashed.

    Each ReLU is "on" on one side of its line; the output combines these answers.
    """
    xx, yy, scores = grid
    fig, ax = plt.subplots(figsize=(4.6, 4.6))
    draw_regions(ax, xx, yy, scores)
    W1, b1 = np.asarray(params["W1"]), np.asarray(params["b1"])
    t = np.linspace(-3, 3, 2)
    for j in range(W1.shape[1]):
        w, c = W1[:, j], b1[j]
        if abs(w[1]) > abs(w[0]):   # solve w0 x + w1 y + c = 0 for the steeper coordinate
            ax.plot(t, -(w[0] * t + c) / w[1], "--", color="0.35", lw=1)
        else:
            ax.plot(-(w[1] * t + c) / w[0], t, "--", color="0.35", lw=1)
    draw_points(ax, X, y)
    ax.set_title(title, fontsize=10)
    finish(fig)
    return fig
