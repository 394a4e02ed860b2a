"""Pictures for notebook 04: the ReLU gate for one neuron and for a small layer."""
import numpy as np

from course_utils.reference.relu_gating import relu
from course_utils.plots.figures import Picture


class GatePicture(Picture):
    """Left: relu(z) with the current pre-activation and its slope. Right: a layer's
    upstream gradients and what passes each neuron's gate (off neurons crossed and labelled).

    Built once for ``n_neurons`` neurons; :meth:`update` moves it to new numbers.
    """

    figsize = (9.5, 3.4)
    width = 0.38   # of each bar; a neuron's two bars side by side

    def __init__(self, fig=None, z_range: float = 3.0, n_neurons: int = 5):
        self.z_range, self.n_neurons = z_range, n_neurons
        super().__init__(fig)

    def build(self) -> None:
        self.curve, self.bars = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.4]})
        curve, bars, r = self.curve, self.bars, self.z_range
        grid = np.linspace(-r, r, 301)
        curve.plot(grid, relu(grid), color="tab:blue", lw=2, label="relu(z)")
        self.dot, = curve.plot([0.5], [0.5], "o", ms=10, color="tab:green")
        self.tangent, = curve.plot([0, 1], [0, 1], "--", color="0.3", label="slope at z: 1 on, 0 off")
        curve.axvline(0, color="0.8", lw=1)
        curve.set(xlim=(-r, r), ylim=(-0.5, r), xlabel="pre-activation z",
                  title="one neuron: gate OFF (slope 0), dz = +0.00")
        # Legends name things and stay still (a legend is the slowest thing to draw).
        curve.legend(loc="upper left", fontsize=8)
        for artist in (self.dot, self.tangent, curve.title):
            self.moving_artist(artist)
        index = np.arange(self.n_neurons)
        w = self.width
        self.arriving = bars.bar(index - w / 2, np.ones(self.n_neurons), w, color="0.7",
                                 label="gradient arriving (dout)")
        self.passed = bars.bar(index + w / 2, np.ones(self.n_neurons), w, color="tab:green",
                               label="gradient passed (dz)")
        for bar in [*self.arriving, *self.passed]:
            self.moving_artist(bar)
        # Blocked neurons: a red cross where the passed gradient would be (one artist for all).
        self.crosses = self.moving_artist(bars.plot([], [], "x", ms=10, mew=2.5, color="tab:red",
                                                    label="blocked (neuron off)")[0])
        self.labels = [self.moving_artist(bars.text(i, 1.0, "z=+0.0\nOFF", ha="center", va="bottom", fontsize=8))
                       for i in index]
        bars.axhline(0, color="0.5", lw=1)
        bars.set(xticks=index, xticklabels=[f"neuron {i + 1}" for i in index], ylim=(-1, 1),
                 title="a layer: only neurons that fired pass the gradient")
        bars.legend(loc="lower left", fontsize=8)
        self.limit = None

    def update(self, z, dout, dz, layer_z, layer_dout, layer_dz) -> None:
        """Show one neuron at ``z`` with gradient ``dout`` arriving and ``dz`` leaving, and a
        layer (arrays of ``n_neurons``) with its arriving and passed gradients."""
        on = z > 0
        slope = 1.0 if on else 0.0
        self.dot.set_data([z], [relu(z)])
        self.dot.set_color("tab:green" if on else "tab:red")
        span = np.array([z - 0.8, z + 0.8])
        self.tangent.set_data(span, relu(z) + slope * (span - z))
        self.curve.title.set_text(f"one neuron: gate {'ON' if on else 'OFF'} (slope {slope:.0f}), dz = {dz:+.2f}")
        layer_z, layer_dout, layer_dz = (np.asarray(a, dtype=float) for a in (layer_z, layer_dout, layer_dz))
        for bar, value in zip(self.arriving, layer_dout):
            bar.set_height(value)
        for bar, value in zip(self.passed, layer_dz):
            bar.set_height(value)
        off = np.flatnonzero(layer_z <= 0)
        self.crosses.set_data(off + self.width / 2, np.zeros(len(off)))
        top = max(abs(np.max(layer_dout)), 0.5) * 1.15
        for label, zi in zip(self.labels, layer_z):
            label.set_y(top)
            label.set_text(f"z={zi:+.1f}\n{'on' if zi > 0 else 'OFF'}")
        limit = max(np.max(np.abs(layer_dout)), 0.5) * 1.7
        if limit != self.limit:
            self.bars.set_ylim(-limit, limit)
            self.limit = limit
            self.background_changed()


def plot_gate(z, dout, dz, layer_z, layer_dout, layer_dz, z_range=3.0, fig=None):
    """The gate for one neuron and for a layer (see :class:`GatePicture`).

    ``dz`` and ``layer_dz`` are the gradients after the gate, computed by the caller.
    Returns the matplotlib Figure.
    """
    picture = GatePicture(fig, z_range=z_range, n_neurons=len(layer_z))
    picture.update(z, dout, dz, layer_z, layer_dout, layer_dz)
    return picture.fig
