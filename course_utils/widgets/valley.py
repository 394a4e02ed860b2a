"""The valley: press Train Step and watch a ball walk down a loss curve by its slope."""
from __future__ import annotations

import math

import ipywidgets as widgets

from course_utils.plots.gradient_descent import ValleyPicture
from course_utils.reference.gradient_descent import START, W_RANGE, valley_loss, valley_slope
from course_utils.widgets.live_figure import LiveFigure
from course_utils.widgets.player import Player

MAX_STEPS = 200   # Play stops here at the latest
REST = 1e-4       # a step shorter than this: the ball has come to rest
PLAY_RATE = 15.0  # steps a second while playing: slow enough to watch the ball roll


def take_step(path: list[float], lr: float) -> list[float]:
    """The path with one more weight: ``w - lr * dL/dw`` at the last one."""
    w = path[-1]
    return [*path, w - lr * valley_slope(w)]


def play_stop_reason(path: list[float]) -> str | None:
    """Why Play should stop after this path, or None: at rest, or out of the picture."""
    if not math.isfinite(path[-1]) or not W_RANGE[0] <= path[-1] <= W_RANGE[1]:
        return "the ball left the picture"
    if len(path) > 1 and abs(path[-1] - path[-2]) < REST:
        return "the ball has come to rest"
    return None


def valley_readout(path: list[float], lr: float) -> str:
    """One line of text: step count, weight, loss, slope and the size of the last step."""
    w = path[-1]
    text = f"step {len(path) - 1}  |  w = {w:.4f}  |  loss = {valley_loss(w):.4f}  |  slope = {valley_slope(w):+.4f}"
    if len(path) > 1:
        moved = path[-1] - path[-2]
        change = valley_loss(path[-1]) - valley_loss(path[-2])
        text += f"  |  last step {moved:+.4f}, loss {'went UP' if change > 1e-12 else 'went down'} by {abs(change):.4f}"
    return text + f"  |  learning rate {lr:g}"


def valley(start: float = START, lr: float = 0.5, max_steps: int = MAX_STEPS) -> widgets.VBox:
    """Build the widget: Train Step, Play / Pause, Reset, learning-rate and start sliders, the picture.

    Play takes a step about ten times a second until Pause, until the ball has come to
    rest (a step smaller than ``REST``), left the picture, or ``max_steps`` steps.
    """
    style = dict(layout=widgets.Layout(width="420px"), style={"description_width": "110px"})
    lr_slider = widgets.FloatLogSlider(value=lr, base=10, min=-3, max=0.5, step=0.05, readout_format=".3g",
                                       description="learning rate", continuous_update=True, **style)
    start_slider = widgets.FloatSlider(value=start, min=W_RANGE[0] + 0.25, max=W_RANGE[1] - 0.25, step=0.05,
                                       description="start w0", continuous_update=True, **style)
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
    state = {"path": [float(start)], "why": ""}

    def paint(picture):
        picture.update(state["path"], lr_slider.value, show_curve=curve.value)
        return {"lr": lr_slider.value, "start": state["path"][0], "step": len(state["path"]) - 1}

    live = LiveFigure(paint, figsize=ValleyPicture.figsize, css="valley", picture=ValleyPicture)

    def redraw():
        why = f"  |  stopped: {state['why']}" if state["why"] else ""
        readout.value = f"<code>{valley_readout(state['path'], lr_slider.value)}{why}</code>"
        live.request()

    def on_train(_button=None):
        state["path"] = take_step(state["path"], lr_slider.value)
        state["why"] = ""
        redraw()

    def tick():
        if len(state["path"]) > max_steps:
            reason = f"{max_steps} steps"
        else:
            on_train()
            reason = play_stop_reason(state["path"])
        if reason:
            state["why"] = reason
            redraw()
        return reason

    def on_reset(_change=None):
        state["path"], state["why"] = [float(start_slider.value)], ""
        redraw()

    player = Player(tick, css="valley", rate=PLAY_RATE, live=live)
    train.on_click(on_train)
    reset.on_click(on_reset)
    start_slider.observe(on_reset, names="value")
    lr_slider.observe(lambda _change: redraw(), names="value")
    curve.observe(lambda _change: redraw(), names="value")
    redraw()
    box = widgets.VBox([widgets.HBox([train, player.button, reset, curve]), lr_slider, start_slider, readout,
                        live.box])
    box.add_class("valley")
    box.player, box.live = player, live  # for tests and curious learners
    return box
