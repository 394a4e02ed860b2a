"""Notebook 07's drawing canvas: draw a digit with the mouse; the answer comes as the pen moves and as the stroke ends."""
import math
import re

import pytest


# Dark pixels on the canvas (the pen is black on white).
INK_JS = """(selector) => {
  const canvas = document.querySelector(selector);
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let dark = 0;
  for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 0 && data[i] < 128) dark++;
  return dark;
}"""
ONE = [(0.5, 0.15), (0.52, 0.5), (0.5, 0.85)]                       # a vertical stroke
ZERO = [(0.5 + 0.25 * math.sin(t * math.pi / 8), 0.5 - 0.33 * math.cos(t * math.pi / 8)) for t in range(17)]


@pytest.fixture(scope="module")
def drawing(open_widget):
    # The notebook trains its network before the canvas appears: allow for that.
    return open_widget("07_mnist", "mnist-drawing", prefix="mnist", render_timeout=300, tries=2)


def draw(drawing, points, *, timed: str | None = None):
    """Drag the mouse through ``points`` (fractions of the canvas); return the dark pixels then.

    With ``timed``, the time from releasing the mouse to the new answer is recorded.
    """
    page, canvas = drawing.page, drawing.locator("canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    at = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points]
    page.mouse.move(*at[0])
    page.mouse.down()
    for x, y in at[1:]:
        page.mouse.move(x, y, steps=6)
    if timed:  # a new answer must come by itself when the stroke ends: no button pressed
        # Watched: the frame record (each answer is a new frame). The answer's words may
        # not change: the canvas answers while the pen moves too, and may already have said
        # the digit the finished stroke gets.
        drawing._act(page.mouse.up, timed, ("frame",))
    else:
        page.mouse.up()
    return page.evaluate(INK_JS, drawing.selector("canvas"))


def answer(drawing):
    found = re.search(r"says\D*(\d)", drawing.text("prediction"))
    assert found, f"the answer should name a digit; it reads {drawing.text('prediction')!r}"
    return int(found.group(1))


def wait_for_picture_of_the_ink(drawing):
    """The answer's text comes before its picture (painted after it): wait for the frame too."""
    drawing.page.wait_for_function(
        "() => /\"strokes\": [1-9]/.test(document.querySelector('.mnist-frame').textContent)", timeout=30_000)
    drawing.settle(quiet=0.5)


def clear(drawing):
    drawing.click("clear-button", watch=("prediction",), picture=False)


def test_drawing_a_digit_gives_a_prediction_as_the_stroke_ends(drawing):
    draw(drawing, ONE, timed="stroke end -> answer")  # the scores are drawn too
    assert answer(drawing) == 1, drawing.text("prediction")
    assert "-0.00" not in drawing.text("prediction")
    wait_for_picture_of_the_ink(drawing)
    drawing.screenshot("one")
    clear(drawing)
    draw(drawing, ZERO, timed="stroke end -> answer")
    assert answer(drawing) == 0, drawing.text("prediction")
    wait_for_picture_of_the_ink(drawing)
    drawing.screenshot("zero")


def test_predict_still_answers_on_request(drawing):
    clear(drawing)
    draw(drawing, ONE)
    drawing.wait_for_text("prediction", r"says")
    drawing.click("clear-button", watch=("prediction",), picture=False)
    drawing.click("predict-button", timed="predict (empty box)", watch=("prediction",), picture=False)
    assert "empty" in drawing.text("prediction")


def test_the_canvas_shows_the_ink(drawing):
    """In Voilà a canvas is shown only after its cell ran; ink drawn before must not be lost."""
    clear(drawing)
    draw(drawing, ONE)
    # A ~200-px stroke with an 18-px pen leaves thousands of dark pixels; a hairline only a few hundred.
    drawing.page.wait_for_function(f"() => ({INK_JS})('{drawing.selector('canvas')}') > 2000", timeout=10_000)
    drawing.screenshot("ink")


def test_training_reports_its_time_and_the_loss_curve_was_drawn_during_training(drawing):
    """The notebook says how long training takes; print what this machine measured."""
    body = drawing.page.inner_text("body")
    found = re.search(r"training took (\d+\.?\d*) s", body)
    assert found, "the training cell should state how long training took"
    frames = drawing.page.locator(".training-monitor-frame").first.text_content()
    print(f"07 training took {found.group(1)} s here; last loss-curve frame: {frames}")
    # One frame at the start, at least one while training ran, one at the end.
    assert '"frame": ' in frames and int(re.search(r'"frame": (\d+)', frames).group(1)) >= 3, frames


def test_the_answer_comes_while_the_pen_is_still_down(drawing):
    clear(drawing)
    page, canvas = drawing.page, drawing.locator("canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x = box["x"] + 0.5 * box["width"]
    page.mouse.move(x, box["y"] + 0.15 * box["height"])
    page.mouse.down()
    try:
        for i in range(1, 31):                      # a slow downward stroke, about 1.5 s
            page.mouse.move(x, box["y"] + (0.15 + 0.7 * i / 30) * box["height"])
            page.wait_for_timeout(50)
        # Not released yet: an answer and a picture of the ink must already be there.
        page.wait_for_function(
            "() => /\"strokes\": 1/.test(document.querySelector('.mnist-frame').textContent)", timeout=10_000)
        assert re.search(r"says\D*\d", drawing.text("prediction")), drawing.text("prediction")
    finally:
        page.mouse.up()
