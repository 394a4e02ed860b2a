"""Notebook 03's chain graph: the forward values and the gradients follow the sliders."""
import re

import pytest

from browser_harness import parse_numbers
from live_timing import drag


@pytest.fixture(scope="module")
def graph(open_widget):
    return open_widget("03_chain_rule", "chain-graph")


def expected(x, w1, w2, y):
    """h, ŷ, L and the gradients dL/dw1, dL/dw2 of x -> h = w1 x -> ŷ = w2 h -> L = (ŷ - y)²."""
    h = w1 * x
    y_hat = w2 * h
    d_y_hat = 2 * (y_hat - y)
    return {"h": h, "ŷ": y_hat, "L": (y_hat - y) ** 2, "dL/dw1": d_y_hat * w2 * x, "dL/dw2": d_y_hat * h}


def shown(text):
    """The values the readout states, by name; dL/dw1 is the result at the end of its product."""
    values = {}
    for name in ("h", "ŷ", "L", "dL/dw2"):
        found = re.search(rf"(?<![\w/]){re.escape(name)} = (-?\d+\.?\d*)", text)
        values[name] = float(found.group(1)) if found else None
    dw1 = [part for part in text.split("|") if "dL/dw1" in part]
    values["dL/dw1"] = parse_numbers(dw1[0].split("=")[-1])[-1] if dw1 else None
    return values


@pytest.mark.parametrize("values", [dict(x=1.5, w1=2.0, w2=-0.5, y=1.0), dict(x=-1.0, w1=0.5, w2=3.0, y=-2.0)],
                         ids=["first", "second"])
def test_numbers_follow_the_sliders(graph, values):
    for name, value in values.items():
        graph.set(name, value, timed=f"{name} slider", watch=("readout",))
    text = graph.text("readout")
    want = expected(**values)
    assert shown(text) == pytest.approx(want, abs=0.006), f"for {values} the readout should show {want}: {text!r}"
    graph.screenshot(f"x{values['x']:+}")


def test_the_graph_follows_x_while_dragged(graph):
    result = drag(graph, "x", "x", start=0.3, end=0.7)
    assert result.frames >= 2, f"the picture should move with the hand, not only at the end: {result}"
