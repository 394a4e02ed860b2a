"""One typical mistake per graded function of 08_next_character, for the grading round trip.

MISTAKES maps the grade_id of an answer cell to the wrong source a learner might write
there, and the test cells that must then lose their points (every other test cell keeps
full marks).
"""

MISTAKES = {
    "softmax-answer": {
        "source": ("def softmax(scores):\n    e = np.exp(scores)\n"
                   "    return e / e.sum(axis=1, keepdims=True)\n"),  # not stabilised: overflows on large scores
        # the hidden tests of the loss and its gradient use large scores, through this softmax
        "loses": ["softmax-test", "cross-entropy-test", "cross-entropy-grad-test"],
    },
    "cross-entropy-answer": {
        "source": ("def cross_entropy(scores, labels):\n    p = softmax(scores)\n"
                   "    return float(-np.sum(np.log(p[np.arange(len(labels)), labels])))\n"),  # sum, not mean
        "loses": ["cross-entropy-test"],
    },
    "cross-entropy-grad-answer": {
        "source": ("def cross_entropy_grad(scores, labels):\n    dscores = softmax(scores)\n"
                   "    dscores[np.arange(len(labels)), labels] -= 1.0\n    return dscores\n"),  # the 1/N is missing
        "loses": ["cross-entropy-grad-test"],
    },
}
