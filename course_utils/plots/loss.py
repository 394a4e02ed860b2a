"""Pictures for notebook 01: absolute versus squared error."""
from __future__ import annotations

import numpy as np

from course_utils.reference.loss import squared_error
from course_utils.plots.figures import finish, subplots


def plot_loss_meter(prediction: float, target: float, error_range: float | None = None, fig=None):
    """Draw the prediction against the target, and |e| and e² as functions of the error.

    Returns the matplotlib Figure (two axes: the number line, the two loss curves).
    """
    error = prediction - target
    # Wide enough that the doubled error (the hollow dot) is always on the chart.
    error_range = error_range or max(4.0, 2.2 * abs(error))
    fig, (line_ax, curve_ax) = subplots(fig, 1, 2, figsize=(9, 3.2), gridspec_kw={"width_ratios": [1, 1.3]})
    # Left: where the guess lands relative to the answer.
    line_ax.axhline(0, color="0.6", lw=1)
    line_ax.plot([target], [0], "o", ms=12, color="tab:green", label=f"target y = {target:.2f}")
    line_ax.plot([prediction], [0], "s", ms=10, color="tab:orange", label=f"prediction ŷ = {prediction:.2f}")
    line_ax.annotate("", xy=(prediction, 0.15), xytext=(target, 0.15),
                     arrowprops=dict(arrowstyle="<->", color="0.3"))
    line_ax.text((prediction + target) / 2, 0.25, f"error {error:+.2f}", ha="center")
    line_ax.set(xlim=(min(target, prediction) - 1.5, max(target, prediction) + 1.5), ylim=(-0.6, 0.6),
                yticks=[], title="How far off is the guess?")
    line_ax.legend(loc="lower center", fontsize=8, ncol=2, frameon=False)
    # Right: the two meters over a range of errors, with the current error marked.
    errors = np.linspace(-error_range, error_range, 201)
    curve_ax.plot(errors, np.abs(errors), color="tab:blue", label="absolute error |e|")
    curve_ax.plot(errors, squared_error(errors, 0.0), color="tab:red", label="squared error e²")
    curve_ax.plot([error], [abs(error)], "o", color="tab:blue")
    curve_ax.plot([error], [error ** 2], "o", color="tab:red")
    if error:
        curve_ax.plot([2 * error], [(2 * error) ** 2], "o", mfc="none", color="tab:red",
                      label=f"double the error: e² = {(2 * error) ** 2:.2f}")
    curve_ax.set(xlabel="error e = ŷ − y", ylabel="loss", ylim=(0, error_range ** 2 * 1.05),
                 title="Squaring punishes big errors more")
    curve_ax.legend(fontsize=8, loc="upper center")
    return finish(fig)
