"""Pictures for notebook 02: the valley with the ball, its tangent, its next step and its path."""
import math

import numpy as np
from matplotlib.colors import to_rgba

from course_utils.reference.gradient_descent import W_RANGE, valley_loss, valley_slope
from course_utils.plots.figures import Picture

STEPS_SHOWN = 10  # the loss chart shows at least this many steps,
STEPS_MORE = 20   # then grows by this many when full (its background is drawn again only then)


class ValleyPicture(Picture):
    """The walk so far on the loss curve (left) and the loss after each step (right).

    :meth:`update` takes the weights visited (start first; the ball sits at the last one)
    and the learning rate of the next step (drawn as an arrow).
    """

    figsize = (10, 3.6)

    def build(self) -> None:
        self.ax, self.loss_ax = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.7, 1]})
        ax, loss_ax = self.ax, self.loss_ax
        lo, hi = W_RANGE
        grid = np.linspace(lo, hi, 400)
        curve = valley_loss(grid)
        self.top = float(curve.max()) + 1.0  # headroom for the legend
        self.curve, = ax.plot(grid, curve, color="0.35", lw=2, label="loss L(w)")
        move = self.moving_artist
        # The path so far: small fading dots joined by thin lines, oldest lightest.
        self.trail = move(ax.plot([], [], "-", color="tab:orange", lw=0.8, alpha=0.6)[0])
        # One artist for all the dots (one per dot would cost a drawing call each, every frame).
        self.dots = move(ax.scatter([], [], s=25, edgecolors="none"))
        self.tangent = move(ax.plot([], [], color="tab:blue", lw=2, label="tangent: the slope under the ball")[0])
        self.arrow = move(ax.annotate("", xy=(0, 0), xytext=(0, 0),
                                      arrowprops=dict(arrowstyle="->", color="tab:red", lw=2)))
        self.landing = move(ax.plot([], [], "o", ms=12, mfc="none", mec="tab:red", mew=1.5,
                                    label="where the next step lands")[0])
        self.ball = move(ax.plot([], [], "o", ms=14, color="tab:orange", mec="k", zorder=5, label="the ball (weight now)")[0])
        self.gone = move(ax.text(0.5, 0.9, "", transform=ax.transAxes, ha="center", color="tab:red"))
        ax.set(xlim=(lo, hi), ylim=(0, self.top), xlabel="weight w", ylabel="loss", title="step 0, learning rate 1")
        move(ax.title)
        self.show_legend(show_curve=True)
        # Right: the loss after each step, the meter we would watch while training.
        self.losses = move(loss_ax.plot([], [], "o-", color="tab:orange", ms=4)[0])
        loss_ax.set(xlabel="step", ylabel="loss", title="loss after each step")
        loss_ax.grid(alpha=0.3)
        self.limits = None

    def show_legend(self, show_curve: bool) -> None:
        """Name what is drawn (the numbers are in the title and the readout). The legend is
        still, so it is drawn with the background: a legend is the slowest thing to draw."""
        handles = [self.curve, self.tangent, self.landing, self.ball] if show_curve else [self.tangent, self.ball]
        self.ax.legend(handles=handles, fontsize=8, loc="upper center", ncol=2, frameon=False)

    def update(self, path, lr: float, show_curve: bool = True) -> None:
        path = np.asarray(path, dtype=np.float64)
        w = float(path[-1])
        lo, hi = W_RANGE
        if self.curve.get_visible() != show_curve:   # off: walk in the dark
            self.curve.set_visible(show_curve)
            self.show_legend(show_curve)
            self.background_changed()
        shown = path[np.abs(path) <= hi * 1.5]
        self.trail.set_data(shown, valley_loss(shown))   # a single point draws no line
        seen = (path[:-1] >= lo) & (path[:-1] <= hi)
        colours = np.tile(to_rgba("tab:orange"), (int(seen.sum()), 1))
        colours[:, 3] = np.linspace(0.25, 0.8, len(path) - 1)[seen]
        self.dots.set_offsets(np.column_stack([path[:-1][seen], valley_loss(path[:-1][seen])]))
        self.dots.set_facecolors(colours)
        inside = lo <= w <= hi
        for artist in (self.tangent, self.arrow, self.ball):
            artist.set_visible(inside)
        self.landing.set_visible(False)
        self.gone.set_text("" if inside else f"the ball left the picture: w = {w:.3g}")
        if inside:
            loss, grad = valley_loss(w), valley_slope(w)
            # The tangent: the slope the ball feels under its feet.
            span = np.array([w - 0.7, w + 0.7])
            self.tangent.set_data(span, loss + grad * (span - w))
            # The next step: -lr * slope along w, landing where the hollow ball is.
            w_next = w - lr * grad
            self.arrow.xy, self.arrow.xyann = (float(np.clip(w_next, lo, hi)), loss), (w, loss)
            if show_curve and lo <= w_next <= hi:  # in the dark, where it lands is unknown until it gets there
                self.landing.set_data([w_next], [valley_loss(w_next)])
                self.landing.set_visible(True)
            self.ball.set_data([w], [loss])
        self.ax.title.set_text(f"step {len(path) - 1}, learning rate {lr:g}: w = {w:.3f}, "
                               f"slope {valley_slope(w) if inside else float('nan'):+.3f}")
        losses = valley_loss(path)
        self.losses.set_data(np.arange(len(path)), losses)
        # A fixed scale from 0, so that a crawl looks like a crawl and a jump like a jump;
        # it grows by whole chunks so that the chart is not drawn again every frame.
        finite = losses[np.isfinite(losses)]
        steps = STEPS_SHOWN if len(path) <= STEPS_SHOWN else STEPS_MORE * math.ceil(len(path) / STEPS_MORE)
        highest = max(self.top, float(finite.max()) * 1.05) if len(finite) else self.top
        ceiling = self.top * 2 ** max(0, math.ceil(math.log2(highest / self.top)))
        if (steps, ceiling) != self.limits:
            self.loss_ax.set(xlim=(-0.5, steps - 0.5), ylim=(0, ceiling))
            self.limits = (steps, ceiling)
            self.background_changed()


def plot_valley(path, lr: float, show_curve: bool = True, fig=None):
    """Draw the walk so far on the loss curve and the loss at each step.

    Parameters
    ----------
    path : sequence of float
        The weights visited, start first; the ball sits at the last one.
    lr : float
        The learning rate of the next step (drawn as an arrow).
    show_curve : bool
        False hides the curve: only what the ball has felt so far is drawn.

    Returns the matplotlib Figure (two axes: the valley, the loss per step).
    """
    picture = ValleyPicture(fig)
    picture.update(path, lr, show_curve)
    return picture.fig
