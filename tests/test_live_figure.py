"""Live figures paint only the latest state, once per frame the browser asks for."""
import asyncio
import concurrent.futures
import contextlib
import importlib.util
import json

import matplotlib
import pytest

# Not importorskip: importing ipympl itself would switch the back end this file checks.
if importlib.util.find_spec("ipympl") is None:
    pytest.skip("ipympl not installed", allow_module_level=True)

from course_utils.widgets.live_figure import LiveFigure  # noqa: E402
from course_utils.widgets.player import Player  # noqa: E402


def make(state):
    painted = []

    def paint(fig):
        painted.append(state["value"])
        fig.clear()
        fig.subplots().plot([0, 1], [0, state["value"]])
        return {"value": state["value"]}

    return LiveFigure(paint, figsize=(2, 2), css="test"), painted


def test_many_requests_before_a_frame_paint_only_the_latest_value():
    state = {"value": 0}
    live, painted = make(state)
    assert painted == [0], "the first picture is painted when the figure is made"
    for value in range(1, 20):          # a fast drag: nineteen values before the browser asks
        state["value"] = value
        live.request()
    assert painted == [0], "a request only marks the picture stale"
    live.canvas.draw()                   # the browser asks for a frame
    live.canvas.draw()                   # and again, with nothing new: no new painting
    assert painted == [0, 19]
    assert json.loads(live.frame.value) == {"frame": 2, "value": 19}


def test_push_paints_at_once():
    state = {"value": 3}
    live, painted = make(state)
    live.push()
    assert painted == [3, 3] and live.frames == 2


def test_with_no_page_to_show_it_the_first_picture_waits_for_a_frame_asked_for(monkeypatch):
    # The grading sandbox sets COURSE_HEADLESS: a learner's widget cell costs no drawing there.
    monkeypatch.setenv("COURSE_HEADLESS", "1")
    state = {"value": 5}
    live, painted = make(state)
    assert painted == [] and live.frames == 0 and live.frame.value == ""
    live.canvas.draw()                   # should a page ask after all, it gets the current picture
    assert painted == [5] and json.loads(live.frame.value) == {"frame": 1, "value": 5}


def test_with_no_page_a_training_loops_pushes_draw_nothing_until_a_page_asks(monkeypatch):
    monkeypatch.setenv("COURSE_HEADLESS", "1")
    state = {"value": 1}
    live, painted = make(state)
    for value in (2, 3, 4):              # notebook 07's training monitor, once an epoch
        state["value"] = value
        live.push()
    assert painted == [] and live.frames == 0
    live.canvas.handle_draw(None)        # a page asks after all: it gets the newest state...
    assert painted == [4] and json.loads(live.frame.value) == {"frame": 1, "value": 4}
    state["value"] = 5
    live.push()                          # ...and from then on every push
    assert painted == [4, 5] and live.frames == 2


def test_the_grading_sandbox_has_no_page_for_widgets():
    from course_utils.grading import confine, learner_process
    from course_utils.widgets.live_figure import HEADLESS

    assert confine.SANDBOX_ENV.get(HEADLESS) == "1" and learner_process.UNCONFINED_ENV.get(HEADLESS) == "1"


def test_importing_the_live_figure_keeps_the_sessions_backend():
    assert "ipympl" not in matplotlib.get_backend()


def test_player_stops_itself_with_a_reason_and_resets_its_button():
    ticks = []

    def tick():
        ticks.append(1)
        return "step limit" if len(ticks) == 3 else None

    async def run():
        player = Player(tick, css="test", rate=200)
        player.button.value = True
        assert player.button.description == "Pause"
        await asyncio.wait_for(player._task, timeout=5)
        return player

    # A loop of its own in a thread of its own: independent of any loop this thread may hold.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        player = pool.submit(asyncio.run, run()).result(timeout=30)
    assert len(ticks) == 3 and player.stopped_because == "step limit"
    assert not player.playing and player.button.description == "Play"


def in_own_loop(coroutine_function):
    """Run ``coroutine_function()`` on a loop of its own in a thread of its own."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine_function()).result(timeout=30)


def test_requests_in_one_turn_of_the_kernels_loop_make_one_frame_of_the_latest_value():
    async def run():
        state = {"value": 0}
        live, painted = make(state)
        sent, events = [], []
        live.canvas.send_binary = lambda data: sent.append(data)   # what would go to the page
        live.canvas.send_event = lambda kind, **_: events.append(kind)
        live.canvas.handle_draw({})     # the page has shown the first picture and asks for more
        for value in range(1, 20):      # one message (or one Play tick) changing the state many times
            state["value"] = value
            live.request()
        during = list(painted)
        await asyncio.sleep(0.01)       # the kernel is free again
        return during, painted, sent, events, json.loads(live.frame.value)

    during, painted, sent, events, frame = in_own_loop(run)
    assert during == [0], "nothing is painted while the message is being handled"
    assert painted == [0, 19] and len(sent) == 1, "one frame, of the newest value, sent at once"
    assert sent[0][:8] == b"\x89PNG\r\n\x1a\n", "a whole PNG image"
    assert frame == {"frame": 2, "value": 19}
    assert "draw" in events, "after a frame the page is asked to say when it is ready for the next"


def test_at_most_two_frames_on_their_way_and_the_next_is_the_newest():
    async def run():
        state = {"value": 0}
        live, painted = make(state)
        sent = []
        live.canvas.send_binary = lambda data: sent.append(data)
        live.canvas.send_event = lambda kind, **_: None
        live.canvas.handle_draw({})            # the page is ready
        steps = []
        for value in range(1, 30):             # Play on a slow network: ticks faster than frames arrive
            state["value"] = value
            live.request()
            await asyncio.sleep(0)
            steps.append(len(sent))
            if value in (10, 20):              # the page has the frame and asks again
                live.canvas.handle_draw({})
        await asyncio.sleep(0.01)
        return painted, sent, steps

    painted, sent, steps = in_own_loop(run)
    assert steps[:3] == [1, 2, 2], f"two frames may be on their way, not a third: {steps}"
    assert len(sent) == 4, f"then one frame per ask of the page, not one per tick: {steps}"
    assert painted == [0, 1, 2, 10, 20], "each frame shows the state at the moment the page asked"


# Every widget whose picture moves by blitting: (module, builder). Each frame is drawn from
# the kept background plus the moving artists; it must show exactly what a frame drawn
# from scratch shows, whatever the controls did before (limits that grew, a curve hidden).
BLITTED = [("loss_meter", "loss_meter"), ("valley", "valley"), ("chain_graph", "chain_graph"),
           ("gate", "gate"), ("fan_out", "fan_out"), ("separability", "separability")]


def controls(box):
    import ipywidgets as widgets
    found = []
    for child in getattr(box, "children", ()):
        if isinstance(child, (widgets.FloatSlider, widgets.FloatLogSlider, widgets.IntSlider,
                              widgets.Checkbox, widgets.ToggleButtons, widgets.Button)):
            found.append(child)
        found += controls(child)
    return found


def move_every_control(box, fraction: float):
    """Set each slider to its own fraction of its range (``fraction``, shifted for each control,
    so that two sliders part: prediction against target), flip checkboxes, click buttons."""
    import ipywidgets as widgets
    for index, control in enumerate(controls(box)):
        fraction = (fraction + 0.37 * index) % 1.0
        if isinstance(control, widgets.Checkbox):
            control.value = fraction > 0.5
        elif isinstance(control, widgets.ToggleButtons):
            control.value = control.options[int(fraction * len(control.options)) % len(control.options)][1]
        elif isinstance(control, widgets.Button):
            control.click()
        elif not control.disabled:
            value = control.min + fraction * (control.max - control.min)
            control.value = round(value) if isinstance(control, widgets.IntSlider) else value


@pytest.mark.parametrize("module, builder", BLITTED)
def test_a_blitted_frame_shows_what_a_frame_drawn_from_scratch_shows(module, builder):
    import numpy as np
    made = []
    original = LiveFigure.__init__

    def keep(self, *args, **kwargs):
        original(self, *args, **kwargs)
        made.append(self)

    LiveFigure.__init__ = keep
    try:
        box = getattr(importlib.import_module(f"course_utils.widgets.{module}"), builder)()
    finally:
        LiveFigure.__init__ = original
    live, = made
    assert live.picture is not None, f"{module}: expected the blitting path"
    backgrounds = 0
    for fraction in (0.1, 0.9, 0.35, 0.0, 1.0, 0.6):
        move_every_control(box, fraction)
        for _ in range(3):           # a few frames with the controls where they are
            before = live._background
            live._render()
            backgrounds += live._background is not before
            blitted = np.asarray(live.canvas.get_renderer().buffer_rgba()).copy()
        with matplotlibs_own_text(live):
            live.picture.background_changed()
            live._render()
        fresh = np.asarray(live.canvas.get_renderer().buffer_rgba())
        differ = np.any(blitted != fresh, axis=2)
        assert not differ.any(), (f"{module} at {fraction}: {differ.sum()} pixels differ from a frame drawn "
                                  f"from scratch with matplotlib's own text "
                                  f"(rows {np.flatnonzero(differ.any(axis=1))[[0, -1]]})")
    assert backgrounds < 6 * 3, f"{module}: the background was drawn again for every frame"


@contextlib.contextmanager
def matplotlibs_own_text(live):
    """Draw without the glyph cache (course_utils.widgets.glyph_cache) for a while."""
    renderer = live.canvas.get_renderer()
    cached = vars(renderer).pop("_draw_text_glyphs_and_boxes", None)
    try:
        yield
    finally:
        if cached is not None:
            renderer._draw_text_glyphs_and_boxes = cached


def test_a_blitted_digit_answer_shows_what_one_drawn_from_scratch_shows():
    import numpy as np
    from course_utils.plots.mnist import DigitAnswerPicture
    rng = np.random.default_rng(0)
    states = [dict(note="draw a digit"), dict(image=rng.random(784), scores=np.eye(10)[3]),
              dict(image=rng.random(784), scores=rng.normal(0, 2, 10)),      # scores beyond the axis
              dict(image=rng.random(784), note="no answer"), dict(note="draw a digit")]
    shown = {}

    def paint(picture):
        picture.update(**shown)

    live = LiveFigure(paint, figsize=DigitAnswerPicture.figsize, css="test", picture=DigitAnswerPicture)
    for state in states:
        shown.clear()
        shown.update(state)
        live._render()
        live._render()
        blitted = np.asarray(live.canvas.get_renderer().buffer_rgba()).copy()
        live.picture.background_changed()
        live._render()
        assert (blitted == np.asarray(live.canvas.get_renderer().buffer_rgba())).all(), state


def test_a_page_that_appears_gets_the_current_picture_without_a_new_state():
    state = {"value": 5}
    live, painted = make(state)
    sent = []
    live.canvas.send_binary = lambda data: sent.append(data)
    live.canvas.send_event = lambda kind, **_: None
    live.canvas.handle_draw({})            # a page that has the still image: nothing new to send
    assert sent == []
    live.canvas.handle_refresh({})         # a second view (or a reload) starts
    live.canvas.handle_draw({})
    assert len(sent) == 1 and painted == [5], "the new page gets the pixels on hand, not a repaint"


def test_the_valleys_loss_chart_grows_with_the_path_and_stays_right():
    import numpy as np
    from course_utils.widgets.valley import valley
    box = valley(lr=0.01)                  # small steps: the ball is still rolling after 45
    live, train = box.live, controls(box)[0]
    limits = []
    for step in range(1, 46):
        train.click()
        live._render()
        limits.append(live.picture.loss_ax.get_xlim()[1])
        if step in (10, 11, 20, 21, 41, 45):
            blitted = np.asarray(live.canvas.get_renderer().buffer_rgba()).copy()
            live.picture.background_changed()
            live._render()
            assert (blitted == np.asarray(live.canvas.get_renderer().buffer_rgba())).all(), f"step {step}"
    # limits[i] is after step i + 1, a path of i + 2 weights: 10 shown, then 20, 40, 60.
    assert (limits[8], limits[9], limits[18], limits[19], limits[-1]) == (9.5, 19.5, 19.5, 39.5, 59.5), limits


@pytest.mark.parametrize("alpha", [255, 128])
def test_frames_are_pngs_that_decode_to_exactly_the_pixels(alpha):
    import io

    import numpy as np
    from PIL import Image

    from course_utils.widgets.live_figure import _png
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 256, (37, 53, 4), dtype=np.uint8)
    pixels[:, :, 3] = alpha
    pixels[5:20, 10:40, :3] = 255                     # flat colour, like a figure
    decoded = np.asarray(Image.open(io.BytesIO(_png(pixels))).convert("RGBA"))
    assert (decoded == pixels).all()
