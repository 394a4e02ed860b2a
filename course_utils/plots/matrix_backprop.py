"""Pictures for notebook 05: one hidden neuron's blame from the Cat, Dog and Bird paths."""
import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch

from course_utils.plots.figures import Picture

CLASSES = ("Cat", "Dog", "Bird")


def _signed(value) -> str:
    """Rounded first: a tiny negative never reads "-0.00"."""
    return f"{round(float(value), 2) + 0.0:+.2f}"


class FanOutPicture(Picture):
    """A hidden neuron joined to three outputs; each edge shows its weight and the blame
    (delta times weight) that flows back along it; the neuron shows the sum.

    Nodes, names and the arrows' paths are drawn or computed once; :meth:`update` sets the
    numbers and the arrows' widths and colours (red for a negative share, wider for a larger
    one). What moves is kept small, since a live frame redraws all of it: the arrows end
    at points worked out here (not clipped against the nodes in every frame) and a name
    ("Cat", "hidden neuron 0") is not redrawn with its number.
    """

    figsize = (7.5, 3.4)
    hidden = (0.6, 1.1)
    outputs = [(4.2, 2.1 - k) for k in range(3)]
    OUTPUT_RADIUS, HIDDEN_RADIUS, GAP = 0.2, 0.25, 0.06   # data units; the arrows stop GAP short
    LINE = 12.5  # points from one line of a name to the next (10 pt text, matplotlib's 1.2 spacing)

    def build(self) -> None:
        ax = self.ax = self.fig.subplots()
        move = self.moving_artist
        ax.set_axis_off()
        ax.set(xlim=(-0.4, 5.6), ylim=(-0.4, 2.6))
        ax.set_aspect("equal")  # round nodes
        self.arrows, self.edge_texts, self.node_texts = [], [], []
        hx, hy = self.hidden
        for name, (x, y) in zip(CLASSES, self.outputs):
            length = ((x - hx) ** 2 + (y - hy) ** 2) ** 0.5
            ux, uy = (hx - x) / length, (hy - y) / length
            start = self.OUTPUT_RADIUS + self.GAP
            end = length - self.HIDDEN_RADIUS - self.GAP
            self.arrows.append(move(ax.add_patch(FancyArrowPatch(
                (x + ux * start, y + uy * start), (x + ux * end, y + uy * end), arrowstyle="-|>",
                mutation_scale=10, lw=1, color="tab:blue", shrinkA=0, shrinkB=0))))
            mx, my = (hx + x) / 2, (hy + y) / 2
            self.edge_texts.append(move(ax.text(mx, my + 0.12, "", ha="center", fontsize=9,
                                                bbox=dict(boxstyle="round", fc="white", ec="0.8"))))
            ax.add_patch(plt.Circle((x, y), self.OUTPUT_RADIUS, fc="0.95", ec="0.3"))
            # Two lines centred on the node's height: the name, still, and δ under it.
            ax.annotate(name, xy=(x + 0.3, y), xytext=(0, self.LINE / 2), textcoords="offset points",
                        va="center", fontsize=10)
            # Fixed points inside the axes: no need to check them at every frame (annotation_clip).
            self.node_texts.append(move(ax.annotate("", xy=(x + 0.3, y), xytext=(0, -self.LINE / 2),
                                                    textcoords="offset points", va="center", fontsize=10,
                                                    annotation_clip=False)))
        ax.add_patch(plt.Circle(self.hidden, self.HIDDEN_RADIUS, fc="#fde9b7", ec="0.3"))
        ax.text(hx, hy - 0.5, "hidden neuron 0", ha="center", va="top", fontsize=10)
        self.total = move(ax.annotate("", xy=(hx, hy - 0.5), xytext=(0, -self.LINE), textcoords="offset points",
                                      ha="center", va="top", fontsize=10, annotation_clip=False))
        ax.set_title("Blame flows back along every path and adds up at the neuron", fontsize=11)

    def update(self, deltas, w_row, products, total) -> None:
        largest = max(max(abs(p) for p in products), 1e-9)
        for k in range(len(CLASSES)):
            arrow = self.arrows[k]
            arrow.set_linewidth(0.8 + 5 * abs(products[k]) / largest)
            arrow.set_color("tab:red" if products[k] < 0 else "tab:blue")
            self.edge_texts[k].set_text(f"w = {_signed(w_row[k])}   δ·w = {_signed(products[k])}")
            self.node_texts[k].set_text(f"δ = {_signed(deltas[k])}")
        self.total.set_text(f"blame = {_signed(total)}")


def plot_fan_out(deltas, w_row, products, total, fig=None):
    """The fan-out picture for these numbers (see :class:`FanOutPicture`). Returns the Figure."""
    picture = FanOutPicture(fig)
    picture.update(deltas, w_row, products, total)
    return picture.fig
