"""Pictures for notebook 08: the training loss of the next-character model."""
import matplotlib.pyplot as plt
import numpy as np

from course_utils.plots.figures import finish


def plot_loss_curve(losses, baseline: float | None = None, title: str = "cross-entropy during training"):
    """Draw the loss at every step; ``baseline`` (e.g. log C, a uniform guess) as a dashed line.

    Returns the matplotlib Figure.
    """
    losses = np.asarray(losses, dtype=np.float64)
    fig, ax = plt.subplots(figsize=(7, 3.4))
    ax.plot(np.arange(len(losses)), losses, color="tab:blue", lw=2, label="training loss")
    if baseline is not None:
        ax.axhline(baseline, color="0.5", ls="--", lw=1, label=f"uniform guess, log C = {baseline:.2f}")
    ax.set_xlabel("gradient step")
    ax.set_ylabel("cross-entropy (nats)")
    ax.set_ylim(0, max(float(losses.max()), baseline or 0) * 1.08)
    ax.set_title(title)
    ax.legend(loc="center right")
    ax.grid(alpha=0.3)
    finish(fig)
    return fig
