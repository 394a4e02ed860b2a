"""Notebook 07's drawing canvas: draw a digit, press Predict, read the network's answer."""
import re

import pytest


@pytest.fixture(scope="module")
def canvas(open_widget):
    return open_widget("07_mnist", "mnist-canvas", render_timeout=300)


def draw(page, box, points):
    """Drag the mouse through ``points`` given as fractions of the canvas box."""
    x0, y0, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x0 + points[0][0] * w, y0 + points[0][1] * h)
    page.mouse.down()
    for fx, fy in points[1:]:
        page.mouse.move(x0 + fx * w, y0 + fy * h, steps=8)
    page.mouse.up()


def test_drawing_a_digit_gives_a_prediction(canvas):
    page = canvas.page
    area = canvas.locator().locator("canvas").last
    draw(page, area.bounding_box(), [(0.5, 0.15), (0.5, 0.85)])  # a one: a vertical stroke
    canvas.click("predict-button", timed="predict", watch=("prediction",), picture=False)
    text = canvas.text("prediction")
    assert re.search(r"\b[0-9]\b", text), f"the prediction should name a digit; it reads {text!r}"
    canvas.screenshot("one")
