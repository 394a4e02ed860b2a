"""Notebook 04's gate: a positive pre-activation passes the gradient, zero or negative stops it."""
import pytest

from browser_harness import parse_numbers
from live_timing import drag


@pytest.fixture(scope="module")
def gate(open_widget):
    return open_widget("04_relu_gating", "gate")


def gradient_after_the_gate(gate):
    """The first readout line ends with the gradient that leaves the gate: dz = ... = <dz>."""
    line = gate.text("readout").splitlines()[0]
    return parse_numbers(line.split("=")[-1])[-1], line


def test_gate_passes_the_gradient_when_z_is_positive_and_stops_it_otherwise(gate):
    gate.set("dout", -0.7, watch=("readout",))
    gate.set("z", 1.5, timed="z slider", watch=("readout",))
    dz, line = gradient_after_the_gate(gate)
    assert dz == pytest.approx(-0.7), f"z > 0: the gradient should pass unchanged; the gate says {line!r}"
    assert "pass" in line.lower()
    gate.screenshot("open")
    gate.set("z", -1.5, timed="z slider", watch=("readout",))
    dz, line = gradient_after_the_gate(gate)
    assert dz == 0, f"z < 0: the gradient should stop; the gate says {line!r}"
    assert "block" in line.lower() or "stop" in line.lower()
    gate.screenshot("closed")
    gate.set("z", 0, watch=("readout",))
    dz, line = gradient_after_the_gate(gate)
    assert dz == 0, f"ReLU'(0) = 0: at exactly 0 the gate is shut; it says {line!r}"
    gate.set("dout", 1.2, watch=("readout",), picture=False)  # a shut gate: the picture may stay as it is
    gate.set("z", 0.1, watch=("readout",))
    dz, line = gradient_after_the_gate(gate)
    assert dz == pytest.approx(1.2), line


def test_the_gate_follows_z_while_dragged(gate):
    result = drag(gate, "z", "z", start=0.3, end=0.7)   # across 0: the gate opens on the way
    assert result.frames >= 2, f"the picture should move with the hand, not only at the end: {result}"
