"""Notebook 04's gate: a positive pre-activation passes the gradient, a negative one stops it."""
import re

import pytest


@pytest.fixture(scope="module")
def gate(open_widget):
    return open_widget("04_relu_gating", "gate")


def test_gate_passes_the_gradient_when_z_is_positive_and_stops_it_when_negative(gate):
    gate.set("z", 1.5, timed="z slider", watch=("readout",))
    open_text = gate.text("readout")
    assert re.search(r"pass|open|flows", open_text, re.I), open_text
    gate.screenshot("open")
    gate.set("z", -1.5, timed="z slider", watch=("readout",))
    closed_text = gate.text("readout")
    assert re.search(r"stop|block|closed", closed_text, re.I), closed_text
    gate.screenshot("closed")
