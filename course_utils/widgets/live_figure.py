"""A matplotlib figure that follows the hand: drawn in place, latest state only.

The figure lives in an ``ipympl`` canvas (matplotlib's widget back end): a new frame
travels as an image message over the widget's own channel, not as a new PNG in an
``Output`` widget.

How a frame is made. A control's change calls :meth:`LiveFigure.request`, which only
notes that the picture is out of date and schedules one paint for when the kernel has
finished handling the message (``call_soon``). The paint reads the controls' values *at
that moment*, so the ten changes one message or one Play tick may make are one frame.

Why stale frames are dropped. While the kernel paints, the browser keeps the slider's
newer values back: ipywidgets sends a model's next change only once the kernel is idle
again, and then only the latest one. The kernel therefore never falls behind a fast drag;
it paints the newest value each time it is free.

Why every frame is a whole picture. ipympl can send only the pixels that changed, but
the browser shows an image when it has finished loading it, and a newer image that
arrives first replaces it unseen: a lost difference would leave the picture wrong until
the next full one. A lost whole frame is only a stale frame dropped. The PNG is written
with light compression (a few milliseconds on this size; the bytes stay on the machine or
the local network).

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
from typing import Callable

import ipywidgets as widgets
import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

# Importing ipympl switches the whole session to its back end (``matplotlib.use``), which
# would close the learner's open figures and turn every later plot into a widget. Only its
# canvas class is wanted here: keep the learner's back end as it is.
_use, matplotlib.use = matplotlib.use, lambda *args, **kwargs: None
try:
    from ipympl.backend_nbagg import Canvas, FigureManager
finally:
    matplotlib.use = _use

PNG_COMPRESSION = 1  # zlib level: a 1000x420 frame in 8.8 ms at 1, 12.4 ms at 6, 8 % larger


class _LiveCanvas(Canvas):
    """An ipympl canvas whose every drawing, asked by the browser or by the kernel, is
    the owner's newest frame, sent whole."""

    def draw(self):
        owner = getattr(self, "_course_owner", None)
        if owner is None:  # while the canvas is being made
            return super().draw()
        if owner._stale or owner._rendered_size != tuple(self.figure.bbox.size):
            owner._render()               # else the pixels on hand are the newest: send them again
        self._png_is_old = True
        self.manager.refresh_all()

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
            self._data_url = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
        self.send({"data": '{"type": "binary"}'}, buffers=[data])


def _png(pixels: np.ndarray) -> bytes:
    with io.BytesIO() as png:
        Image.fromarray(pixels).save(png, format="png", compress_level=PNG_COMPRESSION)
        return png.getvalue()


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
        self._first_picture()
        self.canvas._course_owner = self
        self.box = widgets.Box([self.canvas, self.frame])

    def _first_picture(self) -> None:
        """Paint once and keep it as the canvas's still image (what a page shows before the
        kernel answers, and what an exported notebook shows). ipympl's own first draw stores
        it without the ``data:`` prefix, which the browser rejects as a broken image."""
        self._render()
        pixels = np.asarray(self.canvas.get_renderer().buffer_rgba())
        self.canvas._data_url = "data:image/png;base64," + base64.b64encode(_png(pixels)).decode("ascii")

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

    def request(self) -> None:
        """The state changed: paint a frame once the kernel is free (one for many requests)."""
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
        if self._stale:
            self.canvas.draw()

    def push(self) -> None:
        """Paint and send a frame now.

        For code that keeps the kernel busy (a training loop in a running cell): a frame
        scheduled for when the kernel is free would only come after the loop has ended.
        """
        self._stale = True
        self.canvas.draw()
