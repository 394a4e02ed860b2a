"""One typical mistake per graded function of 07_mnist, for the grading round trip.

MISTAKES maps the grade_id of an answer cell to the wrong source a learner might write
there, and the test cells that must then lose their points (every other test cell keeps
full marks). The trained-network test depends on every function used in training, so a
mistake that breaks training loses it too.
"""

MISTAKES = {
    "init-params-answer": {
        # standard normal weights, the He factor sqrt(2 / fan_in) forgotten
        "source": ("def init_params(layer_sizes, rng):\n"
                   "    params = {}\n"
                   "    for k in range(1, len(layer_sizes)):\n"
                   "        params[f'W{k}'] = rng.standard_normal((layer_sizes[k - 1], layer_sizes[k])).astype(np.float32)\n"
                   "        params[f'b{k}'] = np.zeros(layer_sizes[k], dtype=np.float32)\n"
                   "    return params\n"),
        "loses": ["init-params-test", "trained-test"],
    },
    "mlp-forward-answer": {
        # ReLU applied to the output layer as well
        "source": ("def mlp_forward(X, params):\n"
                   "    A, caches = X, []\n"
                   "    for k in range(1, len(params) // 2 + 1):\n"
                   "        W, b = params[f'W{k}'], params[f'b{k}']\n"
                   "        Z = A @ W + b\n"
                   "        caches.append((A, W, Z))\n"
                   "        A = np.maximum(Z, 0)\n"
                   "    return A, caches\n"),
        # Training still succeeds: the backward pass (correct) ignores the output ReLU and
        # the trained-network test measures the parameters with the reference forward.
        "loses": ["mlp-forward-test", "mlp-backward-test"],
    },
    "mlp-backward-answer": {
        # the ReLU mask left out: gradients flow through switched-off neurons
        "source": ("def mlp_backward(dscores, caches):\n"
                   "    grads, dZ = {}, dscores\n"
                   "    for k in range(len(caches), 0, -1):\n"
                   "        A_prev, W, Z = caches[k - 1]\n"
                   "        grads[f'W{k}'] = A_prev.T @ dZ\n"
                   "        grads[f'b{k}'] = dZ.sum(axis=0)\n"
                   "        dZ = dZ @ W.T\n"
                   "    return grads\n"),
        "loses": ["mlp-backward-test", "trained-test"],
    },
    "sgd-update-answer": {
        # steps uphill
        "source": ("def sgd_update(params, grads, lr):\n"
                   "    for key in params:\n"
                   "        params[key] += lr * grads[key]\n"
                   "    return params\n"),
        "loses": ["sgd-update-test", "trained-test"],
    },
    "accuracy-answer": {
        # a percentage instead of a fraction
        "source": ("def accuracy(scores, labels):\n"
                   "    return 100 * float(np.mean(np.argmax(scores, axis=1) == labels))\n"),
        "loses": ["accuracy-test"],
    },
}
