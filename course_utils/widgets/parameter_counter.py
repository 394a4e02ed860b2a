"""The parameter counter: type layer sizes, see parameters per layer, the total, and GPT-3 beside it."""
from __future__ import annotations

import html

import ipywidgets as widgets

from course_utils.plots.architecture import plot_parameter_counts
from course_utils.widgets.live_figure import LiveFigure
from course_utils.reference.architecture import count_parameters, gpt3_parameters, parameter_table

REFERENCE_TOTALS = {"784→10": count_parameters([784, 10]), "GPT-3": gpt3_parameters()}


def parse_layer_sizes(text: str) -> tuple[list[int] | None, str | None]:
    """"784, 256, 10" -> ([784, 256, 10], None); anything unusable -> (None, a sentence why)."""
    parts = [p for p in text.replace(";", ",").replace("→", ",").replace(" ", ",").split(",") if p]
    try:
        sizes = [int(p) for p in parts]
    except ValueError:
        return None, "Write whole numbers separated by commas, e.g. 784, 256, 128, 10."
    if len(sizes) < 2:
        return None, "Give at least two sizes: the inputs and the outputs."
    if any(s < 1 for s in sizes):
        return None, "Every layer needs at least one neuron."
    return sizes, None


def table_html(sizes: list[int]) -> str:
    """The per-layer table: layer, inputs × outputs + biases, parameters; and the total."""
    cell = "style='padding:2px 14px'"
    right = "style='padding:2px 14px; text-align:right'"
    rows = "".join(f"<tr><td {cell}>{i}</td><td {cell}>{a:,} × {b:,} + {b:,}</td><td {right}>{p:,}</td></tr>"
                   for i, (a, b, p) in enumerate(parameter_table(sizes), start=1))
    return (f"<table><tr><th {cell}>layer</th><th {cell}>weights + biases</th><th {right}>parameters</th></tr>"
            f"{rows}<tr><td {cell}><b>total</b></td><td></td><td {right}>"
            f"<b>{count_parameters(sizes):,}</b></td></tr></table>")


def parameter_counter(sizes: str = "784, 256, 128, 10") -> widgets.VBox:
    """Build the widget around a text field of layer sizes."""
    field = widgets.Text(value=sizes, description="layer sizes", continuous_update=False,
                         layout=widgets.Layout(width="420px"), style={"description_width": "90px"})
    table = widgets.HTML()
    total = widgets.HTML()
    field.add_class("parameter-counter-sizes")
    table.add_class("parameter-counter-table")
    total.add_class("parameter-counter-total")

    def redraw(_change=None):
        parsed, problem = parse_layer_sizes(field.value)
        if problem:
            total.value = f"<b>Cannot count yet:</b> {html.escape(problem)}"
            return
        count = count_parameters(parsed)
        ratio = REFERENCE_TOTALS["GPT-3"] / count
        total.value = (f"<code>total: {count:,} parameters | GPT-3 has about 175 billion "
                       f"({REFERENCE_TOTALS['GPT-3']:,} counted), {ratio:,.0f} times as many</code>")
        table.value = table_html(parsed)
        shown["sizes"] = parsed
        live.request()

    shown = {"sizes": parse_layer_sizes(sizes)[0] or [784, 10]}

    def paint(fig):
        plot_parameter_counts(parameter_table(shown["sizes"]), REFERENCE_TOTALS, fig=fig)
        return {"sizes": shown["sizes"]}

    live = LiveFigure(paint, figsize=(9.5, 3.4), css="parameter-counter")
    field.observe(redraw, names="value")
    redraw()
    box = widgets.VBox([field, total, table, live.box])
    box.add_class("parameter-counter")
    return box
