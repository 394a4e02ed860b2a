"""Each slip of notebook 05, put into a copy of the solution, is named in the feedback.

The sentence asserted is the one the learner reads (the exercise's hint for that slip,
or the default sentence of :mod:`course_utils.diagnosis`).
"""
import pytest

from course_utils.checks.matrix_backprop import BLAME_HINTS, LINEAR_HINTS, TWO_LAYER_HINTS
from slip_harness import assert_feedback_names_slip, slipped_feedback

NB = "05_matrix_backprop"
BACKWARD = ("two-layer-backward-answer", "two-layer-backward-test")
LINEAR = ("linear-backward-answer", "linear-backward-test")
LINEAR_IN_NET = ("linear-backward-answer", "two-layer-backward-test")

SLIPS = [
    # (slip key, hints, answer cell, test cell, solution line, slipped line)
    ("mask_missing", TWO_LAYER_HINTS, *BACKWARD, "dZ1 = dA1 * (Z1 > 0)", "dZ1 = dA1"),
    ("mask_wrong_array", TWO_LAYER_HINTS, *BACKWARD, "dZ1 = dA1 * (Z1 > 0)", "dZ1 = dA1 * (dA1 > 0)"),
    ("mask_from_activation", TWO_LAYER_HINTS, *BACKWARD, "dZ1 = dA1 * (Z1 > 0)", "dZ1 = dA1 * cache2[0]"),
    ("mask_from_activation", TWO_LAYER_HINTS, *BACKWARD, "dZ1 = dA1 * (Z1 > 0)", "dZ1 = dA1 * relu(Z1)"),
    ("mask_ge_at_zero", TWO_LAYER_HINTS, *BACKWARD, "dZ1 = dA1 * (Z1 > 0)", "dZ1 = dA1 * (Z1 >= 0)"),
    ("upstream_missing", TWO_LAYER_HINTS, *BACKWARD, "dZ1 = dA1 * (Z1 > 0)", "dZ1 = (Z1 > 0) * 1.0"),
    ("factor_2_missing", TWO_LAYER_HINTS, *BACKWARD, "2 * (Y_hat - Y) / Y_hat.size", "(Y_hat - Y) / Y_hat.size"),
    ("mse_mean_missing", TWO_LAYER_HINTS, *BACKWARD, "2 * (Y_hat - Y) / Y_hat.size", "2 * (Y_hat - Y)"),
    ("mse_rows_only", TWO_LAYER_HINTS, *BACKWARD, "2 * (Y_hat - Y) / Y_hat.size", "2 * (Y_hat - Y) / len(Y)"),
    ("sign", TWO_LAYER_HINTS, *BACKWARD, "2 * (Y_hat - Y) / Y_hat.size", "2 * (Y - Y_hat) / Y_hat.size"),
    ("transposed", LINEAR_HINTS, *LINEAR, "dW = X.T @ dout", "dW = dout.T @ X"),
    ("transposed", TWO_LAYER_HINTS, *LINEAR_IN_NET, "dW = X.T @ dout", "dW = dout.T @ X"),
    ("dx_without_transpose", LINEAR_HINTS, *LINEAR, "dX = dout @ W.T", "dX = dout @ W"),
    ("dx_without_transpose", TWO_LAYER_HINTS, *LINEAR_IN_NET, "dX = dout @ W.T", "dX = dout @ W"),
    ("dx_without_transpose", TWO_LAYER_HINTS, *BACKWARD,
     "dA1, dW2, db2 = linear_backward(dY_hat, cache2)",
     "_, dW2, db2 = linear_backward(dY_hat, cache2); dA1 = dY_hat @ params['W2']"),
    ("not_summed_over_batch", LINEAR_HINTS, *LINEAR, "db = dout.sum(axis=0)", "db = dout"),
    ("not_summed_over_batch", TWO_LAYER_HINTS, *LINEAR_IN_NET, "db = dout.sum(axis=0)", "db = dout"),
    ("mean_extra", LINEAR_HINTS, *LINEAR, "dW = X.T @ dout", "dW = X.T @ dout / len(X)"),
    ("mean_extra", LINEAR_HINTS, *LINEAR, "db = dout.sum(axis=0)", "db = dout.mean(axis=0)"),
    ("mean_extra", TWO_LAYER_HINTS, *LINEAR_IN_NET, "dW = X.T @ dout\n    db = dout.sum(axis=0)",
     "dW = X.T @ dout / len(X)\n    db = dout.mean(axis=0)"),
    ("upstream_missing", LINEAR_HINTS, *LINEAR, "dW = X.T @ dout", "dW = X.T @ np.ones_like(dout)"),
    ("paths_not_summed", BLAME_HINTS, "hidden-blame-answer", "hidden-blame-test",
     "float(np.dot(deltas, w_row))", "deltas * w_row"),
    ("paths_averaged", BLAME_HINTS, "hidden-blame-answer", "hidden-blame-test",
     "float(np.dot(deltas, w_row))", "float(np.mean(deltas * w_row))"),
    ("dx_without_transpose", BLAME_HINTS, "hidden-blames-answer", "hidden-blames-test", "deltas @ W.T", "deltas @ W"),
    ("batch_rows", BLAME_HINTS, "hidden-blames-answer", "hidden-blames-test", "deltas @ W.T", "W @ deltas"),
    ("bias_missing", LINEAR_HINTS, "linear-forward-answer", "linear-forward-test", "X @ W + b, (X, W, b)", "X @ W, (X, W, b)"),
    ("relu_missing", TWO_LAYER_HINTS, "two-layer-forward-answer", "two-layer-forward-test", "A1 = relu(Z1)", "A1 = Z1"),
]


@pytest.mark.parametrize("key, hints, answer_id, test_id, old, new", SLIPS,
                         ids=[f"{s[0]}:{s[5][:30]}" for s in SLIPS])
def test_feedback_names_the_slip(key, hints, answer_id, test_id, old, new):
    assert_feedback_names_slip(NB, key, hints, answer_id, test_id, old, new)


def test_solution_passes_every_visible_check():
    feedback = slipped_feedback(NB, "two-layer-backward-answer", "dZ1", "dZ1", "two-layer-backward-test")
    assert "NOT YET" not in feedback and "PASSED" in feedback


def test_a_shape_error_is_reported_once_with_the_learners_line_and_the_slip():
    feedback = slipped_feedback(NB, "linear-backward-answer", "dX = dout @ W.T", "dX = dout @ W", "linear-backward-test")
    assert feedback.count("raised ValueError") == 1
    assert "in your code, line" in feedback and "dX = dout @ W" in feedback
