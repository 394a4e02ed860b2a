"""The separability widget: train a linear model or one hidden layer on centre-vs-corners
and watch the decision boundary and the accuracy change, step by step or playing on its own."""
from __future__ import annotations

import ipywidgets as widgets

from course_utils.clusters import centre_and_corners
from course_utils.plots.separability import DecisionPicture
from course_utils.separability import Session, score_grid
from course_utils.widgets.live_figure import LiveFigure
from course_utils.widgets.player import Player

MAX_STEPS = 3000       # Play stops here at the latest
STEPS_PER_TICK = 5     # Play trains this many steps between two frames (about 150 steps a second)
CONVERGED_LOSS = 1e-3  # Play stops when every point is right and the loss is below this
GRID = 81              # points a side where the regions are computed: fine enough, and a third
                       # of the cost of 121 (this is drawn many times a second)


def play_stop_reason(session: Session, max_steps: int = MAX_STEPS) -> str | None:
    """Why Play should stop now, or None."""
    if session.step >= max_steps:
        return f"{max_steps} steps"
    if session.accuracy == 1.0 and session.loss < CONVERGED_LOSS:
        return "converged: every point right"
    return None


def separability(width: int = 8, seed: int = 0, X=None, y=None) -> widgets.VBox:
    """Build the widget. Changing the model or the width starts training again from scratch
    (and, while playing, goes on playing with the new model)."""
    if X is None or y is None:
        X, y = centre_and_corners(seed=seed)
    session = Session(X, y, width=0, seed=seed)
    model = widgets.ToggleButtons(options=[("linear", "linear"), ("hidden layer", "hidden")], value="linear",
                                  description="model")
    width_slider = widgets.IntSlider(value=width, min=1, max=32, description="hidden width",
                                     continuous_update=True, disabled=True,
                                     style={"description_width": "90px"})
    step_button = widgets.Button(description="Train Step", icon="step-forward")
    fifty_button = widgets.Button(description="Train 50 steps", icon="fast-forward")
    reset_button = widgets.Button(description="Reset", icon="undo")
    readout = widgets.HTML()
    for control, name in [(model, "model"), (width_slider, "width"), (step_button, "train-step"),
                          (fifty_button, "train-50"), (reset_button, "reset"), (readout, "readout")]:
        control.add_class(f"separability-{name}")
    note = {"why": ""}

    def paint(picture):
        title = session.readout().split(" | step")[0]
        picture.update(score_grid(session.params, resolution=GRID), title=title)
        return {"width": session.width, "step": session.step}

    live = LiveFigure(paint, figsize=DecisionPicture.figsize, css="separability",
                      picture=lambda fig: DecisionPicture(session.X, session.y, fig))

    def redraw():
        why = f" | stopped: {note['why']}" if note["why"] else ""
        readout.value = f"<code>{session.readout()}{why}</code>"
        live.request()

    def restart(_change=None):
        width_slider.disabled = model.value == "linear"
        session.reset(0 if model.value == "linear" else width_slider.value)
        note["why"] = ""
        redraw()

    def train(n_steps):
        def on_click(_button=None):
            session.train(n_steps)
            note["why"] = ""
            redraw()
        return on_click

    def tick():
        reason = play_stop_reason(session)
        if not reason:
            session.train(STEPS_PER_TICK)
            reason = play_stop_reason(session)
        note["why"] = reason or ""
        redraw()
        return reason

    player = Player(tick, css="separability", live=live)
    model.observe(restart, names="value")
    width_slider.observe(restart, names="value")
    step_button.on_click(train(1))
    fifty_button.on_click(train(50))
    reset_button.on_click(lambda _button: restart())
    restart()
    buttons = widgets.HBox([step_button, player.button, fifty_button, reset_button])
    box = widgets.VBox([model, width_slider, buttons, readout, live.box])
    box.add_class("separability")
    box.session, box.player, box.live = session, player, live  # for tests and curious learners
    return box
