"""Fan-out: one hidden neuron's blame from Cat, Dog and Bird, then all neurons as a matrix product."""
from __future__ import annotations

import html

import ipywidgets as widgets
import numpy as np

from course_utils.checks.matrix_backprop import hidden_blames_expected
from course_utils.plots.matrix_backprop import CLASSES, FanOutPicture
from course_utils.widgets.live_figure import LiveFigure

# Weights of the two other hidden neurons (rows of W; columns are Cat, Dog, Bird).
OTHER_ROWS = np.array([[-1.0, 0.5, 1.5], [0.25, -0.75, 0.5]])


def fan_out_numbers(deltas, w_row) -> dict:
    """Per-path blames, their sum, and the blames of all three hidden neurons.

    Each path's blame is the blame the neuron would get if only that output had an error,
    computed with the reference (numerical) gradients, so the sum is checked, not assumed.
    """
    deltas = np.asarray(deltas, dtype=np.float64)
    W = np.vstack([np.asarray(w_row, dtype=np.float64), OTHER_ROWS])
    products = [float(hidden_blames_expected(np.where(np.arange(3) == k, deltas, 0.0), W)[0]) for k in range(3)]
    blames = hidden_blames_expected(deltas, W)
    return {"deltas": deltas, "W": W, "products": products, "total": float(blames[0]), "blames": blames}


def signed(value: float) -> str:
    """``+1.25`` / ``-0.50`` / ``+0.00``: rounded before formatting, so a tiny negative never reads "-0.00"."""
    return f"{round(float(value), 2) + 0.0:+.2f}"


def fan_out_sum_text(numbers: dict) -> str:
    """One line: each path's δ × w and their sum."""
    parts = [f"{name}: {signed(d)} × {signed(w)} = {signed(p)}" for name, d, w, p
             in zip(CLASSES, numbers["deltas"], numbers["W"][0], numbers["products"])]
    return "   ".join(parts) + f"   →   blame of neuron 0 = sum = {signed(numbers['total'])}"


def fan_out_matrix_html(numbers: dict) -> str:
    """The same numbers as a matrix product: blames = W @ δ, one row per hidden neuron."""
    rows = []
    for j, (row, blame) in enumerate(zip(numbers["W"], numbers["blames"])):
        terms = " + ".join(f"({signed(w)})({signed(d)})" for w, d in zip(row, numbers["deltas"]))
        mark = " style='background:#fde9b7'" if j == 0 else ""
        # Counted from 0, as the notebook's text counts the rows of W ("Row 0 of W").
        rows.append(f"<tr{mark}><td>neuron {j}</td>" + "".join(f"<td>{signed(w)}</td>" for w in row)
                    + f"<td>{html.escape(terms)}</td><td><b>{signed(blame)}</b></td></tr>")
    head = "<tr><th></th>" + "".join(f"<th>w→{c}</th>" for c in CLASSES) + "<th>row · δ</th><th>blame</th></tr>"
    deltas = ", ".join(signed(d) for d in numbers["deltas"])
    return (f"<p>All hidden neurons at once: <code>blames = W @ δ</code> with δ = ({deltas}); "
            f"row 0 is the neuron above.</p><table>{head}{''.join(rows)}</table>")


def fan_out(deltas=(0.5, -1.0, 2.0), w_row=(2.0, 1.0, 0.25)) -> widgets.VBox:
    """Build the widget: δ and w sliders for Cat, Dog, Bird; per-path products; the sum; the matrix."""
    style = dict(min=-2.0, max=2.0, step=0.05, continuous_update=True,
                 layout=widgets.Layout(width="300px"), style={"description_width": "70px"})
    delta_sliders, weight_sliders = [], []
    for name, d, w in zip(CLASSES, deltas, w_row):
        ds = widgets.FloatSlider(value=d, description=f"δ {name}", **style)
        ws = widgets.FloatSlider(value=w, description=f"w {name}", **style)
        ds.add_class(f"fan-out-delta-{name.lower()}")
        ws.add_class(f"fan-out-w-{name.lower()}")
        delta_sliders.append(ds)
        weight_sliders.append(ws)
    total = widgets.HTML()
    total.add_class("fan-out-sum")
    matrix = widgets.HTML()
    matrix.add_class("fan-out-matrix")

    def paint(picture):
        numbers = fan_out_numbers([s.value for s in delta_sliders], [s.value for s in weight_sliders])
        picture.update(numbers["deltas"], numbers["W"][0], numbers["products"], numbers["total"])
        painted = {f"delta-{name.lower()}": s.value for name, s in zip(CLASSES, delta_sliders)}
        return painted | {f"w-{name.lower()}": s.value for name, s in zip(CLASSES, weight_sliders)}

    live = LiveFigure(paint, figsize=FanOutPicture.figsize, css="fan-out", picture=FanOutPicture)

    def redraw(_change=None):
        numbers = fan_out_numbers([s.value for s in delta_sliders], [s.value for s in weight_sliders])
        total.value = f"<code>{html.escape(fan_out_sum_text(numbers))}</code>"
        matrix.value = fan_out_matrix_html(numbers)
        live.request()

    for slider in delta_sliders + weight_sliders:
        slider.observe(redraw, names="value")
    redraw()
    controls = widgets.HBox([widgets.VBox(delta_sliders), widgets.VBox(weight_sliders)])
    box = widgets.VBox([controls, total, live.box, matrix])
    box.add_class("fan-out")
    return box
