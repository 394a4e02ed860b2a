"""Notebook 06: training moves the decision boundary and accuracy; the parameter counter counts."""
import re

import pytest

from live_timing import drag, play


@pytest.fixture(scope="module")
def separability(open_widget):
    return open_widget("06_architecture", "separability", render_timeout=150)


@pytest.fixture(scope="module")
def counter(open_widget):
    return open_widget("06_architecture", "parameter-counter", render_timeout=150)


def readout(widget):
    """(step, accuracy as a fraction, number of parameters) as the readout states them."""
    text = widget.text("readout")
    step = re.search(r"step\D*(\d+)", text, re.I)
    found = re.search(r"accuracy\D*(\d+(?:\.\d+)?)\s*%", text, re.I)
    params = re.search(r"(\d+) parameters", text)
    assert step and found and params, f"the readout should state step, accuracy and parameters; it reads {text!r}"
    return int(step.group(1)), float(found.group(1)) / 100, int(params.group(1))


def test_a_linear_model_stays_near_chance(separability):
    separability.set("model", "linear")
    separability.click("reset", watch=("readout",), picture=False) if readout(separability)[0] else None
    untrained = separability.picture()
    # The picture shades the regions only: while the line says "corner" everywhere it looks the same.
    separability.click("train-step", watch=("readout",), picture=False)
    assert readout(separability)[0] == 1
    for _ in range(4):
        separability.click("train-50", watch=("readout",), picture=False)
    step, accuracy, params = readout(separability)
    assert (step, params) == (201, 3)
    assert accuracy < 0.7, f"a straight line cannot separate the centre from the corners: {accuracy:.0%}"
    assert separability.picture() != untrained, "training should move the drawn boundary"
    separability.screenshot("linear")


def test_a_hidden_layer_moves_the_boundary_and_learns_it(separability):
    separability.set("model", "hidden layer", watch=("readout",))
    separability.set("width", 6, timed="width slider", watch=("readout",))
    step, before, params = readout(separability)
    assert (step, params) == (0, 4 * 6 + 1), "2 inputs -> 6 ReLUs -> 1 output has 25 parameters"
    separability.click("train-step", timed="train step, readout only (hidden)", watch=("readout",), picture=False)
    for _ in range(3):
        separability.click("train-50", timed="train 50 steps (hidden)", watch=("readout",))  # the boundary moves
    step, after, _ = readout(separability)
    assert step == 151
    assert after > before and after >= 0.9, f"accuracy {before:.0%} -> {after:.0%}"
    separability.screenshot("hidden")


@pytest.mark.parametrize("sizes, total", [("784, 10", 7_850), ("784, 256, 128, 10", 235_146)])
def test_parameter_counter_total_follows_the_layer_sizes(counter, sizes, total):
    counter.set("sizes", sizes, timed="layer sizes", watch=("total",))
    text = counter.text("total")
    assert f"{total:,}" in text or str(total) in text, f"{sizes}: the total should be {total:,}; it reads {text!r}"
    counter.screenshot(sizes.replace(", ", "-"))


def use_hidden_layer(separability):
    if "hidden layer" not in separability.text("readout"):
        separability.set("model", "hidden layer", watch=("readout",))


def test_the_boundary_follows_the_width_slider_while_dragged(separability):
    use_hidden_layer(separability)
    result = drag(separability, "width", "width", start=0.1, end=0.5, moves=25, pause_ms=40)
    assert result.frames >= 2, f"the picture should move with the hand, not only at the end: {result}"


def test_play_moves_the_boundary_on_its_own_until_pause(separability):
    use_hidden_layer(separability)
    separability.set("width", 8, watch=("readout",))
    if readout(separability)[0]:
        separability.click("reset", watch=("readout",))
    start = separability.picture()
    result = play(separability, 6.0, shots=(0.15, 1.5, 5.5))   # rough, settling, settled
    step, accuracy, _ = readout(separability)
    assert result.steps[1] > result.steps[0] and result.frames >= 2, f"Play should train on its own: {result}"
    assert separability.picture() != start, "the boundary should have moved while playing"
    separability.wait_for_text("play", "Play")
    separability.page.wait_for_timeout(500)          # ticks already on their way have landed
    paused = readout(separability)[0]
    separability.page.wait_for_timeout(700)
    assert readout(separability)[0] == paused >= step, "Pause should stop training"
    assert accuracy > 0.5


def test_a_new_width_while_playing_starts_again_and_keeps_playing(separability):
    use_hidden_layer(separability)
    separability.set("width", 4, watch=("readout",))
    separability.click("play")
    try:
        separability.wait_for_text("readout", r"step ([3-9]\d\d|\d{4,})\b")   # 300 steps or more
        separability.set("width", 16)                                   # while it plays
        separability.wait_for_text("readout", r"16 ReLUs", timeout=10)
        before = readout(separability)[0]
        separability.page.wait_for_function(
            "([s, step]) => { const f = JSON.parse(document.querySelector(s).textContent || '{}');"
            " return f.width === 16 && f.step > step; }", arg=[separability.selector("frame"), before],
            timeout=10_000)
        assert "Pause" in separability.locator("play").inner_text(), "Play should go on with the new width"
        assert before < 300, f"a new width should start training again from step 0 (readout at step {before})"
    finally:
        if "Pause" in separability.locator("play").inner_text():
            separability.click("play")
        separability.wait_for_text("play", "Play")
