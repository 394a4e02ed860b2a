"""Notebook 02's valley: Train Step rolls the ball downhill; a too-large learning rate climbs out."""
import re

import pytest
from live_timing import drag, play


@pytest.fixture(scope="module")
def valley(open_widget):
    return open_widget("02_gradient_descent", "valley")


def state(valley):
    """(loss, step count) as the readout states them."""
    text = valley.text("readout")
    loss = re.search(r"loss[^0-9+\-−]*([-+−]?\d[\d.]*(?:e[-+]?\d+)?)", text, re.I)
    step = re.search(r"step[^0-9]*(\d+)", text, re.I)
    assert loss and step, f"the readout should state the loss and the step count; it reads {text!r}"
    return float(loss.group(1).replace("−", "-")), int(step.group(1))


def reset(valley):
    if state(valley)[1] != 0:
        valley.click("reset", watch=("readout",))
    assert state(valley)[1] == 0


def test_train_step_lowers_the_loss_and_moves_the_ball(valley):
    reset(valley)
    losses = [state(valley)[0]]
    for step in range(1, 6):
        # the watched picture must change too: the ball moved
        valley.click("train-step", timed="train step", watch=("readout",))
        loss, count = state(valley)
        assert count == step
        losses.append(loss)
    assert losses[-1] < losses[0], f"five steps with the default learning rate should lower the loss: {losses}"
    assert all(b <= a + 1e-9 for a, b in zip(losses, losses[1:])), f"the loss went up on a step: {losses}"
    valley.screenshot("trained")


def test_a_too_large_learning_rate_makes_the_loss_grow(valley):
    valley.set("lr", 1000, timed="learning-rate slider", watch=("readout",))  # past the end: the largest rate
    reset(valley)
    losses, went_up = [state(valley)[0]], []
    for _ in range(4):
        valley.click("train-step", watch=("readout",))
        losses.append(state(valley)[0])
        went_up.append(bool(re.search(r"went up", valley.text("readout"), re.I)))
    grew = [b > a for a, b in zip(losses, losses[1:])]
    assert any(grew), f"the largest learning rate should jump across the valley and climb: {losses}"
    assert went_up == grew, f"the readout should say when the loss went up: {went_up} vs {losses}"
    valley.screenshot("too-large-lr")


def test_the_picture_follows_the_learning_rate_slider_while_dragged(valley):
    result = drag(valley, "lr", "lr", start=0.2, end=0.6)
    assert result.frames >= 3, f"the picture should move with the hand, not only at the end: {result}"


def test_play_rolls_the_ball_on_its_own_until_pause(valley):
    valley.set("lr", 0.1, watch=("readout",))
    reset(valley)
    result = play(valley, 5.0)
    loss, step = state(valley)
    assert result.steps[1] > result.steps[0] >= 0 and result.frames >= 2, f"Play should take steps on its own: {result}"
    valley.wait_for_text("play", "Play")
    valley.page.wait_for_timeout(500)                # ticks already on their way have landed
    paused = state(valley)[1]
    valley.page.wait_for_timeout(700)
    assert state(valley)[1] == paused >= step, "Pause should stop the steps"
    valley.screenshot("played")


def painted(widget) -> dict:
    """The state the picture on screen shows (the live figure's hidden frame record)."""
    import json
    return json.loads(widget.page.evaluate(
        "(s) => { const e = document.querySelector(s); return e ? e.textContent : '{}'; }",
        widget.selector("frame")) or "{}")


def test_the_learning_rate_acts_at_once_while_playing(valley):
    valley.set("lr", 0.01, watch=("readout",))       # small steps: still rolling seconds later
    reset(valley)
    valley.click("play")
    try:
        valley.wait_for_text("readout", r"step ([5-9]|\d\d+)\b")
        assert "Pause" in valley.locator("play").inner_text()
        valley.set("lr", 0.1)                        # while it plays (a value the log slider can take)
        text = valley.wait_for_text("readout", r"learning rate 0\.1\b", timeout=10)
        changed_at = state(valley)[1]
        valley.page.wait_for_function(
            "([s, step]) => { const f = JSON.parse(document.querySelector(s).textContent || '{}');"
            " return f.lr > 0.099 && f.step > step; }", arg=[valley.selector("frame"), changed_at], timeout=10_000)
        frame = painted(valley)
        assert frame["lr"] == pytest.approx(0.1, rel=0.02) and frame["step"] > changed_at, (
            f"the picture should go on playing with the new learning rate: {frame}, readout {text!r}")
    finally:
        if "Pause" in valley.locator("play").inner_text():
            valley.click("play")
        valley.wait_for_text("play", "Play")
