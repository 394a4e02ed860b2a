"""One typical mistake per graded function of 02_gradient_descent, for the grading round trip.

MISTAKES maps the grade_id of an answer cell to the wrong source a learner might write
there, and the test cells that must then lose their points (every other test cell keeps
full marks).
"""

MISTAKES = {
    "numerical-derivative-answer": {
        # a one-sided probe: the forward difference
        "source": "def numerical_derivative(f, w, h=1e-5):\n    return (f(w + h) - f(w)) / h\n",
        "loses": ["numerical-derivative-test"],
    },
    "gradient-step-answer": {
        "source": "def gradient_step(w, grad, lr):\n    return w + lr * grad\n",  # steps uphill
        "loses": ["gradient-step-test", "gradient-descent-test"],  # gradient_descent uses gradient_step
    },
    "gradient-descent-answer": {
        # leaves out the start: n_steps weights instead of n_steps + 1
        "source": ("import numpy as np\n"
                   "def gradient_descent(df, w0, lr, n_steps):\n"
                   "    w, weights = w0, []\n"
                   "    for _ in range(n_steps):\n"
                   "        w = gradient_step(w, df(w), lr)\n"
                   "        weights.append(w)\n"
                   "    return np.array(weights)\n"),
        "loses": ["gradient-descent-test"],
    },
    "pick-learning-rates-answer": {
        # 'good' is still too small to arrive in 30 steps
        "source": "def pick_learning_rates():\n    return 0.01, 0.05, 1.0\n",
        "loses": ["pick-learning-rates-test"],
    },
}
