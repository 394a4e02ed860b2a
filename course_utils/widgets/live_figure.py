"""A matplotlib figure that follows the hand: drawn in place, latest state only.

The figure lives in an ``ipympl`` canvas (matplotlib's widget back end): a new frame
travels as an image message over the widget's own channel, not as a new PNG in an
``Output`` widget.

How a frame is made. A control's change calls :meth:`LiveFigure.request`, which notes
that the picture is out of date and schedules one paint for when the kernel has finished
handling the message (``call_soon``). The paint reads the controls' values *at that
moment*, so the ten changes one message or one Play tick may make are one frame. The
frame goes out at once if the page is ready for it; every frame sent is followed by a
request that the page ask for the next one (ipympl's ``draw`` message), which it does as
soon as the frame has reached it. So there are at most ``FRAMES_IN_FLIGHT`` frames on
their way: a slow page or a slow network paces the frames instead of piling them up.

Why stale frames are dropped. While the kernel paints, the browser keeps the slider's
newer values back: ipywidgets sends a model's next change only once the kernel is idle
again, and then only the latest one. While a frame is on its way, newer states only mark
the picture out of date; the page's next ask gets a frame of the newest. Nothing queues,
so the picture never falls behind a fast drag or Play.

Why every frame is a whole picture. ipympl can send only the pixels that changed, but
the browser shows an image when it has finished loading it, and a newer image that
arrives first replaces it unseen: a lost difference would leave the picture wrong until
the next full one. A lost whole frame is only a stale frame dropped. The PNG is written
for speed (see :func:`_png`: about 8 ms and 57 kB for a 1000x420 frame), and the moving
texts from glyph bitmaps rendered once (:mod:`course_utils.widgets.glyph_cache`: the same
pixels; a chain-graph frame in 30 ms instead of 66 on a quiet machine).

Why frames are fast. A widget may hand over a :class:`course_utils.plots.figures.Picture`
instead of a paint function that draws everything: its axes, curves and labels are drawn
once into a background (kept as pixels), and each frame only puts that back and draws the
few artists that move (matplotlib's blitting). The background is drawn again only when
the picture says it changed (new axis limits, say).

For the browser tests, each frame also writes the state it painted into a hidden text
part ``<css>-frame`` (JSON), so the tests can tell which input a frame answers.
"""
from __future__ import annotations

import asyncio
import base64
import io
import json
import os
import struct
import zlib
from typing import Callable

import ipywidgets as widgets
import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from course_utils.widgets.glyph_cache import cache_glyphs

# Importing ipympl switches the whole session to its back end (``matplotlib.use``), which
# would close the learner's open figures and turn every later plot into a widget. Only its
# canvas class is wanted here: keep the learner's back end as it is.
_use, matplotlib.use = matplotlib.use, lambda *args, **kwargs: None
try:
    from ipympl.backend_nbagg import Canvas, FigureManager
finally:
    matplotlib.use = _use

# Frames sent and not yet answered by the page's ask. One would make every frame wait for
# the last one's round trip (on a busy 2-core machine: drags at 170-280 ms median instead of
# 70-180); two keep the frames flowing as if unpaced (measured the same) and still bound what
# can pile up on a slow network to two frames.
FRAMES_IN_FLIGHT = 2

# Set where no page will ever show a widget: the grading sandbox, which runs a learner's
# widget cells with no front end. A widget there skips drawing its first picture (a fifth
# of the sandbox's time in notebook 01), and a training loop's pushed frames until a page
# has asked for one; it draws only if a frame is asked for.
HEADLESS = "COURSE_HEADLESS"
REMIND_AFTER = 0.5   # seconds a new state waits for the page's ask before the page is reminded
PNG_COMPRESSION = 1  # zlib level: a 1000x420 frame in 3 ms at 1, 9 ms at 6, 20 % larger


class _LiveCanvas(Canvas):
    """An ipympl canvas whose every frame is the owner's newest state, sent whole, and
    which knows whether the page is ready for the next one."""

    def draw(self):
        owner = getattr(self, "_course_owner", None)
        if owner is None:  # while the canvas is being made
            return super().draw()
        owner._send_frame()

    def handle_draw(self, event):
        """The page asks for a frame: it has the last one (or none yet)."""
        owner = getattr(self, "_course_owner", None)
        if owner is None:
            return super().handle_draw(event)
        owner._in_flight = 0 if owner._in_flight is None else max(0, owner._in_flight - 1)
        if owner._stale or owner._page_needs_frame:
            owner._send_frame()

    def handle_refresh(self, event):
        """A page (new, or reloaded) shows this canvas: it needs the current picture."""
        owner = getattr(self, "_course_owner", None)
        if owner is not None:
            owner._page_needs_frame = True
        super().handle_refresh(event)   # ends by asking the page to ask for a frame

    def get_renderer(self):
        renderer = super().get_renderer()   # a new one whenever the size in pixels changes
        cache_glyphs(renderer)
        return renderer

    def get_diff_image(self):
        if not self._png_is_old:
            return None
        pixels = np.asarray(self.get_renderer().buffer_rgba())
        self.set_image_mode("full")
        self._png_is_old = self._force_full = False
        return _png(pixels)

    def send_binary(self, data):
        # Before the page's canvas is ready, ipympl keeps each frame as the still image
        # (``_data_url``) and writes it without the ``data:`` prefix, which the browser
        # then asks the server for as a file. The frame is already a PNG: keep it whole.
        if self.syncing_data_url:
            self._data_url = _data_url(data)
        self.send({"data": '{"type": "binary"}'}, buffers=[data])


def _png(pixels: np.ndarray) -> bytes:
    """A PNG of an (H, W, 4) uint8 RGBA frame, written for speed.

    Each row is stored unfiltered and the whole compressed at zlib level 1: on a
    1000x420 figure that is a few ms instead of Pillow's 11 (most of which is choosing a
    filter per row, which only pays on photographs), and the file is smaller, since a
    figure is mostly flat colour. The alpha channel stays: dropping it from an opaque
    frame made the file 10 % smaller but cost a strided copy of every pixel (chain graph:
    8 ms a frame instead of 14.5 with it dropped).
    """
    height, width, _ = pixels.shape
    rows = np.empty((height, 1 + width * 4), dtype=np.uint8)
    rows[:, 0] = 0                                   # filter type 0: the row as it is
    rows[:, 1:] = pixels.reshape(height, -1)
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)   # 8-bit RGBA
    return b"".join([b"\x89PNG\r\n\x1a\n", _chunk(b"IHDR", header),
                     _chunk(b"IDAT", zlib.compress(rows.tobytes(), PNG_COMPRESSION)), _chunk(b"IEND", b"")])


def _data_url(png: bytes) -> str:
    """The PNG as the canvas's still image (a ``data:`` URL, prefix included)."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


class LiveFigure:
    """One live figure of a widget.

    Parameters
    ----------
    paint : callable(fig or picture) -> dict or None
        Brings the picture to the current state. Without ``picture`` it is given the
        figure and draws everything into it (clearing it first, e.g. through
        :func:`course_utils.plots.figures.subplots`); with ``picture`` it is given the
        picture and only updates it. What it returns is the painted state, shown to the
        tests as JSON.
    figsize : (float, float)
        Inches; the canvas is ``figsize * dpi`` pixels and does not resize.
    css : str
        The widget's CSS prefix: the canvas gets ``<css>-plot``, the state ``<css>-frame``.
    picture : callable(fig) -> Picture, optional
        Builds the picture once on this figure (a :class:`~course_utils.plots.figures.Picture`
        subclass): the fast path, see the module's docstring.
    """

    def __init__(self, paint: Callable, figsize: tuple[float, float], css: str, dpi: int = 100,
                 picture: Callable | None = None):
        self.fig = Figure(figsize=figsize, dpi=dpi)
        self.fig._course_live = True              # see plots.figures.finish: fixed layout
        self.canvas = _LiveCanvas(self.fig)
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
        self.picture = picture(self.fig) if picture is not None else None
        self._paint_state = paint
        self._background, self._background_size = None, None
        self._stale = False
        self._scheduled = False
        self._rendered_size = None
        self._in_flight = None  # frames sent and not yet answered by an ask; None: no page has asked yet
        self._page_needs_frame = False  # a page appeared and has not had the current picture
        self._reminder = None
        self.headless = bool(os.environ.get(HEADLESS))
        if self.headless:
            self._stale = True   # nothing to show it to: the first frame asked for is drawn then
        else:
            self._first_picture()
        self.canvas._course_owner = self
        self.box = widgets.Box([self.canvas, self.frame])

    def _first_picture(self) -> None:
        """Paint once and keep it as the canvas's still image (what a page shows before the
        kernel answers, and what an exported notebook shows). ipympl's own first draw stores
        it without the ``data:`` prefix, which the browser rejects as a broken image."""
        self._render()
        pixels = np.asarray(self.canvas.get_renderer().buffer_rgba())
        self.canvas._data_url = _data_url(_png(pixels))

    def _render(self) -> None:
        """Bring the figure's pixels to the current state (no sending)."""
        self._stale = False
        self._rendered_size = tuple(self.fig.bbox.size)
        if self.picture is None:
            state = self._paint_state(self.fig)
            FigureCanvasAgg.draw(self.canvas)
        else:
            state = self._paint_state(self.picture)
            # A new device pixel ratio (ipympl changes the dpi for a sharp picture on a
            # high-density screen) changes the size in pixels: the old background is wrong.
            size = tuple(self.fig.bbox.size)
            if self.picture.background_stale or self._background is None or size != self._background_size:
                FigureCanvasAgg.draw(self.canvas)     # everything but the moving artists
                self._background = self.canvas.copy_from_bbox(self.fig.bbox)
                self._background_size = size
                self.picture.background_stale = False
            else:
                self.canvas.restore_region(self._background)
            for artist in sorted(self.picture.moving, key=lambda a: a.get_zorder()):
                if artist.get_visible():
                    self.fig.draw_artist(artist)
        self.frames += 1
        self.frame.value = json.dumps({"frame": self.frames, **(state or {})})

    @property
    def _page_ready(self) -> bool:
        return self._in_flight is not None and self._in_flight < FRAMES_IN_FLIGHT

    def _send_frame(self) -> None:
        """Bring the pixels up to date if needed, send them, and ask the page to say when it
        has them (its next ``draw`` request makes it ready again)."""
        if self._stale or self._rendered_size != tuple(self.fig.bbox.size):
            self._render()
        self._in_flight = (self._in_flight or 0) + 1
        self._page_needs_frame = False
        self.canvas._png_is_old = True
        self.manager.refresh_all()
        self.canvas.draw_idle()

    def request(self) -> None:
        """The state changed: a frame once the kernel is free (one for many requests), sent
        at once if the page is ready for it, else as soon as the page asks."""
        self._stale = True
        if self._scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop (plain Python): the next draw paints it
            return
        self._scheduled = True
        loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._scheduled = False
        if not self._stale:
            return
        if self._page_ready:
            self._send_frame()
        else:
            self._keep_asking()

    def _keep_asking(self) -> None:
        """While a new state waits for a page that has not asked, remind the page now and
        then (one timer at a time): an ask that crossed a reload is not lost for good."""
        if self._reminder is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return

        def remind():
            self._reminder = None
            if self._stale and not self._page_ready:
                self.canvas.draw_idle()
                self._keep_asking()

        self._reminder = loop.call_later(REMIND_AFTER, remind)

    def push(self) -> None:
        """Paint and send a frame now, ready page or not.

        For code that keeps the kernel busy (a training loop in a running cell): the kernel
        reads no message from the page until the loop has ended, so it cannot wait for one.
        """
        self._stale = True
        if self.headless and self._in_flight is None:
            return  # no page has ever asked for a frame (the grading sandbox): none to send to
        self._send_frame()
