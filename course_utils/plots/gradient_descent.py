"""Pictures for notebook 02: the valley with the ball, its tangent, its next step and its path."""
import numpy as np
from matplotlib.colors import to_rgba

from course_utils.reference.gradient_descent import W_RANGE, valley_loss, valley_slope
from course_utils.plots.figures import finish, subplots


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
    path = np.asarray(path, dtype=np.float64)
    w = float(path[-1])
    lo, hi = W_RANGE
    fig, (ax, loss_ax) = subplots(fig, 1, 2, figsize=(10, 3.6), gridspec_kw={"width_ratios": [1.7, 1]})
    grid = np.linspace(lo, hi, 400)
    curve = valley_loss(grid)
    top = float(curve.max()) + 1.0  # headroom for the legend
    if show_curve:
        ax.plot(grid, curve, color="0.35", lw=2, label="loss L(w)")
    # The path so far: small fading dots joined by thin lines, oldest lightest.
    shown = path[np.abs(path) <= hi * 1.5]
    if len(path) > 1:
        ax.plot(shown, valley_loss(shown), "-", color="tab:orange", lw=0.8, alpha=0.6)
        # One artist for all the dots (one per dot would cost a drawing call each, every frame).
        alphas = np.linspace(0.25, 0.8, len(path) - 1)
        seen = (path[:-1] >= lo) & (path[:-1] <= hi)
        colours = np.tile(to_rgba("tab:orange"), (int(seen.sum()), 1))
        colours[:, 3] = alphas[seen]
        ax.scatter(path[:-1][seen], valley_loss(path[:-1][seen]), s=25, c=colours, edgecolors="none")
    inside = lo <= w <= hi
    if inside:
        loss, grad = valley_loss(w), valley_slope(w)
        # The tangent: the slope the ball feels under its feet.
        span = np.linspace(w - 0.7, w + 0.7, 2)
        ax.plot(span, loss + grad * (span - w), color="tab:blue", lw=2, label=f"tangent, slope {grad:+.3f}")
        # The next step: -lr * slope along w, landing where the hollow ball is.
        w_next = w - lr * grad
        ax.annotate("", xy=(np.clip(w_next, lo, hi), loss), xytext=(w, loss),
                    arrowprops=dict(arrowstyle="->", color="tab:red", lw=2))
        if show_curve and lo <= w_next <= hi:  # in the dark, where it lands is unknown until it gets there
            ax.plot([w_next], [valley_loss(w_next)], "o", ms=12, mfc="none", mec="tab:red", mew=1.5,
                    label=f"next step: {-lr * grad:+.3f}")
        ax.plot([w], [loss], "o", ms=14, color="tab:orange", mec="k", zorder=5, label=f"ball at w = {w:.3f}")
    else:
        ax.text(0.5, 0.9, f"the ball left the picture: w = {w:.3g}", transform=ax.transAxes,
                ha="center", color="tab:red")
    ax.set(xlim=(lo, hi), ylim=(0, top), xlabel="weight w", ylabel="loss",
           title=f"step {len(path) - 1}, learning rate {lr:g}")
    ax.legend(fontsize=8, loc="upper center", ncol=2, frameon=False)
    # Right: the loss after each step, the meter we would watch while training.
    losses = valley_loss(path)
    loss_ax.plot(np.arange(len(path)), losses, "o-", color="tab:orange", ms=4)
    # A fixed scale from 0, so that a crawl looks like a crawl and a jump like a jump.
    finite = losses[np.isfinite(losses)]
    loss_ax.set(xlabel="step", ylabel="loss", title="loss after each step",
                xlim=(-0.5, max(10, len(path)) - 0.5), ylim=(0, max(top, float(finite.max()) * 1.05)))
    loss_ax.grid(alpha=0.3)
    return finish(fig)
