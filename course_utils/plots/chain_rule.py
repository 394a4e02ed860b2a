"""Pictures for notebook 03: the scalar chain as a computation graph, forward and backward."""
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Circle, FancyArrowPatch
from matplotlib.textpath import TextToPath

from course_utils.chain_numbers import DW1_SYMBOLS, dw1_factors, fmt
from course_utils.plots.figures import Picture

# Where each node sits: the chain along the bottom row, the weights and target above.
POSITIONS = {"x": (0.0, 0.0), "h": (3.0, 0.0), "y_hat": (6.0, 0.0), "L": (9.0, 0.0),
             "w1": (1.5, 1.6), "w2": (4.5, 1.6), "y": (7.5, 1.6)}
LABELS = {"x": "x", "h": "h", "y_hat": "ŷ", "L": "L", "w1": "w1", "w2": "w2", "y": "y"}
RADIUS = 0.55
FORWARD, BACKWARD, LOCAL = "0.15", "tab:red", "tab:blue"
_TEXT_TO_PATH = TextToPath()


def _arrow(ax, start, end, color, lw=1.6, shrink=RADIUS):
    """An arrow from circle edge to circle edge (``shrink`` in data units at both ends)."""
    (xa, ya), (xb, yb) = start, end
    length = ((xb - xa) ** 2 + (yb - ya) ** 2) ** 0.5
    ux, uy = (xb - xa) / length, (yb - ya) / length
    ax.add_patch(FancyArrowPatch((xa + ux * shrink, ya + uy * shrink), (xb - ux * shrink, yb - uy * shrink),
                                 arrowstyle="-|>", mutation_scale=14, color=color, lw=lw,
                                 shrinkA=0, shrinkB=0))


def _width_pt(text: str, fontsize: float, weight: str = "normal") -> float:
    """Width of ``text`` in points, as matplotlib lays it out (no figure or renderer needed)."""
    return _TEXT_TO_PATH.get_text_width_height_descent(text, FontProperties(size=fontsize, weight=weight),
                                                      ismath=False)[0]


class ChainGraphPicture(Picture):
    """The chain with forward values in the nodes, local derivatives on the edges and the
    gradients of L below the nodes (red, flowing right to left).

    Nodes, arrows and every name ("∂h/∂x =", "dL/dh =", the product in symbols) are drawn
    once; :meth:`update` writes the numbers of
    :func:`course_utils.chain_numbers.chain_numbers` beside them. Only the numbers move, so
    a live frame lays out and draws some 130 characters instead of 320 (the text is most of
    a frame's work).
    """

    figsize = (10, 4.2)
    # Forward edges: (from, to, local derivative written on it, where its label sits).
    EDGES = [("x", "h", "dh/dx", "∂h/∂x", (0, -0.32)), ("w1", "h", "dh/dw1", "∂h/∂w1", (0.55, 0.1)),
             ("h", "y_hat", "dy_hat/dh", "∂ŷ/∂h", (0, -0.32)), ("w2", "y_hat", "dy_hat/dw2", "∂ŷ/∂w2", (0.55, 0.1)),
             ("y_hat", "L", "dL/dy_hat", "∂L/∂ŷ", (0, -0.32)), ("y", "L", None, "", (0, 0))]
    BELOW = {"y_hat": "dL/dŷ", "h": "dL/dh", "x": "dL/dx"}
    # The forward pass written out along the top: a formula, then its value, three times.
    FORWARD_TERMS = [("h", "h = w1·x ="), ("y_hat", "ŷ = w2·h ="), ("L", "L = (ŷ − y)² =")]

    def _name_value(self, at, name: str, fontsize: float, *, typical: str = "-0.00", split: float | None = None,
                    **style):
        """``name`` (still) and a moving number after it, one space apart on one baseline.

        ``at`` is a point in data units; the name ends and the number begins ``split``
        points right of it. By default the pair is about centred on ``at`` for a number as
        wide as ``typical`` (about: the rendered text is a little wider than its outline).
        Returns the number's text.
        """
        weight = style.get("weight", "normal")
        gap = _width_pt(" ", fontsize, weight)
        if split is None:
            split = (_width_pt(name, fontsize, weight) - _width_pt(typical, fontsize, weight)) / 2
        # Every point lies inside the axes: no need to check it at every frame (annotation_clip).
        common = dict(xy=at, textcoords="offset points", va="baseline", fontsize=fontsize, annotation_clip=False,
                      **style)
        self.ax.annotate(name, xytext=(split - gap / 2, 0), ha="right", **common)
        return self.moving_artist(self.ax.annotate("", xytext=(split + gap / 2, 0), ha="left", **common))

    def build(self) -> None:
        ax = self.ax = self.fig.subplots()
        move = self.moving_artist
        self.local_texts = {}
        for a, b, key, name, (dx, dy) in self.EDGES:
            (xa, ya), (xb, yb) = POSITIONS[a], POSITIONS[b]
            _arrow(ax, (xa, ya), (xb, yb), FORWARD)
            if key:
                self.local_texts[key] = self._name_value(((xa + xb) / 2 + dx, (ya + yb) / 2 + dy + 0.12),
                                                         f"{name} =", 9, color=LOCAL)
        # Nodes with their forward values.
        self.values = {}
        for name, (px, py) in POSITIONS.items():
            weight = name in ("w1", "w2")
            ax.add_patch(Circle((px, py), RADIUS, fc="#fff4d6" if weight else "#eef3fb", ec="0.3", lw=1.5))
            ax.text(px, py + 0.13, LABELS[name], ha="center", va="center", fontsize=11, weight="bold")
            self.values[name] = move(ax.text(px, py - 0.2, "", ha="center", va="center", fontsize=9))
        # Gradients flowing back: red arrows under the chain and dL/d(node) under each node.
        for a, b in [("L", "y_hat"), ("y_hat", "h"), ("h", "x")]:
            (xa, ya), (xb, yb) = POSITIONS[a], POSITIONS[b]
            _arrow(ax, (xa, ya - 0.95), (xb, yb - 0.95), BACKWARD, lw=1.2, shrink=0.3)
        self.below = {name: self._name_value((POSITIONS[name][0], POSITIONS[name][1] - 0.75),
                                             f"{self.BELOW[name]} =", 9, color=BACKWARD)
                      for name in self.BELOW}
        ax.text(POSITIONS["L"][0], POSITIONS["L"][1] - 0.75, "dL/dL = 1", ha="center", fontsize=9, color=BACKWARD)
        self.weight_grads = {name: self._name_value((POSITIONS[name][0], POSITIONS[name][1] + 0.72),
                                                    f"dL/d{name} =", 10, typical="-00.00", color=BACKWARD,
                                                    weight="bold")
                             for name in ("w1", "w2")}
        self.product = self._name_value((4.5, -1.55), f"{DW1_SYMBOLS} =", 10,
                                        typical="(-0.00) · (-0.00) · (0.00) = 0.00", color=BACKWARD)
        # The forward pass along the top: each formula at a fixed place, room for a value as
        # wide as "-000.00" after it (a moving comma would cost what the formulas save).
        corner = (-0.6, 2.75)
        ax.annotate("forward (black):", xy=corner, xytext=(0, 0), textcoords="offset points",
                    fontsize=9, color=FORWARD, va="baseline")
        split, self.forward = _width_pt("forward (black):     ", 9), {}
        for key, formula in self.FORWARD_TERMS:
            split += _width_pt(formula, 9)
            self.forward[key] = self._name_value(corner, formula, 9, split=split, color=FORWARD)
            split += _width_pt(" -000.00     ", 9)
        ax.set(xlim=(-0.8, 9.8), ylim=(-1.8, 3.0), aspect="equal")
        ax.axis("off")

    def update(self, numbers: dict) -> None:
        forward, local, grad = numbers["forward"], numbers["local"], numbers["grad"]
        for key, text in self.local_texts.items():
            text.set_text(fmt(local[key]))
        for name, text in self.values.items():
            text.set_text(fmt(forward[name]))
        for name, text in self.below.items():
            text.set_text(fmt(grad[name]))
        for name, text in self.weight_grads.items():
            text.set_text(fmt(grad[name]))
        self.product.set_text(dw1_factors(numbers))
        for key, text in self.forward.items():
            text.set_text(fmt(forward[key]))


def plot_chain_graph(numbers: dict, fig=None):
    """Draw the chain graph for ``numbers`` (what :func:`course_utils.chain_numbers.chain_numbers`
    returns; see :class:`ChainGraphPicture`). Returns the matplotlib Figure."""
    picture = ChainGraphPicture(fig)
    picture.update(numbers)
    return picture.fig
