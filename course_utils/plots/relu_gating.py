"""Pictures for notebook 04: the ReLU gate for one neuron and for a small layer."""
import numpy as np

from course_utils.reference.relu_gating import relu
from course_utils.plots.figures import finish, subplots


def plot_gate(z, dout, dz, layer_z, layer_dout, layer_dz, z_range=3.0, fig=None):
    """Left: relu(z) with the current pre-activation and its slope. Right: a layer's
    upstream gradients and what passes each neuron's gate (off neurons crossed and labelled).

    ``dz`` and ``layer_dz`` are the gradients after the gate, computed by the caller.
    Returns the matplotlib Figure.
    """
    fig, (curve, bars) = subplots(fig, 1, 2, figsize=(9.5, 3.4), gridspec_kw={"width_ratios": [1, 1.4]})
    grid = np.linspace(-z_range, z_range, 301)
    curve.plot(grid, relu(grid), color="tab:blue", lw=2, label="relu(z)")
    on = z > 0
    curve.plot([z], [relu(z)], "o", ms=10, color="tab:green" if on else "tab:red")
    slope = 1.0 if on else 0.0
    span = np.array([z - 0.8, z + 0.8])
    curve.plot(span, relu(z) + slope * (span - z), "--", color="0.3", label=f"slope {slope:.0f}")
    curve.axvline(0, color="0.8", lw=1)
    curve.set(xlim=(-z_range, z_range), ylim=(-0.5, z_range), xlabel="pre-activation z",
              title=f"one neuron: gate {'ON' if on else 'OFF'}, dz = {dz:+.2f}")
    curve.legend(loc="upper left", fontsize=8)
    index = np.arange(len(layer_z))
    width = 0.38
    bars.bar(index - width / 2, layer_dout, width, color="0.7", label="gradient arriving (dout)")
    gated = bars.bar(index + width / 2, layer_dz, width, color="tab:green", label="gradient passed (dz)")
    for i, (zi, bar) in enumerate(zip(layer_z, gated)):
        if zi <= 0:  # blocked: a red cross where the passed gradient would be
            bars.plot([i + width / 2], [0], marker="x", ms=10, mew=2.5, color="tab:red")
        bars.text(i, max(abs(np.max(layer_dout)), 0.5) * 1.15, f"z={zi:+.1f}\n{'on' if zi > 0 else 'OFF'}",
                  ha="center", va="bottom", fontsize=8)
    bars.axhline(0, color="0.5", lw=1)
    limit = max(np.max(np.abs(layer_dout)), 0.5) * 1.7
    bars.set(xticks=index, xticklabels=[f"neuron {i + 1}" for i in index], ylim=(-limit, limit),
             title="a layer: only neurons that fired pass the gradient")
    bars.plot([], [], "x", color="tab:red", mew=2.5, label="blocked (neuron off)")
    bars.legend(loc="lower left", fontsize=8)
    return finish(fig)
