"""The separability widget: train a linear model or one hidden layer on centre-vs-corners
and watch the decision boundary and the accuracy change step by step."""
from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
from IPython.display import display

from course_utils.clusters import centre_and_corners
from course_utils.plots.separability import plot_decision
from course_utils.separability import Session, score_grid


def separability(width: int = 8, seed: int = 0, X=None, y=None) -> widgets.VBox:
    """Build the widget. Changing the model or the width starts training again from scratch."""
    if X is None or y is None:
        X, y = centre_and_corners(seed=seed)
    session = Session(X, y, width=0, seed=seed)
    model = widgets.ToggleButtons(options=[("linear", "linear"), ("hidden layer", "hidden")], value="linear",
                                  description="model")
    width_slider = widgets.IntSlider(value=width, min=1, max=32, description="hidden width",
                                     continuous_update=False, disabled=True,
                                     style={"description_width": "90px"})
    step_button = widgets.Button(description="Train Step", icon="step-forward")
    fifty_button = widgets.Button(description="Train 50 steps", icon="fast-forward")
    reset_button = widgets.Button(description="Reset", icon="undo")
    readout = widgets.HTML()
    plot = widgets.Output(layout=widgets.Layout(height="460px"))  # fixed height: no jumping on redraw
    for control, name in [(model, "model"), (width_slider, "width"), (step_button, "train-step"),
                          (fifty_button, "train-50"), (reset_button, "reset"), (readout, "readout")]:
        control.add_class(f"separability-{name}")

    def redraw():
        readout.value = f"<code>{session.readout()}</code>"
        with plot:
            plot.clear_output(wait=True)
            fig = plot_decision(session.X, session.y, score_grid(session.params), title=session.readout().split(" | step")[0])
            display(fig)
            plt.close(fig)

    def restart(_change=None):
        width_slider.disabled = model.value == "linear"
        session.reset(0 if model.value == "linear" else width_slider.value)
        redraw()

    def train(n_steps):
        def on_click(_button):
            session.train(n_steps)
            redraw()
        return on_click

    model.observe(restart, names="value")
    width_slider.observe(restart, names="value")
    step_button.on_click(train(1))
    fifty_button.on_click(train(50))
    reset_button.on_click(lambda _button: restart())
    restart()
    box = widgets.VBox([model, width_slider, widgets.HBox([step_button, fifty_button, reset_button]), readout, plot])
    box.add_class("separability")
    box.session = session  # for tests and curious learners
    return box
