"""Pictures for notebook 05: one hidden neuron's blame from the Cat, Dog and Bird paths."""
import matplotlib.pyplot as plt

from course_utils.plots.figures import Picture

CLASSES = ("Cat", "Dog", "Bird")


def _signed(value) -> str:
    """Rounded first: a tiny negative never reads "-0.00"."""
    return f"{round(float(value), 2) + 0.0:+.2f}"


class FanOutPicture(Picture):
    """A hidden neuron joined to three outputs; each edge shows its weight and the blame
    (delta times weight) that flows back along it; the neuron shows the sum.

    Nodes are drawn once; :meth:`update` sets the numbers and the arrows' widths and colours
    (red for a negative share, wider for a larger one).
    """

    figsize = (7.5, 3.4)
    hidden = (0.6, 1.1)
    outputs = [(4.2, 2.1 - k) for k in range(3)]

    def build(self) -> None:
        ax = self.ax = self.fig.subplots()
        move = self.moving_artist
        ax.set_axis_off()
        ax.set(xlim=(-0.4, 5.6), ylim=(-0.4, 2.6))
        ax.set_aspect("equal")  # round nodes
        self.arrows, self.edge_texts, self.node_texts = [], [], []
        for name, (x, y) in zip(CLASSES, self.outputs):
            self.arrows.append(move(ax.annotate("", xy=self.hidden, xytext=(x, y),
                                                arrowprops=dict(arrowstyle="-|>", lw=1, color="tab:blue",
                                                                shrinkA=22, shrinkB=22))))
            mx, my = (self.hidden[0] + x) / 2, (self.hidden[1] + y) / 2
            self.edge_texts.append(move(ax.text(mx, my + 0.12, "", ha="center", fontsize=9,
                                                bbox=dict(boxstyle="round", fc="white", ec="0.8"))))
            ax.add_patch(plt.Circle((x, y), 0.2, fc="0.95", ec="0.3"))
            self.node_texts.append(move(ax.text(x + 0.3, y, f"{name}\nδ = +0.00", va="center", fontsize=10)))
        ax.add_patch(plt.Circle(self.hidden, 0.25, fc="#fde9b7", ec="0.3"))
        self.total = move(ax.text(self.hidden[0], self.hidden[1] - 0.5, "hidden neuron 0\nblame = +0.00",
                                  ha="center", va="top", fontsize=10))
        ax.set_title("Blame flows back along every path and adds up at the neuron", fontsize=11)

    def update(self, deltas, w_row, products, total) -> None:
        largest = max(max(abs(p) for p in products), 1e-9)
        for k, name in enumerate(CLASSES):
            arrow = self.arrows[k].arrow_patch
            arrow.set_linewidth(0.8 + 5 * abs(products[k]) / largest)
            arrow.set_color("tab:red" if products[k] < 0 else "tab:blue")
            self.edge_texts[k].set_text(f"w = {_signed(w_row[k])}   δ·w = {_signed(products[k])}")
            self.node_texts[k].set_text(f"{name}\nδ = {_signed(deltas[k])}")
        self.total.set_text(f"hidden neuron 0\nblame = {_signed(total)}")


def plot_fan_out(deltas, w_row, products, total, fig=None):
    """The fan-out picture for these numbers (see :class:`FanOutPicture`). Returns the Figure."""
    picture = FanOutPicture(fig)
    picture.update(deltas, w_row, products, total)
    return picture.fig
