"""The valley: press Train Step and watch a ball walk down a loss curve by its slope."""
from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
from IPython.display import display

from course_utils.plots.gradient_descent import plot_valley
from course_utils.reference.gradient_descent import START, W_RANGE, valley_loss, valley_slope


def take_step(path: list[float], lr: float) -> list[float]:
    """The path with one more weight: ``w - lr * dL/dw`` at the last one."""
    w = path[-1]
    return [*path, w - lr * valley_slope(w)]


def valley_readout(path: list[float], lr: float) -> str:
    """One line of text: step count, weight, loss, slope and the size of the last step."""
    w = path[-1]
    text = f"step {len(path) - 1}  |  w = {w:.4f}  |  loss = {valley_loss(w):.4f}  |  slope = {valley_slope(w):+.4f}"
    if len(path) > 1:
        moved = path[-1] - path[-2]
        change = valley_loss(path[-1]) - valley_loss(path[-2])
        text += f"  |  last step {moved:+.4f}, loss {'went UP' if change > 1e-12 else 'went down'} by {abs(change):.4f}"
    return text + f"  |  learning rate {lr:g}"


def valley(start: float = START, lr: float = 0.5) -> widgets.VBox:
    """Build the widget: Train Step, Reset, a learning-rate slider, a start slider, the picture."""
    style = dict(layout=widgets.Layout(width="420px"), style={"description_width": "110px"})
    lr_slider = widgets.FloatLogSlider(value=lr, base=10, min=-3, max=0.5, step=0.05, readout_format=".3g",
                                       description="learning rate", continuous_update=False, **style)
    start_slider = widgets.FloatSlider(value=start, min=W_RANGE[0] + 0.25, max=W_RANGE[1] - 0.25, step=0.05,
                                       description="start w0", continuous_update=False, **style)
    train = widgets.Button(description="Train Step", button_style="primary", icon="step-forward")
    reset = widgets.Button(description="Reset", icon="undo")
    # Off: walk in the dark, seeing only what the ball has felt so far.
    curve = widgets.Checkbox(value=True, description="show the whole curve", indent=False)
    curve.add_class("valley-show-curve")
    readout = widgets.HTML()
    lr_slider.add_class("valley-lr")
    start_slider.add_class("valley-start")
    train.add_class("valley-train-step")
    reset.add_class("valley-reset")
    readout.add_class("valley-readout")
    plot = widgets.Output(layout=widgets.Layout(height="390px"))
    state = {"path": [float(start)]}

    def redraw():
        readout.value = f"<code>{valley_readout(state['path'], lr_slider.value)}</code>"
        with plot:
            plot.clear_output(wait=True)
            fig = plot_valley(state["path"], lr_slider.value, show_curve=curve.value)
            display(fig)
            plt.close(fig)

    def on_train(_button):
        state["path"] = take_step(state["path"], lr_slider.value)
        redraw()

    def on_reset(_change=None):
        state["path"] = [float(start_slider.value)]
        redraw()

    train.on_click(on_train)
    reset.on_click(on_reset)
    start_slider.observe(on_reset, names="value")
    lr_slider.observe(lambda _change: redraw(), names="value")
    curve.observe(lambda _change: redraw(), names="value")
    redraw()
    box = widgets.VBox([widgets.HBox([train, reset, curve]), lr_slider, start_slider, readout, plot])
    box.add_class("valley")
    return box
