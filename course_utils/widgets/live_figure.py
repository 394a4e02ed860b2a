"""A matplotlib figure that follows the hand: drawn in place, latest state only.

The figure lives in an ``ipympl`` canvas (matplotlib's widget back end), so a new frame
travels as a small difference image instead of a new PNG in an ``Output`` widget.

Why stale frames are dropped: a slider dragged quickly sends dozens of values a second,
more than a figure can be drawn. :meth:`LiveFigure.request` only notes that the picture is
out of date and asks the browser for a frame; the browser asks for one frame at a time
(ipympl's ``waiting`` flag), and the kernel paints it when that request arrives, from the
controls' values *at that moment*. Values that came and went in between are never drawn.

The browser ignores a request that comes while a frame is on its way (it is waiting for
that image). A change that came just then would never be drawn, and the picture would
stay one step behind the hand forever; so while the picture is out of date the request
is repeated every ``RETRY`` seconds until a frame has painted it.

For the browser tests, each frame also writes the state it painted into a hidden text
part ``<css>-frame`` (JSON), so the tests can tell which input a frame answers.
"""
from __future__ import annotations

import asyncio
import base64
import io
import json
from typing import Callable

import ipywidgets as widgets
import matplotlib
from matplotlib.figure import Figure

# Importing ipympl switches the whole session to its back end (``matplotlib.use``), which
# would close the learner's open figures and turn every later plot into a widget. Only its
# canvas class is wanted here: keep the learner's back end as it is.
_use, matplotlib.use = matplotlib.use, lambda *args, **kwargs: None
try:
    from ipympl.backend_nbagg import Canvas, FigureManager
finally:
    matplotlib.use = _use


RETRY = 0.05  # seconds between two requests for the same out-of-date picture


class _LazyCanvas(Canvas):
    """An ipympl canvas that brings its figure up to date just before drawing it."""

    def draw(self):
        paint = getattr(self, "_course_paint", None)
        if paint is not None and self._course_stale:
            self._course_stale = False
            paint()
        super().draw()


class LiveFigure:
    """One live figure of a widget.

    Parameters
    ----------
    paint : callable(fig) -> dict or None
        Draws the current state into ``fig`` (clearing it first, e.g. through
        :func:`course_utils.plots.figures.subplots`). What it returns is the painted state,
        shown to the tests as JSON.
    figsize : (float, float)
        Inches; the canvas is ``figsize * dpi`` pixels and does not resize.
    css : str
        The widget's CSS prefix: the canvas gets ``<css>-plot``, the state ``<css>-frame``.
    """

    def __init__(self, paint: Callable, figsize: tuple[float, float], css: str, dpi: int = 100):
        self.fig = Figure(figsize=figsize, dpi=dpi)
        self.fig._course_live = True              # see plots.figures.finish: fixed layout
        self.canvas = _LazyCanvas(self.fig)
        self.manager = FigureManager(self.canvas, 0)
        self.canvas.header_visible = False
        self.canvas.footer_visible = False
        self.canvas.toolbar_visible = False
        self.canvas.resizable = False
        self.canvas.capture_scroll = False
        self.canvas.add_class(f"{css}-plot")
        self.frame = widgets.HTML(layout=widgets.Layout(display="none"))
        self.frame.add_class(f"{css}-frame")
        self.frames = 0
        self._paint_state = paint
        self.canvas._course_paint = self._paint
        self.canvas._course_stale = True
        self._first_picture()
        self.box = widgets.Box([self.canvas, self.frame])

    def _first_picture(self) -> None:
        """Paint once and keep it as the canvas's still image (what a page shows before the
        kernel answers, and what an exported notebook shows). ipympl's own first draw stores
        it without the ``data:`` prefix, which the browser rejects as a broken image."""
        self.canvas._course_stale = False
        self._paint()
        with io.BytesIO() as png:
            self.fig.savefig(png, format="png")
            self.canvas._data_url = "data:image/png;base64," + base64.b64encode(png.getvalue()).decode("ascii")

    def _paint(self) -> None:
        state = self._paint_state(self.fig)
        self.frames += 1
        self.frame.value = json.dumps({"frame": self.frames, **(state or {})})

    def request(self) -> None:
        """The state changed: mark the picture out of date and ask the browser for a frame."""
        self.canvas._course_stale = True
        self.canvas.draw_idle()
        self._keep_asking()

    def _keep_asking(self) -> None:
        """Ask again in ``RETRY`` s while the picture is out of date (one timer at a time)."""
        if getattr(self, "_retry", None) is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop (plain Python): nobody to ask
            return

        def again():
            self._retry = None
            if self.canvas._course_stale:
                self.canvas.draw_idle()
                self._keep_asking()

        self._retry = loop.call_later(RETRY, again)

    def push(self) -> None:
        """Paint and send a frame now, without waiting for the browser to ask.

        For code that keeps the kernel busy (a training loop in a running cell): the
        browser's request for a frame would only be read after the loop has ended.
        """
        self.canvas._course_stale = True
        self.canvas.draw()
