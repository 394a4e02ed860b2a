"""Live figures paint only the latest state, once per frame the browser asks for."""
import asyncio
import concurrent.futures
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
