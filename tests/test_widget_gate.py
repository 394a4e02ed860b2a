"""The gate widget: its numbers and words, its CSS hooks, and that moving a slider updates it."""
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from course_utils.widgets.gate import LAYER_DOUT, gate, gate_numbers, gate_readout  # noqa: E402


@pytest.mark.parametrize("z, passes", [(-1.0, False), (0.0, False), (1e-9, False), (0.3, True), (2.0, True)])
def test_gate_passes_the_gradient_only_when_z_is_positive(z, passes):
    numbers = gate_numbers(z, dout=1.5)
    assert numbers["dz"] == pytest.approx(1.5 if passes else 0.0, abs=1e-6)
    text = gate_readout(numbers)
    assert ("the gradient passes" in text) == passes and ("blocked" in text.splitlines()[0]) != passes


def test_exactly_zero_is_called_off_in_words():
    assert "exactly 0 counts as off" in gate_readout(gate_numbers(0.0, 1.0))


@pytest.mark.parametrize("shift", [-2.0, -0.3, 0.0, 0.8, 2.0])
def test_layer_passes_dout_at_on_neurons_and_zero_at_off_ones(shift):
    numbers = gate_numbers(0.5, 1.0, shift)
    on = numbers["layer_z"] > 0
    np.testing.assert_allclose(numbers["layer_dz"], np.where(on, LAYER_DOUT, 0.0), atol=1e-6)
    assert f"{int(on.sum())} of 5 neurons on" in gate_readout(numbers)


def test_widget_has_css_hooks_and_updates_when_z_crosses_zero():
    box = gate(z=0.5, dout=1.5)
    assert "gate" in box._dom_classes
    classes = {c for child in box.children for c in child._dom_classes}
    assert {"gate-z", "gate-readout", "gate-dout", "gate-shift"} <= classes
    slider = next(c for c in box.children if "gate-z" in c._dom_classes)
    readout = next(c for c in box.children if "gate-readout" in c._dom_classes)
    assert "passes" in readout.value
    slider.value = -0.5
    assert "blocked" in readout.value and "+0.00" in readout.value
