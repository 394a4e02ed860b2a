"""The chain graph: move x, w1, w2 or y and watch values flow forward and gradients back."""
from __future__ import annotations

import ipywidgets as widgets

from course_utils.chain_numbers import chain_numbers, dw1_product, fmt
from course_utils.plots.chain_rule import ChainGraphPicture
from course_utils.widgets.live_figure import LiveFigure


def chain_graph_readout(numbers: dict) -> str:
    """Text under the sliders: the forward values, then dL/dw1 written out as a product."""
    f = numbers["forward"]
    return (f"h = {fmt(f['h'])}, ŷ = {fmt(f['y_hat'])}, L = {fmt(f['L'])}  |  " + dw1_product(numbers)
            + f"  |  dL/dw2 = {fmt(numbers['grad']['w2'])}")


def chain_graph(x: float = 3.0, w1: float = 0.5, w2: float = -2.0, y: float = 1.0) -> widgets.VBox:
    """Build the widget: four sliders, a readout, the graph."""
    style = dict(min=-3.0, max=3.0, step=0.1, continuous_update=True,
                 layout=widgets.Layout(width="360px"), style={"description_width": "60px"})
    sliders = {name: widgets.FloatSlider(value=value, description=name, **style)
               for name, value in [("x", x), ("w1", w1), ("w2", w2), ("y", y)]}
    for name, slider in sliders.items():
        slider.add_class(f"chain-graph-{name}")
    readout = widgets.HTML()
    readout.add_class("chain-graph-readout")

    def values():
        return {n: sliders[n].value for n in ("x", "w1", "w2", "y")}

    def paint(picture):
        shown = values()
        picture.update(chain_numbers(*shown.values()))
        return shown

    live = LiveFigure(paint, figsize=ChainGraphPicture.figsize, css="chain-graph", picture=ChainGraphPicture)

    def redraw(_change=None):
        readout.value = f"<code>{chain_graph_readout(chain_numbers(*values().values()))}</code>"
        live.request()

    for slider in sliders.values():
        slider.observe(redraw, names="value")
    redraw()
    box = widgets.VBox([widgets.HBox([sliders["x"], sliders["w1"]]), widgets.HBox([sliders["w2"], sliders["y"]]),
                        readout, live.box])
    box.add_class("chain-graph")
    return box
