"""Where a picture is drawn: a new figure, or again into a live figure that a widget shows.

Every plotting function of the course takes ``fig=None``. Without it a new figure is made
(the static pictures in the notebooks); with it the same figure is cleared and drawn into
again, which is what the live widgets do many times a second. The layout of a live figure
is fixed on its first drawing: a layout that moved with every frame would make the picture
jitter while a slider is dragged, and computing it costs as much as the drawing.
"""
from __future__ import annotations

import matplotlib.pyplot as plt


def subplots(fig=None, nrows: int = 1, ncols: int = 1, figsize=(6.4, 4.8), **kwargs):
    """``(fig, axes)`` like :func:`matplotlib.pyplot.subplots`, reusing ``fig`` when given.

    ``figsize`` applies to a new figure only: a live figure keeps the size it was made with.
    """
    if fig is None:
        return plt.subplots(nrows, ncols, figsize=figsize, **kwargs)
    fig.clear()
    return fig, fig.subplots(nrows, ncols, **kwargs)


def finish(fig):
    """Lay the figure out and return it: a live figure once, now; any other when it is drawn.

    A static picture gets matplotlib's tight layout as its layout engine, which runs the
    same computation as ``tight_layout()`` but at drawing time: a picture that is never
    drawn (a learner's plotting cell in the grading sandbox, where nothing is shown) costs
    no layout, which is most of what building it costs (1.6 s of notebook 07's run).
    """
    if getattr(fig, "_course_live", False):
        if not getattr(fig, "_course_layout_fixed", False):
            fig.tight_layout()
            fig._course_layout_fixed = True
    elif fig.get_layout_engine() is None:
        fig.set_layout_engine("tight")
    return fig


class Picture:
    """A figure built once and then changed in place, for pictures that move.

    A subclass draws everything in :meth:`build` (axes, curves, labels, and the artists
    that will move, each passed through :meth:`moving_artist`), then :meth:`update` changes the
    moving artists to a new state (``set_data``, ``set_text``, ...) without touching the
    rest. A live figure (:class:`course_utils.widgets.live_figure.LiveFigure`) keeps the
    still part as pixels and draws only the moving artists for each frame; a change to the
    still part (new axis limits) must call :meth:`background_changed`.

    The same class draws the notebooks' static pictures: ``Picture(fig=None)`` makes a
    pyplot figure, and the moving artists are drawn like any other when it is shown or saved
    (matplotlib draws "animated" artists whenever it saves a figure).

    Moving artists are drawn after the still ones, lowest ``zorder`` first: anything that
    must lie on top of a moving artist has to be moving too.
    """

    figsize = (6.4, 4.8)

    def __init__(self, fig=None):
        if fig is None:
            fig = plt.figure(figsize=self.figsize)
        else:
            fig.clear()
        self.fig = fig
        self.moving: list = []
        self.background_stale = True
        self.build()
        self.lay_out()

    def build(self) -> None:
        raise NotImplementedError

    def lay_out(self) -> None:
        """Place the axes once, after :meth:`build` (a tight layout unless a subclass fixes its own)."""
        finish(self.fig)

    def moving_artist(self, artist):
        """Mark ``artist`` as one that changes from frame to frame; returns it."""
        artist.set_animated(True)
        self.moving.append(artist)
        return artist

    def replace_moving(self, old, new):
        """Swap a moving artist for a new one (e.g. a contour drawn again); returns ``new``."""
        if old is not None:
            old.remove()
            self.moving.remove(old)
        return self.moving_artist(new) if new is not None else None

    def background_changed(self) -> None:
        """The still part changed (limits, ticks): draw it again before the next frame."""
        self.background_stale = True
