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
    """Lay the figure out (once for a live figure) and return it."""
    if not getattr(fig, "_course_layout_fixed", False):
        fig.tight_layout()
        fig._course_layout_fixed = getattr(fig, "_course_live", False)
    return fig
