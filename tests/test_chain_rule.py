"""Notebook 03's reference chain, the chain-graph numbers, the checks' diagnoses and the widget."""
import matplotlib

matplotlib.use("Agg")
import autograd
import numpy as np
import pytest

from course_utils.chain_numbers import chain_numbers, dw1_product, fmt
from course_utils.checks.chain_rule import check_chain_backward, check_chain_forward, check_unit_backward
from course_utils.plots.chain_rule import plot_chain_graph
from course_utils.widgets.chain_graph import chain_graph, chain_graph_readout

POINTS = [(3.0, 0.5, -2.0, 1.0), (1.2, -0.7, 0.9, 0.4), (-2.0, 1.5, 0.3, -1.0), (0.0, 2.0, 1.0, 1.0)]


def loss_autograd(x, w1, w2, y):
    """The chain's loss written independently for autograd."""
    return (w2 * (w1 * x) - y) ** 2


@pytest.mark.parametrize("point", POINTS)
def test_chain_numbers_gradients_match_autograd(point):
    grad = chain_numbers(*point)["grad"]
    for index, name in [(0, "x"), (1, "w1"), (2, "w2")]:
        exact = autograd.grad(loss_autograd, index)(*point)
        assert grad[name] == pytest.approx(exact, rel=1e-7, abs=1e-8), name


@pytest.mark.parametrize("point", POINTS)
def test_the_product_of_local_derivatives_is_the_gradient_of_the_buried_weight(point):
    numbers = chain_numbers(*point)
    local = numbers["local"]
    assert local["dL/dy_hat"] * local["dy_hat/dh"] * local["dh/dw1"] == pytest.approx(
        numbers["grad"]["w1"], rel=1e-7, abs=1e-8)
    assert local["dL/dy_hat"] * local["dy_hat/dh"] == pytest.approx(numbers["grad"]["h"], rel=1e-7, abs=1e-8)


def test_dw1_product_writes_out_the_current_numbers():
    assert dw1_product(chain_numbers(3.0, 0.5, -2.0, 1.0)).endswith("(-8.00) · (-2.00) · (3.00) = 48.00")


def test_fmt_never_shows_minus_zero():
    assert fmt(-1e-12) == "0.00" and fmt(-0.004) == "0.00" and fmt(-0.006) == "-0.01"


def failure(call):
    with pytest.raises(AssertionError) as info:
        call()
    return str(info.value)


def right_backward(x, w1, w2, y):
    h, y_hat = w1 * x, w2 * w1 * x
    d = 2 * (y_hat - y)
    return {"dy_hat": d, "dw2": d * h, "dh": d * w2, "dw1": d * w2 * x}


def mutate(**changes):
    def backward(x, w1, w2, y):
        grads = right_backward(x, w1, w2, y)
        h, y_hat = w1 * x, w2 * w1 * x
        local = dict(x=x, w1=w1, w2=w2, y=y, h=h, y_hat=y_hat)
        grads.update({k: f(grads, local) for k, f in changes.items()})
        return grads
    return backward


SLIPS = {
    "factor 2": (mutate(dy_hat=lambda g, v: v["y_hat"] - v["y"]), "the 2 from differentiating"),
    "sign": (mutate(dy_hat=lambda g, v: 2 * (v["y"] - v["y_hat"])), "opposite sign"),
    "w2 left out of dw1": (mutate(dw1=lambda g, v: g["dy_hat"] * v["x"]), "dy_hat/dh = w2 is missing"),
    "x left out of dw1": (mutate(dw1=lambda g, v: g["dh"]), "dh/dw1 = x is missing"),
    "h left out of dw2": (mutate(dw2=lambda g, v: g["dy_hat"]), "dy_hat/dw2 = h is missing"),
    "no upstream in dw2": (mutate(dw2=lambda g, v: v["h"]), "only the local derivative"),
}


@pytest.mark.parametrize("slip", SLIPS)
@pytest.mark.parametrize("point", POINTS[:3])
def test_check_chain_backward_names_each_slip(slip, point):
    wrong, words = SLIPS[slip]
    check_chain_backward(right_backward, *point)
    assert words in failure(lambda: check_chain_backward(wrong, *point))


def test_check_chain_forward_names_swapped_outputs():
    check_chain_forward(lambda x, w1, w2: (w1 * x, w2 * w1 * x), 3.0, 0.5, -2.0)
    assert "swapped" in failure(lambda: check_chain_forward(lambda x, w1, w2: (w2 * w1 * x, w1 * x), 3.0, 0.5, -2.0))


@pytest.mark.parametrize("dz, x, w", [(2.0, 3.0, -0.5), (-0.7, 1.3, 2.2), (1.5, -2.0, 0.4)])
def test_check_unit_backward_agrees_with_autograd_and_names_slips(dz, x, w):
    def unit_loss(x, w, b):
        return dz * (w * x + b)
    exact = tuple(autograd.grad(unit_loss, i)(x, w, 0.3) for i in range(3))
    check_unit_backward(lambda dz, x, w: exact, dz, x, w)
    assert "swapped" in failure(lambda: check_unit_backward(lambda dz, x, w: (dz * x, dz * w, dz), dz, x, w))
    assert "not multiplied in" in failure(lambda: check_unit_backward(lambda dz, x, w: (dz * w, dz * x, 1.0), dz, x, w))
    assert "dz/db = 1" in failure(lambda: check_unit_backward(lambda dz, x, w: (dz * w, dz * x, 0.0), dz, x, w))


def test_widget_moving_a_slider_updates_the_written_out_product():
    box = chain_graph(x=3.0, w1=0.5, w2=-2.0, y=1.0)
    assert "chain-graph" in box._dom_classes
    (x, w1), (w2, y) = box.children[0].children, box.children[1].children
    readout = box.children[2]
    for name, slider in [("x", x), ("w1", w1), ("w2", w2), ("y", y)]:
        assert f"chain-graph-{name}" in slider._dom_classes
    assert "chain-graph-readout" in readout._dom_classes
    assert "= 48.00" in readout.value
    x.value = 1.0
    assert chain_graph_readout(chain_numbers(1.0, 0.5, -2.0, 1.0)) in readout.value
    assert "(-2.00) · (1.00) = 8.00" in readout.value


def test_plot_chain_graph_returns_one_figure():
    fig = plot_chain_graph(chain_numbers(*POINTS[1]))
    assert len(fig.axes) == 1
    matplotlib.pyplot.close(fig)


def test_the_graph_writes_each_number_just_after_its_name_on_one_line():
    # Names are drawn once and numbers move (a live frame draws only the numbers): each
    # pair must still read as one "name = number", the number a space right of its name.
    fig = plot_chain_graph(chain_numbers(3.0, 0.5, -2.0, 1.0))
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = [t for t in fig.axes[0].texts if t.get_text()]
    boxes = {t.get_text(): t.get_window_extent(renderer) for t in texts}
    pairs = {"∂h/∂x =": "0.50", "∂h/∂w1 =": "3.00", "∂ŷ/∂h =": "-2.00", "∂ŷ/∂w2 =": "1.50",
             "∂L/∂ŷ =": "-8.00", "dL/dŷ =": "-8.00", "dL/dh =": "16.00", "dL/dx =": "8.00",
             "dL/dw1 =": "48.00", "dL/dw2 =": "-12.00", "h = w1·x =": "1.50", "ŷ = w2·h =": "-3.00",
             "L = (ŷ − y)² =": "16.00", "dL/dw1 = dL/dŷ · dŷ/dh · dh/dw1 = 2(ŷ − y) · w2 · x =":
             "(-8.00) · (-2.00) · (3.00) = 48.00"}
    for name, value in pairs.items():
        named = [t for t in texts if t.get_text() == name]
        assert len(named) == 1, f"{name!r} should be written once: {[t.get_text() for t in texts]}"
        name_box = boxes[name]
        after = [t for t in texts if t.get_text() == value
                 and 0 < t.get_window_extent(renderer).x0 - name_box.x1 < 8
                 and abs(t.get_window_extent(renderer).y0 - name_box.y0) < 3]
        assert after, f"{name!r} should be followed, a space to its right on its line, by {value!r}"
    matplotlib.pyplot.close(fig)
