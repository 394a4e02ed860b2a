"""Text drawn from cached glyph bitmaps is, pixel for pixel, the text matplotlib draws."""
import matplotlib
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from course_utils.widgets import glyph_cache

NEW_TEXT_PATH = tuple(int(part) for part in matplotlib.__version__.split(".")[:2]) >= (3, 11)


def a_page_of_text(shift: float = 0.0) -> Figure:
    """Texts of every kind a picture may hold, at origins that fall between pixels.

    ``shift`` moves every text by a fraction of a pixel-ish step, so that two pages put the
    same glyphs at other sub-pixel phases.
    """
    fig = Figure(figsize=(4.3, 2.7), dpi=100)
    ax = fig.add_axes((0.07, 0.1, 0.9, 0.85))
    ax.set(xlim=(0, 10), ylim=(0, 10))
    words = ["dL/dw1 = (-8.00) · (-2.00) · (3.00) = 48.00", "∂ŷ/∂h = -2.00", "L = (ŷ − y)² = 16.00",
             "0.125", "AVWa Ty.,;", "tab:red 1e-05"]
    for row, text in enumerate(words):
        ax.text(0.137 * row + shift - 0.3, 9.3 - 1.1 * row, text, fontsize=7 + 1.7 * row,
                color=("0.15", "tab:red", "tab:blue")[row % 3], ha=("left", "center", "right")[row % 3])
    ax.text(5.03 + shift, 2.2, "bold serif 3.14", family="serif", weight="bold", fontsize=11)
    ax.text(5.5 + shift, 1.1, "mono 0123456789", family="monospace", fontsize=9, alpha=0.6)
    ax.text(-0.4 + shift, 0.2, "cut at the edge", fontsize=10)                  # partly off the axes
    ax.text(7.1 + shift, 5.0, "rotated 33.3°", rotation=33.3, fontsize=9)       # matplotlib's own path
    ax.text(1.2 + shift, 3.4, r"$\partial L/\partial w_1 = x^2$", fontsize=11)  # mathtext: its own path
    ax.text(3.3 + shift, 4.4, "jagged 42", fontsize=10, antialiased=False)      # not antialiased
    ax.set_xlabel("x label ŷ")
    ax.set_title("title · ∂")
    return fig


def pixels(fig: Figure, cached: bool) -> np.ndarray:
    canvas = FigureCanvasAgg(fig)
    if cached:
        glyph_cache.cache_glyphs(canvas.get_renderer())
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()


@pytest.mark.parametrize("shift", [0.0, 0.0137, 0.31, 0.555])
def test_cached_text_is_pixel_for_pixel_what_matplotlib_draws(shift):
    if not NEW_TEXT_PATH:
        pytest.skip(f"matplotlib {matplotlib.__version__} renders whole strings: nothing is cached")
    assert glyph_cache.supported(), "matplotlib 3.11+ draws glyph by glyph: the cache should take over"
    plain = pixels(a_page_of_text(shift), cached=False)
    first = pixels(a_page_of_text(shift), cached=True)      # bitmaps rendered and kept
    kept, laid_out = len(glyph_cache._bitmaps), len(glyph_cache._layouts)
    again = pixels(a_page_of_text(shift), cached=True)      # the same glyphs and layouts from the cache
    assert kept > 0 and laid_out > 0, "no glyph or no string went through the cache"
    assert len(glyph_cache._bitmaps) == kept, "the same text at the same places needed new bitmaps"
    assert len(glyph_cache._layouts) == laid_out, "the same strings were laid out again"
    for name, frame in (("first drawing", first), ("drawing from the cache", again)):
        differ = np.any(frame != plain, axis=2)
        assert not differ.any(), f"{name} at shift {shift}: {differ.sum()} pixels differ from matplotlib's"


def test_a_full_cache_starts_over_and_still_draws_right(monkeypatch):
    if not NEW_TEXT_PATH:
        pytest.skip(f"matplotlib {matplotlib.__version__} renders whole strings: nothing is cached")
    monkeypatch.setattr(glyph_cache, "MAX_GLYPHS", 5)
    plain = pixels(a_page_of_text(0.2), cached=False)
    assert (pixels(a_page_of_text(0.2), cached=True) == plain).all()
    assert len(glyph_cache._bitmaps) <= 5


def test_without_the_glyph_by_glyph_path_the_renderer_is_left_alone(monkeypatch):
    monkeypatch.setattr(glyph_cache, "RenderMode", None)     # as under matplotlib 3.8-3.10
    renderer = FigureCanvasAgg(Figure(figsize=(1, 1))).get_renderer()
    glyph_cache.cache_glyphs(renderer)
    assert "_draw_text_glyphs_and_boxes" not in vars(renderer)
