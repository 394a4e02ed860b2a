"""One typical mistake per graded function of 06_architecture, for the grading round trip.

MISTAKES maps the grade_id of an answer cell to the wrong source a learner might write
there, and the test cells that must then lose their points (every other test cell keeps
full marks).
"""

MISTAKES = {
    "one-hot-answer": {  # label used as a 1-based column
        "source": ("def one_hot(labels, num_classes=10):\n"
                   "    out = np.zeros((len(labels), num_classes))\n"
                   "    out[np.arange(len(labels)), labels - 1] = 1.0\n"
                   "    return out\n"),
        "loses": ["one-hot-test"],
    },
    "train-network-answer": {  # ReLU mask taken from the gradient instead of Z
        "source": '''
def train_network(X, y, width, lr=0.1, n_steps=1000, seed=0):
    params = init_params(width, np.random.default_rng(seed))
    Y = y.reshape(-1, 1)
    N = X.shape[0]
    for _ in range(n_steps):
        if width == 0:
            out = X @ params["W"] + params["b"]
            dout = 2 * (out - Y) / N
            grads = {"W": X.T @ dout, "b": dout.sum(axis=0)}
        else:
            Z = X @ params["W1"] + params["b1"]
            A = np.maximum(0, Z)
            out = A @ params["W2"] + params["b2"]
            dout = 2 * (out - Y) / N
            dA = dout @ params["W2"].T
            dZ = dA * (dA > 0)
            grads = {"W2": A.T @ dout, "b2": dout.sum(axis=0), "W1": X.T @ dZ, "b1": dZ.sum(axis=0)}
        params = {name: params[name] - lr * grads[name] for name in params}
    return params
''',
        "loses": ["train-network-test"],
    },
    "layer-parameters-answer": {  # biases forgotten
        "source": "def layer_parameters(n_in, n_out):\n    return n_in * n_out\n",
        # count and table are built on layer_parameters; GPT-3's biases are far below 1% of it
        "loses": ["layer-parameters-test", "count-parameters-test", "parameter-table-test"],
    },
    "count-parameters-answer": {  # added the neurons instead of the parameters between them
        "source": "def count_parameters(layer_sizes):\n    return sum(layer_sizes)\n",
        "loses": ["count-parameters-test"],
    },
    "parameter-table-answer": {  # a list of tuples with the weights only
        "source": ("def parameter_table(layer_sizes):\n"
                   "    return np.array([(a, b, a * b) for a, b in zip(layer_sizes[:-1], layer_sizes[1:])])\n"),
        "loses": ["parameter-table-test"],
    },
    "gpt3-answer": {  # the embeddings forgotten: close for GPT-3, far off for GPT-2
        "source": '''
def gpt3_parameters(n_layers=96, d_model=12288, vocab=50257, context=2048):
    attention = 4 * layer_parameters(d_model, d_model)
    feed_forward = layer_parameters(d_model, 4 * d_model) + layer_parameters(4 * d_model, d_model)
    return n_layers * (attention + feed_forward + 4 * d_model)
''',
        "loses": ["gpt3-test"],
    },
}
