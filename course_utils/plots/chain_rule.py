"""Pictures for notebook 03: the scalar chain as a computation graph, forward and backward."""
from matplotlib.patches import Circle, FancyArrowPatch

from course_utils.chain_numbers import dw1_product, fmt
from course_utils.plots.figures import Picture

# Where each node sits: the chain along the bottom row, the weights and target above.
POSITIONS = {"x": (0.0, 0.0), "h": (3.0, 0.0), "y_hat": (6.0, 0.0), "L": (9.0, 0.0),
             "w1": (1.5, 1.6), "w2": (4.5, 1.6), "y": (7.5, 1.6)}
LABELS = {"x": "x", "h": "h", "y_hat": "ŷ", "L": "L", "w1": "w1", "w2": "w2", "y": "y"}
RADIUS = 0.55
FORWARD, BACKWARD, LOCAL = "0.15", "tab:red", "tab:blue"


def _arrow(ax, start, end, color, lw=1.6, shrink=RADIUS):
    """An arrow from circle edge to circle edge (``shrink`` in data units at both ends)."""
    (xa, ya), (xb, yb) = start, end
    length = ((xb - xa) ** 2 + (yb - ya) ** 2) ** 0.5
    ux, uy = (xb - xa) / length, (yb - ya) / length
    ax.add_patch(FancyArrowPatch((xa + ux * shrink, ya + uy * shrink), (xb - ux * shrink, yb - uy * shrink),
                                 arrowstyle="-|>", mutation_scale=14, color=color, lw=lw,
                                 shrinkA=0, shrinkB=0))


class ChainGraphPicture(Picture):
    """The chain with forward values in the nodes, local derivatives on the edges and the
    gradients of L below the nodes (red, flowing right to left).

    Nodes and arrows are drawn once; :meth:`update` writes the numbers of
    :func:`course_utils.chain_numbers.chain_numbers` into them.
    """

    figsize = (10, 4.2)
    # Forward edges: (from, to, local derivative written on it, where its label sits).
    EDGES = [("x", "h", "dh/dx", "∂h/∂x", (0, -0.32)), ("w1", "h", "dh/dw1", "∂h/∂w1", (0.55, 0.1)),
             ("h", "y_hat", "dy_hat/dh", "∂ŷ/∂h", (0, -0.32)), ("w2", "y_hat", "dy_hat/dw2", "∂ŷ/∂w2", (0.55, 0.1)),
             ("y_hat", "L", "dL/dy_hat", "∂L/∂ŷ", (0, -0.32)), ("y", "L", None, "", (0, 0))]
    BELOW = {"y_hat": "dL/dŷ", "h": "dL/dh", "x": "dL/dx"}

    def build(self) -> None:
        ax = self.ax = self.fig.subplots()
        move = self.moving_artist
        self.local_texts = {}
        for a, b, key, _name, (dx, dy) in self.EDGES:
            (xa, ya), (xb, yb) = POSITIONS[a], POSITIONS[b]
            _arrow(ax, (xa, ya), (xb, yb), FORWARD)
            if key:
                self.local_texts[key] = move(ax.text((xa + xb) / 2 + dx, (ya + yb) / 2 + dy + 0.12, "",
                                                     ha="center", fontsize=9, color=LOCAL))
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
        self.below = {name: move(ax.text(POSITIONS[name][0], POSITIONS[name][1] - 0.75, "", ha="center",
                                         fontsize=9, color=BACKWARD)) for name in self.BELOW}
        ax.text(POSITIONS["L"][0], POSITIONS["L"][1] - 0.75, "dL/dL = 1", ha="center", fontsize=9, color=BACKWARD)
        self.weight_grads = {name: move(ax.text(POSITIONS[name][0], POSITIONS[name][1] + 0.72, "", ha="center",
                                                fontsize=10, color=BACKWARD, weight="bold"))
                             for name in ("w1", "w2")}
        self.product = move(ax.text(4.5, -1.55, "", ha="center", fontsize=10, color=BACKWARD))
        self.forward = move(ax.text(-0.6, 2.75, "", fontsize=9, color=FORWARD))
        ax.set(xlim=(-0.8, 9.8), ylim=(-1.8, 3.0), aspect="equal")
        ax.axis("off")

    def update(self, numbers: dict) -> None:
        forward, local, grad = numbers["forward"], numbers["local"], numbers["grad"]
        for a, b, key, name, _where in self.EDGES:
            if key:
                self.local_texts[key].set_text(f"{name} = {fmt(local[key])}")
        for name, text in self.values.items():
            text.set_text(fmt(forward[name]))
        for name, text in self.below.items():
            text.set_text(f"{self.BELOW[name]} = {fmt(grad[name])}")
        for name, text in self.weight_grads.items():
            text.set_text(f"dL/d{name} = {fmt(grad[name])}")
        self.product.set_text(dw1_product(numbers))
        self.forward.set_text(f"forward (black): h = w1·x = {fmt(forward['h'])},  ŷ = w2·h = {fmt(forward['y_hat'])},"
                              f"  L = (ŷ − y)² = {fmt(forward['L'])}")


def plot_chain_graph(numbers: dict, fig=None):
    """Draw the chain graph for ``numbers`` (what :func:`course_utils.chain_numbers.chain_numbers`
    returns; see :class:`ChainGraphPicture`). Returns the matplotlib Figure."""
    picture = ChainGraphPicture(fig)
    picture.update(numbers)
    return picture.fig
