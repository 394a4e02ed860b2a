"""The loss meter's readout and widget, without a browser."""
import matplotlib

matplotlib.use("Agg")
import pytest

from course_utils.widgets.loss_meter import loss_meter, loss_meter_readout


@pytest.mark.parametrize("prediction, target", [(1.0, 0.0), (-2.5, 1.0), (0.3, 0.2)])
def test_readout_says_doubling_the_error_quadruples_the_loss(prediction, target):
    text = loss_meter_readout(prediction, target)
    error = prediction - target
    assert f"squared e² = {error ** 2:.2f}" in text
    assert "4× as much" in text


def test_readout_at_zero_error_does_not_divide_by_zero():
    assert "squared e² = 0.00" in loss_meter_readout(1.0, 1.0)


def test_widget_updates_its_readout_when_the_prediction_moves():
    box = loss_meter(prediction=1.0, target=0.0)
    assert "loss-meter" in box._dom_classes
    prediction, _target, limits, readout, _plot = box.children
    assert "-4 to 4" in limits.value, "the sliders should say where they stop"
    prediction.value = 0.25
    assert prediction.value == 0.25, "a typed 0.25 must not snap to 0.3"
    prediction.value = 3.0
    assert "squared e² = 9.00" in readout.value
