"""Pictures for notebook 05: one hidden neuron's blame from the Cat, Dog and Bird paths."""
import matplotlib.pyplot as plt
from course_utils.plots.figures import finish, subplots

CLASSES = ("Cat", "Dog", "Bird")


def plot_fan_out(deltas, w_row, products, total, fig=None):
    """A hidden neuron joined to three outputs; each edge shows its weight and the blame
    (delta times weight) that flows back along it; the neuron shows the sum.

    Returns the matplotlib Figure.
    """
    def signed(value):  # rounded first: a tiny negative never reads "-0.00"
        return f"{round(float(value), 2) + 0.0:+.2f}"

    fig, ax = subplots(fig, figsize=(7.5, 3.4))
    ax.set_axis_off()
    ax.set(xlim=(-0.4, 5.6), ylim=(-0.4, 2.6))
    ax.set_aspect("equal")  # round nodes
    hidden = (0.6, 1.1)
    outputs = [(4.2, 2.1 - k) for k in range(3)]
    largest = max(max(abs(p) for p in products), 1e-9)
    for k, (name, (x, y)) in enumerate(zip(CLASSES, outputs)):
        colour = "tab:red" if products[k] < 0 else "tab:blue"
        ax.annotate("", xy=hidden, xytext=(x, y),
                    arrowprops=dict(arrowstyle="-|>", lw=0.8 + 5 * abs(products[k]) / largest, color=colour,
                                    shrinkA=22, shrinkB=22))
        mx, my = (hidden[0] + x) / 2, (hidden[1] + y) / 2
        ax.text(mx, my + 0.12, f"w = {signed(w_row[k])}   δ·w = {signed(products[k])}", ha="center", fontsize=9,
                bbox=dict(boxstyle="round", fc="white", ec="0.8"))
        ax.add_patch(plt.Circle((x, y), 0.2, fc="0.95", ec="0.3"))
        ax.text(x + 0.3, y, f"{name}\nδ = {signed(deltas[k])}", va="center", fontsize=10)
    ax.add_patch(plt.Circle(hidden, 0.25, fc="#fde9b7", ec="0.3"))
    ax.text(hidden[0], hidden[1] - 0.5, f"hidden neuron 0\nblame = {signed(total)}", ha="center", va="top", fontsize=10)
    ax.set_title("Blame flows back along every path and adds up at the neuron", fontsize=11)
    return finish(fig)
