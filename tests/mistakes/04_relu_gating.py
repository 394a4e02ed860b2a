"""One typical mistake per graded function of 04_relu_gating, for the grading round trip.

MISTAKES maps the grade_id of an answer cell to the wrong source a learner might write
there, and the test cells that must then lose their points (every other test cell keeps
full marks).
"""

MISTAKES = {
    "relu-answer": {
        "source": "def relu(z):\n    return np.abs(z)\n",  # absolute value, not a switch
        # neuron_backward still scores: where abs and relu differ (z < 0) its gate is closed anyway
        "loses": ["relu-test"],
    },
    "relu-grad-answer": {
        "source": "def relu_grad(z):\n    return (z >= 0).astype(float)\n",  # >= at 0
        "loses": ["relu-grad-test", "relu-backward-test", "neuron-backward-test"],  # both build on relu_grad
    },
    "relu-backward-answer": {
        "source": "def relu_backward(dout, z):\n    return dout * (dout > 0)\n",  # mask from the wrong array
        "loses": ["relu-backward-test", "neuron-backward-test"],
    },
    "neuron-backward-answer": {
        "source": ("def neuron_backward(x, w, b, y):\n    z = np.dot(w, x) + b\n"
                   "    dz = relu_backward(relu(z) - y, z)\n    return dz * w, dz * x, dz\n"),  # factor 2 missing
        "loses": ["neuron-backward-test"],
    },
    "table-answer": {
        "source": ("table = {'weighted_sum': {}, 'bias': {}, 'activation': {}, 'loss': {}}\n"
                   "table['loss'].update(forward=lambda y_hat, y: (y_hat - y) ** 2, backward=lambda y_hat, y: 2 * (y_hat - y), intuition='A')\n"
                   "table['activation'].update(forward=lambda z: max(z, 0.0), backward=lambda dy_hat, z: dy_hat, intuition='B')\n"
                   "table['bias'].update(forward=lambda s, b: s + b, backward=lambda dz: dz, intuition='D')\n"
                   "table['weighted_sum'].update(forward=lambda w, x: w * x, backward=lambda dz, x: dz * x, intuition='C')\n"),
        "loses": ["table-test"],  # the activation row passes the gradient even when the neuron is off
    },
}
