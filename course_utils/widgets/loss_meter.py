"""The loss meter: move a prediction against a target and watch |e| and e² respond."""
from __future__ import annotations

import ipywidgets as widgets

from course_utils.plots.loss import plot_loss_meter
from course_utils.widgets.live_figure import LiveFigure


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
    slider_style = dict(min=-4.0, max=4.0, step=0.1, continuous_update=True,
                        layout=widgets.Layout(width="420px"), style={"description_width": "90px"})
    pred = widgets.FloatSlider(value=prediction, description="prediction ŷ", **slider_style)
    targ = widgets.FloatSlider(value=target, description="target y", **slider_style)
    pred.add_class("loss-meter-prediction")
    targ.add_class("loss-meter-target")
    readout = widgets.HTML()
    readout.add_class("loss-meter-readout")

    def paint(fig):
        plot_loss_meter(pred.value, targ.value, fig=fig)
        return {"prediction": pred.value, "target": targ.value}

    live = LiveFigure(paint, figsize=(9, 3.2), css="loss-meter")

    def redraw(_change=None):
        readout.value = f"<code>{loss_meter_readout(pred.value, targ.value)}</code>"
        live.request()

    pred.observe(redraw, names="value")
    targ.observe(redraw, names="value")
    redraw()
    box = widgets.VBox([pred, targ, readout, live.box])
    box.add_class("loss-meter")
    return box
