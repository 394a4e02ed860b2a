"""Notebook 05's fan-out: the hidden neuron's blame is the sum of delta times weight over the paths."""
import pytest

from browser_harness import missing_numbers, parse_numbers
from live_timing import drag

CLASSES = ("cat", "dog", "bird")


@pytest.fixture(scope="module")
def fan_out(open_widget):
    return open_widget("05_matrix_backprop", "fan-out")


@pytest.mark.parametrize("deltas, weights", [((0.5, -1.0, 2.0), (1.0, 0.5, -0.25)),
                                             ((-0.3, 0.8, 0.1), (2.0, -1.5, 1.0))], ids=["first", "second"])
def test_sum_follows_the_sliders(fan_out, deltas, weights):
    for name, delta, weight in zip(CLASSES, deltas, weights):
        fan_out.set(f"delta-{name}", delta, timed="delta slider", watch=("sum",))
        fan_out.set(f"w-{name}", weight, timed="weight slider", watch=("sum",))
    products = [d * w for d, w in zip(deltas, weights)]
    text = fan_out.text("sum")
    assert not missing_numbers(text, products, abs_=5e-3), f"each path's δ × w {products} should show: {text!r}"
    assert parse_numbers(text)[-1] == pytest.approx(sum(products), abs=5e-3), \
        f"the sum should be {sum(products):+.2f}; the readout ends {text[-60:]!r}"
    fan_out.screenshot(f"sum{sum(products):+.2f}")


def test_the_picture_follows_a_delta_while_dragged(fan_out):
    result = drag(fan_out, "delta-cat", "delta-cat", start=0.3, end=0.7)
    assert result.frames >= 2, f"the picture should move with the hand, not only at the end: {result}"
    text = fan_out.text("matrix")
    assert "neuron 0" in text and "-0.00" not in text, "rows count from 0, as in the text (Row 0 of W)"
