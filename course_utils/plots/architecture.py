"""Pictures for notebook 06: how output codes measure mistakes, templates, parameter counts."""
import matplotlib.pyplot as plt
import numpy as np
from course_utils.plots.figures import finish, subplots


def plot_output_codes(number_loss, one_hot_loss):
    """Two 10x10 tables of the squared error for (true digit, guessed digit): one number vs one-hot."""
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.2))
    for ax, table, title in [(axes[0], number_loss, "one output 0–9: error (guess − truth)²"),
                             (axes[1], one_hot_loss, "ten yes/no outputs: sum of squared errors")]:
        table = np.asarray(table)
        ax.imshow(table, cmap="Reds", vmin=0)
        for i in range(10):
            for j in range(10):
                ax.text(j, i, f"{table[i, j]:g}", ha="center", va="center", fontsize=7,
                        color="white" if table[i, j] > 0.6 * table.max() else "black")
        ax.set(xticks=range(10), yticks=range(10), xlabel="digit guessed", ylabel="true digit", title=title)
        ax.title.set_fontsize(10)
    finish(fig)
    return fig


def plot_templates(W, scores_note=""):
    """The ten columns of a (784, 10) weight matrix as 28x28 pictures: red = votes for the digit, blue = against."""
    W = np.asarray(W)
    fig, axes = plt.subplots(1, 10, figsize=(12, 1.8))
    limit = np.abs(W).max()
    for digit, ax in enumerate(axes):
        ax.imshow(W[:, digit].reshape(28, 28), cmap="bwr", vmin=-limit, vmax=limit)
        ax.set(xticks=[], yticks=[], title=f"template {digit}")
        ax.title.set_fontsize(9)
    if scores_note:
        fig.suptitle(scores_note, fontsize=9, y=0.02, va="bottom")
    finish(fig)
    return fig


def readable(count: int) -> str:
    """7850 -> '7,850'; 174604259328 -> '174.6 billion'."""
    for size, word in [(1e9, "billion"), (1e6, "million")]:
        if count >= size:
            return f"{count / size:,.1f} {word}"
    return f"{count:,}"


def plot_parameter_counts(table, reference_totals, fig=None):
    """Left: parameters per layer. Right: this network's total beside others on a log scale.

    ``table`` is an (L, 3) array of rows (n_in, n_out, parameters); ``reference_totals``
    maps a name (e.g. "GPT-3") to its parameter count.
    """
    table = np.asarray(table)
    fig, (layers_ax, log_ax) = subplots(fig, 1, 2, figsize=(9.5, 3.4), gridspec_kw={"width_ratios": [1.2, 1]})
    labels = [f"{a}→{b}" for a, b, _ in table]
    bars = layers_ax.bar(range(len(table)), table[:, 2], color="tab:blue")
    layers_ax.yaxis.set_major_formatter(lambda value, _pos: f"{value:,.0f}")
    layers_ax.bar_label(bars, labels=[f"{p:,}" for p in table[:, 2]], fontsize=8)
    layers_ax.set_xticks(range(len(table)), labels, fontsize=8, rotation=20 if len(table) > 4 else 0)
    layers_ax.set(ylabel="parameters", title="parameters per layer")
    layers_ax.margins(y=0.15)
    names = ["this network", *reference_totals]
    totals = [int(table[:, 2].sum()), *reference_totals.values()]
    bars = log_ax.barh(names, totals, color=["tab:blue"] + ["0.55"] * len(reference_totals))
    log_ax.bar_label(bars, labels=[readable(t) for t in totals], fontsize=8, padding=2)
    log_ax.set(xscale="log", xlim=(1, max(totals) * 1e3), xlabel="parameters (log scale)", title="totals")
    log_ax.invert_yaxis()
    return finish(fig)
