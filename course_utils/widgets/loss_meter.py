"""The loss meter: move a prediction against a target and watch |e| and e² respond."""
from __future__ import annotations

import ipywidgets as widgets

from course_utils.plots.loss import LossMeterPicture
from course_utils.widgets.live_figure import LiveFigure

LIMIT = (-4.0, 4.0)  # the range of both sliders


def loss_meter_readout(prediction: float, target: float) -> str:
    """One line of text: the error, both losses, and what doubling the error would cost."""
    error = prediction - target
    squared = error ** 2
    doubled = (2 * error) ** 2
    text = (f"error e = {error:+.2f}  |  absolute |e| = {abs(error):.2f}  |  squared e² = {squared:.2f}")
    if squared > 0:
        text += f"  |  doubling the error gives e² = {doubled:.2f}, {doubled / squared:.0f}× as much"
    return text


def loss_meter(prediction: float = 1.0, target: float = 0.0) -> widgets.VBox:
    """Build the widget: sliders for the prediction and the target, a readout, the plot."""
    # A step of 0.01: a typed 0.25 stays 0.25 (a step of 0.1 would snap it to 0.3).
    slider_style = dict(min=LIMIT[0], max=LIMIT[1], step=0.01, continuous_update=True,
                        layout=widgets.Layout(width="420px"), style={"description_width": "90px"})
    pred = widgets.FloatSlider(value=prediction, description="prediction ŷ", **slider_style)
    targ = widgets.FloatSlider(value=target, description="target y", **slider_style)
    pred.add_class("loss-meter-prediction")
    targ.add_class("loss-meter-target")
    readout = widgets.HTML()
    readout.add_class("loss-meter-readout")
    # A slider keeps a typed value inside its range: say so rather than change it unseen.
    limits = widgets.HTML(f"<small>Both sliders go from {LIMIT[0]:g} to {LIMIT[1]:g}; a value typed beyond "
                          f"that is set to the nearest end.</small>")
    limits.add_class("loss-meter-limits")

    def paint(picture):
        picture.update(pred.value, targ.value)
        return {"prediction": pred.value, "target": targ.value}

    live = LiveFigure(paint, figsize=LossMeterPicture.figsize, css="loss-meter",
                      picture=lambda fig: LossMeterPicture(fig, reach=max(abs(v) for v in LIMIT)))

    def redraw(_change=None):
        readout.value = f"<code>{loss_meter_readout(pred.value, targ.value)}</code>"
        live.request()

    pred.observe(redraw, names="value")
    targ.observe(redraw, names="value")
    redraw()
    box = widgets.VBox([pred, targ, limits, readout, live.box])
    box.add_class("loss-meter")
    return box
