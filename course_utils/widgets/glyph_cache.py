"""Text in a live frame drawn from glyph bitmaps rendered once: the same pixels, less work.

Since matplotlib 3.11 its Agg renderer draws a text glyph by glyph, asking FreeType to
render every glyph again each time it is drawn (``RendererAgg._draw_text_glyphs_and_boxes``).
A live figure draws its moving texts in every frame, and they are mostly numbers: the
same dozen glyphs again and again. In the chain graph (19 texts, about 320 glyphs a frame)
that rendering was two fifths of a frame.

The bitmap FreeType makes for a glyph depends on the font (file, hinting), its size, the
dpi, the load flags and where the glyph's origin falls *within* a pixel (FreeType places
it in 1/64 pixel steps): a glyph whole pixels further along gets the same bitmap, shifted.
So a bitmap is kept under exactly those keys and composited where matplotlib would have
put it, through the same ``draw_text_image`` call: a frame comes out pixel for pixel as
matplotlib draws it (``tests/test_glyph_cache.py`` compares whole frames).

The glyphs' places within a string are kept too: matplotlib asks FreeType to lay out
every string (``FT2Font._layout``) each time it draws it, although the same string in the
same font, size and dpi always gets the same places (in the chain graph, a sixth of a
frame). The layout is kept under exactly those keys.

Only plain upright antialiased text takes this path; rotated text, mathtext (which also
draws rules) and synthetic slant or stretch go to matplotlib's own method. Where the
renderer has no such method (matplotlib before 3.11 renders a whole string in one call),
:func:`cache_glyphs` changes nothing.
"""
from __future__ import annotations

import numpy as np
from matplotlib.backends import backend_agg

try:
    from matplotlib.ft2font import RenderMode
except ImportError:  # matplotlib before 3.11: strings are rendered whole, nothing to cache
    RenderMode = None

MAX_GLYPHS = 20_000  # bitmaps of some 100 bytes each; a long session with many fonts starts over
MAX_LAYOUTS = 5_000  # laid-out strings (a few dozen glyph places each); starts over when full
_IDENTITY = np.array([[0x10000, 0], [0, 0x10000]])   # FreeType's 16.16 fixed-point unit matrix
_bitmaps: dict[tuple, tuple[np.ndarray, int, int]] = {}
_layouts: dict[tuple, tuple[tuple, ...]] = {}


def supported() -> bool:
    """Whether this matplotlib renders text glyph by glyph (the path the cache replaces)."""
    return (RenderMode is not None and hasattr(backend_agg.RendererAgg, "_draw_text_glyphs_and_boxes")
            and hasattr(backend_agg, "get_hinting_flag") and hasattr(backend_agg.RendererAgg, "_prepare_font"))


def cache_glyphs(renderer) -> None:
    """Make ``renderer`` (a ``RendererAgg``) draw plain text from cached glyph bitmaps."""
    if supported() and not getattr(renderer, "_course_glyphs_cached", False):
        renderer._draw_text_glyphs_and_boxes = _draw_cached.__get__(renderer)
        renderer.draw_text = _draw_text_laid_out_once.__get__(renderer)
        renderer._course_glyphs_cached = True


def _draw_text_laid_out_once(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
    """``RendererAgg.draw_text`` with each string's layout (its glyphs' places) computed once."""
    if ismath:   # installed only where supported(): _prepare_font exists
        return backend_agg.RendererAgg.draw_text(self, gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)
    font = self._prepare_font(prop)   # sets the font's size for this dpi, as matplotlib does
    flags = backend_agg.get_hinting_flag()
    features = mtext.get_fontfeatures() if mtext is not None else None
    language = mtext.get_language() if mtext is not None else None
    size = prop.get_size_in_points()
    key = (font, size, self.dpi, s, flags, repr(features), repr(language))   # repr: lists are not hashable
    items = _layouts.get(key)
    if items is None:
        if len(_layouts) >= MAX_LAYOUTS:
            _layouts.clear()
        items = _layouts[key] = tuple((item.ft_object, item.glyph_index, item.x, item.y)
                                      for item in font._layout(s, flags=flags, features=features, language=language))
    self._draw_text_glyphs_and_boxes(gc, x, y, angle, ((ft, size, index, 0, 1, dx, dy)
                                                       for ft, index, dx, dy in items), [])


def _draw_cached(self, gc, x, y, angle, glyphs, boxes):
    """``RendererAgg._draw_text_glyphs_and_boxes`` with each glyph's bitmap rendered once.

    ``glyphs`` yields ``(font, size, glyph_index, slant, extend, dx, dy)``: the glyph's
    offset from the text's origin ``(x, y)`` (y downwards; dy upwards), in pixels.
    """
    original = backend_agg.RendererAgg._draw_text_glyphs_and_boxes
    if angle or boxes or not gc.get_antialiased():
        return original(self, gc, x, y, angle, glyphs, boxes)
    flags = backend_agg.get_hinting_flag()
    draw, height = self._renderer.draw_text_image, self.height
    for glyph in glyphs:
        font, size, index, slant, extend, dx, dy = glyph
        if slant or extend != 1:
            original(self, gc, x, y, angle, [glyph], [])
            continue
        # The origin in FreeType's 1/64 pixel units, y upwards: what matplotlib hands FreeType.
        fx, fy = round(0x40 * (x + dx)), round(0x40 * (height - y + dy))
        key = (font, size, self.dpi, index, flags, fx & 0x3F, fy & 0x3F)
        cached = _bitmaps.get(key)
        if cached is None:
            if len(_bitmaps) >= MAX_GLYPHS:
                _bitmaps.clear()
            font.set_size(size, self.dpi)
            font._set_transform(_IDENTITY, [fx & 0x3F, fy & 0x3F])   # only the fraction of a pixel
            bitmap = font._render_glyph(index, flags, RenderMode.NORMAL)
            cached = _bitmaps[key] = (np.array(bitmap.buffer, copy=True), bitmap.left, bitmap.top)
        buffer, left, top = cached
        # Whole pixels added back; draw_text_image's y is downwards, at the bitmap's bottom.
        draw(buffer, left + (fx >> 6), int(height) - (top + (fy >> 6)) + buffer.shape[0], 0, gc)
