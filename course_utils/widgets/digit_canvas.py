"""Draw a digit with the mouse and see the network's ten scores.

A thin shell: :mod:`course_utils.drawing` turns the strokes into an MNIST-style image,
the learner's network (``predict``) scores it, :mod:`course_utils.plots.mnist` draws the
scores. Works in JupyterLab and in Voilà (everything goes through widget messages).

It answers while the learner draws: every ``ANSWER_WHILE_DRAWING`` seconds while the pen
moves, and at the end of every stroke, from all the ink so far (requests that come in
quick succession are answered once: see :mod:`course_utils.widgets.live_figure`).

CSS hooks: ``mnist-drawing`` (the whole box), ``mnist-canvas``, ``mnist-predict-button``,
``mnist-clear-button``, ``mnist-prediction`` (the text with the answer).
"""
from __future__ import annotations

import html
import time

import ipywidgets as widgets
import numpy as np
from ipycanvas import Canvas, hold_canvas

from course_utils.drawing import render_strokes, to_mnist
from course_utils.plots.mnist import DigitAnswerPicture
from course_utils.widgets.live_figure import LiveFigure

SIZE, PEN = 280, 18
ANSWER_WHILE_DRAWING = 0.15  # seconds between two answers while the pen is down


def prediction_text(scores) -> str:
    """The answer and the ten scores, in words (text, not colour alone)."""
    s = np.asarray(scores, dtype=np.float64).ravel()
    ranked = np.argsort(s)[::-1]
    # Round first: a score of -0.001 would read "-0.00", a minus sign on nothing.
    s = np.round(s, 2) + 0.0
    listing = "  ".join(f"{d}: {s[d]:+.2f}" for d in range(len(s)))
    return (f"The network says <b>{ranked[0]}</b> (score {s[ranked[0]]:.2f}; runner-up {ranked[1]} "
            f"with {s[ranked[1]]:.2f}).<br><code>{listing}</code>")


def digit_canvas(predict, size: int = SIZE) -> widgets.VBox:
    """Build the widget. ``predict(X)`` takes (1, 784) float32 in [0, 1] and returns (1, 10) scores."""
    canvas = Canvas(width=size, height=size, layout=widgets.Layout(width=f"{size}px", height=f"{size}px",
                                                                    border="1px solid #888"))
    canvas.add_class("mnist-canvas")
    predict_button = widgets.Button(description="Predict", button_style="primary")
    predict_button.add_class("mnist-predict-button")
    clear_button = widgets.Button(description="Clear")
    clear_button.add_class("mnist-clear-button")
    answer = widgets.HTML("Draw a digit in the box (hold the mouse button down): the network answers as you draw.")
    answer.add_class("mnist-prediction")
    strokes: list[list[tuple[float, float]]] = []
    state = {"down": False}

    def target_this_canvas():
        # ipycanvas sends drawing commands through one shared manager that remembers which
        # canvas it last addressed and only says so again when that changes. In Voilà the
        # messages sent while the notebook ran (before the page was ready) are lost, so the
        # browser never learned which canvas is meant: name it again before every drawing.
        canvas._canvas_manager._current_canvas = None

    def blank():
        target_this_canvas()
        with hold_canvas():
            canvas.clear()
            canvas.fill_style = "white"
            canvas.fill_rect(0, 0, size, size)
            canvas.stroke_style, canvas.line_width = "black", PEN
            canvas.line_cap, canvas.line_join = "round", "round"
            canvas.fill_style = "black"
            for stroke in strokes:  # redraw what is recorded (after a page reload)
                canvas.fill_circle(*stroke[0], PEN / 2)
                for (x0, y0), (x1, y1) in zip(stroke[:-1], stroke[1:]):
                    canvas.stroke_line(x0, y0, x1, y1)

    def on_down(x, y):
        state["down"] = True
        strokes.append([(x, y)])
        target_this_canvas()
        canvas.fill_style = "black"
        canvas.fill_circle(x, y, PEN / 2)

    def on_move(x, y):
        if state["down"] and strokes:
            x0, y0 = strokes[-1][-1]
            target_this_canvas()
            canvas.stroke_style, canvas.line_width, canvas.line_cap = "black", PEN, "round"
            canvas.stroke_line(x0, y0, x, y)
            strokes[-1].append((x, y))
            # Answer while the pen moves too, a few times a second: moves come faster than
            # answers can be drawn, and each answer is of all the ink so far anyway.
            if time.monotonic() - state["answered"] >= ANSWER_WHILE_DRAWING:
                state["answered"] = time.monotonic()
                live.request()

    def on_up(x, y):
        if state["down"]:
            on_move(x, y)
        state["down"] = False
        live.request()  # a stroke has ended: answer it

    def paint(picture):
        """Score all the ink so far, write the answer, show what the network sees and its scores."""
        image = to_mnist(render_strokes(strokes, size=size, width=PEN * size / SIZE))
        if not image.any():
            if state["asked"]:
                answer.value = "The box is empty: draw a digit first."
            picture.update(note="draw a digit")
            return {"strokes": 0}
        try:
            scores = np.asarray(predict(image[None, :]), dtype=np.float64).reshape(-1)
            if scores.shape != (10,) or not np.isfinite(scores).all():
                raise ValueError(f"expected 10 finite scores for one image, got shape {scores.shape}"
                                 + ("" if scores.shape != (10,) else f" with values {np.round(scores, 3)}"))
        except Exception as error:  # the learner's network: say what went wrong, keep the canvas alive
            answer.value = (f"<b>The network could not answer:</b> <code>{html.escape(type(error).__name__)}: "
                            f"{html.escape(str(error))}</code>. <code>predict</code> takes (1, 784) and "
                            f"returns (1, 10) scores.")
            picture.update(image, note="no answer")
            return {"strokes": len(strokes), "error": type(error).__name__}
        answer.value = prediction_text(scores)
        picture.update(image, scores)
        return {"strokes": len(strokes), "answer": int(np.argmax(scores))}

    state["asked"], state["answered"] = False, 0.0
    live = LiveFigure(paint, figsize=DigitAnswerPicture.figsize, css="mnist", picture=DigitAnswerPicture)

    def on_predict(_button=None):
        state["asked"] = True
        live.push()

    def on_clear(_button=None):
        strokes.clear()
        blank()
        state["asked"], state["answered"] = False, 0.0
        live.push()
        answer.value = "Cleared. Draw another digit."

    canvas.on_mouse_down(on_down)
    canvas.on_mouse_move(on_move)
    canvas.on_mouse_up(on_up)
    canvas.on_mouse_out(lambda x, y: state.update(down=False))
    predict_button.on_click(on_predict)
    clear_button.on_click(on_clear)
    canvas.on_client_ready(blank)  # each time a browser view of the canvas is ready (Voilà, reloads)
    blank()
    box = widgets.VBox([widgets.HBox([canvas, live.box]), widgets.HBox([predict_button, clear_button]), answer])
    box.add_class("mnist-drawing")
    box.strokes = strokes          # for tests: the recorded strokes
    box.predict_now = on_predict   # for tests: press Predict without a browser
    return box
