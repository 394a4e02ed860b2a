"""Notebook 01's loss meter: the readout and the picture follow the prediction and target sliders."""
import pytest
from live_timing import drag


@pytest.fixture(scope="module")
def meter(open_widget):
    return open_widget("01_loss", "loss-meter")


def losses(meter):
    """(error, |e|, e²) as the readout states them."""
    error, absolute, squared = meter.numbers("readout")[:3]
    return error, absolute, squared


def test_readout_follows_the_prediction_slider(meter):
    meter.set("target", 0, watch=("readout",))
    meter.set("prediction", 3, timed="prediction slider", watch=("readout",))
    assert losses(meter) == pytest.approx((3.0, 3.0, 9.0))
    meter.set("prediction", -1.5, timed="prediction slider", watch=("readout",))
    assert losses(meter) == pytest.approx((-1.5, 1.5, 2.25))
    meter.screenshot("prediction")


def test_doubling_the_error_quadruples_the_squared_loss(meter):
    meter.set("prediction", 1.2, watch=("readout",))
    meter.set("target", 0.2, timed="target slider", watch=("readout",))
    error, absolute, squared = losses(meter)
    assert (error, absolute, squared) == pytest.approx((1.0, 1.0, 1.0))
    meter.set("prediction", 2.2, watch=("readout",))
    error2, absolute2, squared2 = losses(meter)
    assert error2 == pytest.approx(2 * error)
    assert absolute2 == pytest.approx(2 * absolute), "the absolute error should only double"
    assert squared2 == pytest.approx(4 * squared), "the squared error should quadruple"
    assert "4×" in meter.text("readout")
    meter.screenshot()


def test_squared_error_is_smaller_than_absolute_near_the_target(meter):
    meter.set("target", 0, watch=("readout",))
    meter.set("prediction", 0.5, watch=("readout",))
    _, absolute, squared = losses(meter)
    assert squared < absolute
    meter.set("prediction", -2.5, watch=("readout",))
    _, absolute, squared = losses(meter)
    assert squared > absolute


def test_the_picture_follows_the_prediction_while_dragged(meter):
    result = drag(meter, "prediction", "prediction", start=0.3, end=0.7)
    assert result.frames >= 2, f"the picture should move with the hand, not only at the end: {result}"
    meter.screenshot("dragged")
