"""The gate: move a pre-activation across 0 and watch the gradient pass or stop."""
from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from course_utils.checks.relu_gating import relu_backward_expected
from course_utils.plots.relu_gating import GatePicture
from course_utils.widgets.live_figure import LiveFigure

# A small layer: the neurons' pre-activations before the shift, and the gradients arriving.
LAYER_Z = np.array([-1.2, -0.3, 0.4, 1.1, -2.0])
LAYER_DOUT = np.array([0.8, -0.5, 1.2, -0.7, 0.6])


def gate_numbers(z: float, dout: float, shift: float = 0.0) -> dict:
    """Everything the widget shows, computed without any drawing.

    The gradient after the gate comes from the reference ReLU (numerically), so exactly
    0 counts as off. Slider values are rounded to 6 decimals first, so 0 is 0.
    """
    z, dout, shift = round(float(z), 6), float(dout), round(float(shift), 6)
    layer_z = np.round(LAYER_Z + shift, 6)
    return {"z": z, "dout": dout, "dz": float(relu_backward_expected(np.array([dout]), np.array([z]))[0]),
            "layer_z": layer_z, "layer_dout": LAYER_DOUT.copy(),
            "layer_dz": relu_backward_expected(LAYER_DOUT, layer_z)}


def gate_readout(numbers: dict) -> str:
    """Plain text: passes or blocked, with the numbers, for the neuron and for the layer."""
    z, dout, dz = numbers["z"], numbers["dout"], numbers["dz"]
    if z > 0:
        one = f"z = {z:+.2f} > 0: gate ON (slope 1), the gradient passes: dz = 1 × {dout:+.2f} = {dz:+.2f}"
    else:
        zero = " (exactly 0 counts as off)" if z == 0 else ""
        one = (f"z = {z:+.2f} ≤ 0{zero}: gate OFF (slope 0), the gradient is blocked: "
               f"dz = 0 × {dout:+.2f} = {dz:+.2f}")
    on = [i + 1 for i, v in enumerate(numbers["layer_z"]) if v > 0]
    off = [i + 1 for i, v in enumerate(numbers["layer_z"]) if v <= 0]
    layer = (f"layer: {len(on)} of {len(numbers['layer_z'])} neurons on; gradient passes at "
             f"{', '.join(map(str, on)) or 'none'}; blocked at {', '.join(map(str, off)) or 'none'}")
    return f"{one}\n{layer}"


def gate(z: float = 0.5, dout: float = 1.5, shift: float = 0.0) -> widgets.VBox:
    """Build the widget: sliders for z, the arriving gradient and the layer's shift; readout; plot."""
    style = dict(continuous_update=True, layout=widgets.Layout(width="460px"),
                 style={"description_width": "170px"})
    z_slider = widgets.FloatSlider(value=z, min=-3, max=3, step=0.1, description="pre-activation z", **style)
    dout_slider = widgets.FloatSlider(value=dout, min=-2, max=2, step=0.1, description="gradient arriving dout",
                                      **style)
    shift_slider = widgets.FloatSlider(value=shift, min=-2, max=2, step=0.1, description="shift the layer's z",
                                       **style)
    z_slider.add_class("gate-z")
    dout_slider.add_class("gate-dout")
    shift_slider.add_class("gate-shift")
    readout = widgets.HTML()
    readout.add_class("gate-readout")

    def paint(picture):
        numbers = gate_numbers(z_slider.value, dout_slider.value, shift_slider.value)
        picture.update(numbers["z"], numbers["dout"], numbers["dz"], numbers["layer_z"],
                       numbers["layer_dout"], numbers["layer_dz"])
        return {"z": z_slider.value, "dout": dout_slider.value, "shift": shift_slider.value}

    live = LiveFigure(paint, figsize=GatePicture.figsize, css="gate",
                      picture=lambda fig: GatePicture(fig, n_neurons=len(LAYER_Z)))

    def redraw(_change=None):
        numbers = gate_numbers(z_slider.value, dout_slider.value, shift_slider.value)
        readout.value = "<pre>" + gate_readout(numbers) + "</pre>"
        live.request()

    for slider in (z_slider, dout_slider, shift_slider):
        slider.observe(redraw, names="value")
    redraw()
    box = widgets.VBox([z_slider, dout_slider, shift_slider, readout, live.box])
    box.add_class("gate")
    return box
