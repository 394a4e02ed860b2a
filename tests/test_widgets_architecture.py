"""The separability and parameter-counter widgets respond to their controls (no browser)."""
import matplotlib
import pytest

matplotlib.use("Agg")

from course_utils.widgets.parameter_counter import parameter_counter, parse_layer_sizes  # noqa: E402
from course_utils.widgets.separability import separability  # noqa: E402


def _find(box, css):
    stack = [box]
    while stack:
        widget = stack.pop()
        if css in getattr(widget, "_dom_classes", ()):
            return widget
        stack.extend(getattr(widget, "children", ()))
    raise LookupError(css)


def test_separability_trains_on_click_and_restarts_on_model_change():
    box = separability(width=8)
    assert "separability" in box._dom_classes
    readout = _find(box, "separability-readout")
    assert "linear model" in readout.value and "step 0" in readout.value
    _find(box, "separability-model").value = "hidden"
    assert _find(box, "separability-width").disabled is False
    _find(box, "separability-train-50").click()
    _find(box, "separability-train-step").click()
    assert "step 51" in readout.value and "8 ReLUs" in readout.value
    assert box.session.accuracy >= 0.97
    _find(box, "separability-width").value = 2
    assert "step 0" in readout.value and "2 ReLUs" in readout.value
    _find(box, "separability-train-step").click()
    _find(box, "separability-reset").click()
    assert "step 0" in readout.value


def test_parameter_counter_updates_its_total_and_explains_bad_input():
    box = parameter_counter()
    total = _find(box, "parameter-counter-total")
    assert "235,146" in total.value
    field = _find(box, "parameter-counter-sizes")
    field.value = "784, 10"
    assert "7,850" in total.value
    assert "7,850" in _find(box, "parameter-counter-table").value
    field.value = "784, ten"
    assert "whole numbers" in total.value


@pytest.mark.parametrize("text,sizes", [("784, 256, 128, 10", [784, 256, 128, 10]), ("2 8 1", [2, 8, 1]),
                                        ("784→10", [784, 10]), ("5", None), ("3, 0, 2", None)])
def test_parse_layer_sizes(text, sizes):
    parsed, problem = parse_layer_sizes(text)
    assert parsed == sizes and (problem is None) == (sizes is not None)
