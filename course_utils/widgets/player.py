"""Play / Pause for a training widget: steps run on their own until Pause, convergence or a limit.

The loop is a task on the kernel's own event loop. Between two ticks it gives the loop
back (``await asyncio.sleep``), so the kernel keeps reading the learner's clicks and drags
while training plays: a new learning rate or width acts at the next tick. Each tick only
trains and asks for a frame (:meth:`LiveFigure.request`).

With a live figure given, the next tick waits until the frame asked for has been painted:
training then goes as fast as the picture can follow (on a slow or busy machine, fewer
steps a second rather than frames starved by training), and every frame is the newest.
"""
from __future__ import annotations

import asyncio
from typing import Callable

import ipywidgets as widgets


class Player:
    """A Play / Pause toggle that calls ``tick()`` about ``rate`` times a second.

    ``tick()`` does one tick's work and returns ``None`` to go on, or a short reason to stop
    ("converged", "step limit"), which the caller may show. CSS hook: ``<css>-play``.
    """

    def __init__(self, tick: Callable[[], str | None], css: str, rate: float = 30.0, live=None,
                 frame_wait: float = 1.0):
        self.tick, self.period, self.live, self.frame_wait = tick, 1.0 / rate, live, frame_wait
        self.button = widgets.ToggleButton(value=False, description="Play", icon="play",
                                           tooltip="train on its own until Pause")
        self.button.add_class(f"{css}-play")
        self.stopped_because: str | None = None
        self._task: asyncio.Task | None = None
        self.button.observe(self._toggled, names="value")

    @property
    def playing(self) -> bool:
        return bool(self.button.value)

    def pause(self) -> None:
        self.button.value = False

    def _toggled(self, change) -> None:
        self.button.description, self.button.icon = ("Pause", "pause") if change["new"] else ("Play", "play")
        if change["new"] and (self._task is None or self._task.done()):
            self.stopped_because = None
            self._task = asyncio.ensure_future(self._loop())

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        while self.button.value:
            started = loop.time()
            try:
                reason = self.tick()
            except Exception as error:  # shown in the log; the button must not stay on "Pause"
                self.stopped_because = f"stopped by an error: {error}"
                self.button.value = False
                raise
            if reason:
                self.stopped_because = reason
                self.button.value = False
                break
            await self._frame_painted(loop, started)
            # Keep the pace, but always yield: the learner's messages are read in this pause.
            await asyncio.sleep(max(0.0, self.period - (loop.time() - started)))

    async def _frame_painted(self, loop, since: float) -> None:
        """Wait (yielding) until the live figure has painted a new frame, at most ``frame_wait`` s.

        The limit keeps training going where no browser asks for frames (a closed tab)."""
        if self.live is None:
            return
        frames = self.live.frames
        while self.live.frames == frames and self.button.value and loop.time() - since < self.frame_wait:
            await asyncio.sleep(0.005)
