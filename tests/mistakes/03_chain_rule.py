"""One typical mistake per graded function of 03_chain_rule, for the grading round trip.

MISTAKES maps the grade_id of an answer cell to the wrong source a learner might write
there, and the test cells that must then lose their points (every other test cell keeps
full marks).
"""

MISTAKES = {
    "chain-forward-answer": {
        # returns the values in the wrong order
        "source": "def chain_forward(x, w1, w2):\n    h = w1 * x\n    return w2 * h, h\n",
        # chain_backward unpacks chain_forward, so it inherits the swap
        "loses": ["chain-forward-test", "chain-backward-test"],
    },
    "chain-backward-answer": {
        # a local derivative left out of the product: dw1 without dy_hat/dh = w2
        "source": ("def chain_backward(x, w1, w2, y):\n"
                   "    h, y_hat = chain_forward(x, w1, w2)\n"
                   "    dy_hat = 2 * (y_hat - y)\n"
                   "    return {'dy_hat': dy_hat, 'dw2': dy_hat * h, 'dh': dy_hat * w2, 'dw1': dy_hat * x}\n"),
        "loses": ["chain-backward-test"],
    },
    "unit-backward-answer": {
        # the bias gets the local derivative 1 instead of the downstream error
        "source": "def unit_backward(dz, x, w):\n    return dz * w, dz * x, 1.0\n",
        "loses": ["unit-backward-test"],
    },
}
