"""One typical mistake per graded function of 01_loss, for the grading round trip.

MISTAKES maps the grade_id of an answer cell to the wrong source a learner might write
there, and the test cells that must then lose their points (every other test cell keeps
full marks).
"""

MISTAKES = {
    "squared-error-answer": {
        "source": "def squared_error(y_hat, y):\n    return y - y_hat\n",  # forgot to square
        "loses": ["squared-error-test", "mse-test"],  # mse is built on squared_error
    },
    "mse-answer": {
        "source": "import numpy as np\ndef mse(y_hat, y):\n    return float(np.sum(squared_error(y_hat, y)))\n",  # sum, not mean
        "loses": ["mse-test"],
    },
    "mse-grad-answer": {
        "source": "def mse_grad(y_hat, y):\n    return (y_hat - y) / y_hat.size\n",  # factor 2 missing
        "loses": ["mse-grad-test"],
    },
}
