"""Notebook 03's chain graph: the forward values and the gradients follow the sliders."""
import pytest

from browser_harness import missing_numbers


@pytest.fixture(scope="module")
def graph(open_widget):
    return open_widget("03_chain_rule", "chain-graph")


def expected(x, w1, w2, y):
    """h, y_hat, L and the gradients dL/dy_hat, dL/dw2, dL/dh, dL/dw1 of the chain."""
    h = w1 * x
    y_hat = w2 * h
    d_y_hat = 2 * (y_hat - y)
    return [h, y_hat, (y_hat - y) ** 2, d_y_hat, d_y_hat * h, d_y_hat * w2, d_y_hat * w2 * x]


@pytest.mark.parametrize("values", [dict(x=1.5, w1=2.0, w2=-0.5, y=1.0), dict(x=-1.0, w1=0.5, w2=3.0, y=-2.0)],
                         ids=["first", "second"])
def test_numbers_follow_the_sliders(graph, values):
    for name, value in values.items():
        graph.set(name, value, timed=f"{name} slider", watch=("readout",))
    text = graph.text("readout")
    assert not missing_numbers(text, expected(**values)), \
        f"for {values} the graph should show {expected(**values)}; it reads {text!r}"
    graph.screenshot(f"x{values['x']}")
