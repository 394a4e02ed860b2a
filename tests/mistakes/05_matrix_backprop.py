"""One typical mistake per graded function of 05_matrix_backprop, for the grading round trip.

MISTAKES maps the grade_id of an answer cell to the wrong source a learner might write
there, and the test cells that must then lose their points (every other test cell keeps
full marks).
"""

MISTAKES = {
    "hidden-blame-answer": {
        "source": "def hidden_blame(deltas, w_row):\n    return float(np.mean(deltas * w_row))\n",  # averaged, not summed
        "loses": ["hidden-blame-test"],
    },
    "hidden-blames-answer": {
        "source": "def hidden_blames(deltas, W):\n    return W @ deltas\n",  # fine for one example, fails for a batch
        "loses": ["hidden-blames-test"],
    },
    "linear-forward-answer": {
        "source": "def linear_forward(X, W, b):\n    return X @ W, (X, W, b)\n",  # bias forgotten
        "loses": ["linear-forward-test", "two-layer-forward-test", "two-layer-backward-test"],
    },
    "linear-backward-answer": {
        "source": ("def linear_backward(dout, cache):\n    X, W, b = cache\n"
                   "    return dout @ W.T, dout.T @ X, dout.sum(axis=0)\n"),  # dW transposed
        "loses": ["linear-backward-test", "two-layer-backward-test"],
    },
    "two-layer-forward-answer": {
        "source": ("def two_layer_forward(X, params):\n"
                   "    Z1, cache1 = linear_forward(X, params['W1'], params['b1'])\n"
                   "    Y_hat, cache2 = linear_forward(Z1, params['W2'], params['b2'])\n"
                   "    return Y_hat, (cache1, Z1, cache2)\n"),  # ReLU missing
        "loses": ["two-layer-forward-test", "two-layer-backward-test"],
    },
    "two-layer-backward-answer": {
        "source": ("def two_layer_backward(X, Y, params):\n"
                   "    Y_hat, (cache1, Z1, cache2) = two_layer_forward(X, params)\n"
                   "    dA1, dW2, db2 = linear_backward(2 * (Y_hat - Y) / Y_hat.size, cache2)\n"
                   "    _, dW1, db1 = linear_backward(dA1 * (Z1 >= 0), cache1)\n"
                   "    return {'W1': dW1, 'b1': db1, 'W2': dW2, 'b2': db2}\n"),  # >= at 0
        "loses": ["two-layer-backward-test"],
    },
}
