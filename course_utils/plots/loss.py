"""Pictures for notebook 01: absolute versus squared error."""
from __future__ import annotations

import math

import numpy as np

from course_utils.reference.loss import squared_error
from course_utils.plots.figures import Picture

SMALLEST_RANGE = 4.0  # the loss chart shows errors from -4 to 4 at least


class LossMeterPicture(Picture):
    """Left: the prediction against the target on a number line from ``-reach`` to ``reach``.
    Right: |e| and e² as functions of the error, with the current error (and its double) marked.

    The loss chart's range doubles when the doubled error (the hollow dot) would leave it,
    so it is drawn again only then.
    """

    figsize = (9, 3.2)

    def __init__(self, fig=None, reach: float = 4.0):
        self.reach = reach
        super().__init__(fig)

    def build(self) -> None:
        self.line_ax, self.curve_ax = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.3]})
        line_ax, curve_ax, move = self.line_ax, self.curve_ax, self.moving_artist
        # Left: where the guess lands relative to the answer.
        line_ax.axhline(0, color="0.6", lw=1)
        self.target = move(line_ax.plot([0], [0], "o", ms=12, color="tab:green", label="target y")[0])
        self.prediction = move(line_ax.plot([0], [0], "s", ms=10, color="tab:orange", label="prediction ŷ")[0])
        self.gap = move(line_ax.annotate("", xy=(0, 0.15), xytext=(0, 0.15),
                                         arrowprops=dict(arrowstyle="<->", color="0.3")))
        self.error_text = move(line_ax.text(0, 0.25, "error +0.00", ha="center"))
        edge = self.reach + 1.5
        line_ax.set(xlim=(-edge, edge), ylim=(-0.6, 0.6), yticks=[], title="How far off is the guess?")
        # The legends name things and stay still (a legend is the slowest thing to draw);
        # the numbers are texts that move with the markers.
        line_ax.legend(loc="lower center", fontsize=8, ncol=2, frameon=False)
        self.target_value = move(line_ax.text(0, -0.17, "", ha="center", va="top", fontsize=8, color="tab:green"))
        self.prediction_value = move(line_ax.text(0, -0.17, "", ha="center", va="top", fontsize=8,
                                                  color="tab:orange"))
        # Right: the two meters over a range of errors, with the current error marked.
        self.absolute, = curve_ax.plot([], [], color="tab:blue", label="absolute error |e|")
        self.squared, = curve_ax.plot([], [], color="tab:red", label="squared error e²")
        self.on_absolute = move(curve_ax.plot([0], [0], "o", color="tab:blue")[0])
        self.on_squared = move(curve_ax.plot([0], [0], "o", color="tab:red")[0])
        self.doubled = move(curve_ax.plot([0], [0], "o", mfc="none", color="tab:red",
                                          label="twice the error, squared")[0])
        self.doubled_value = move(curve_ax.text(0, 0, "", va="center", fontsize=8, color="tab:red"))
        curve_ax.set(xlabel="error e = ŷ − y", ylabel="loss", title="Squaring punishes big errors more")
        curve_ax.legend(fontsize=8, loc="upper center")
        self.error_range = None

    def update(self, prediction: float, target: float, error_range: float | None = None) -> None:
        error = prediction - target
        self.target.set_data([target], [0])
        self.prediction.set_data([prediction], [0])
        self.gap.xy, self.gap.xyann = (prediction, 0.15), (target, 0.15)
        self.error_text.set_position(((prediction + target) / 2, 0.25))
        self.error_text.set_text(f"error {error:+.2f}")
        # Two labels that would overlap go one above the other's line.
        close = abs(error) < 1.2
        self.target_value.set_position((target, -0.17 - (0.13 if close else 0)))
        self.target_value.set_text(f"y = {target:.2f}")
        self.prediction_value.set_position((prediction, -0.17))
        self.prediction_value.set_text(f"ŷ = {prediction:.2f}")
        # Wide enough that the doubled error (the hollow dot) is always on the chart.
        if not error_range:   # the smallest doubling of SMALLEST_RANGE that holds 2.2 |e|
            needed = max(SMALLEST_RANGE, 2.2 * abs(error))
            error_range = SMALLEST_RANGE * 2 ** math.ceil(math.log2(needed / SMALLEST_RANGE))
        if error_range != self.error_range:
            errors = np.linspace(-error_range, error_range, 201)
            self.absolute.set_data(errors, np.abs(errors))
            self.squared.set_data(errors, squared_error(errors, 0.0))
            self.curve_ax.set(xlim=(-error_range * 1.05, error_range * 1.05), ylim=(0, error_range ** 2 * 1.05))
            self.error_range = error_range
            self.background_changed()
        self.on_absolute.set_data([error], [abs(error)])
        self.on_squared.set_data([error], [error ** 2])
        self.doubled.set_data([2 * error], [(2 * error) ** 2])
        # Beside the dot, on the inner side of the curve, where the label covers nothing.
        self.doubled_value.set_position((2 * error - math.copysign(0.06 * error_range, error), (2 * error) ** 2))
        self.doubled_value.set_ha("right" if error > 0 else "left")
        self.doubled_value.set_text(f"(2e)² = {(2 * error) ** 2:.2f}")
        for artist in (self.doubled, self.doubled_value):
            artist.set_visible(bool(error))
