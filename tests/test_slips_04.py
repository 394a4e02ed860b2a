"""Each slip of notebook 04, put into a copy of the solution, is named in the feedback."""
import pytest

from course_utils.checks.relu_gating import HINTS, NEURON_HINTS, TABLE_HINTS
from slip_harness import assert_feedback_names_slip, slipped_feedback

NB = "04_relu_gating"
BACKWARD = ("relu-backward-answer", "relu-backward-test")
NEURON = ("neuron-backward-answer", "neuron-backward-test")
TABLE = ("table-answer", "table-test")

SLIPS = [
    # (slip key, hints, answer cell, test cell, solution line, slipped line)
    ("returned_mask", HINTS, "relu-answer", "relu-test", "np.maximum(z, 0.0)", "(z > 0).astype(float)"),
    ("mask_ge_at_zero", HINTS, "relu-grad-answer", "relu-grad-test", "(z > 0)", "(z >= 0)"),
    ("returned_relu", HINTS, "relu-grad-answer", "relu-grad-test", "(z > 0).astype(float)", "np.maximum(z, 0)"),
    ("mask_missing", HINTS, *BACKWARD, "dout * relu_grad(z)", "dout"),
    ("mask_wrong_array", HINTS, *BACKWARD, "dout * relu_grad(z)", "dout * relu_grad(dout)"),
    ("mask_from_activation", HINTS, *BACKWARD, "dout * relu_grad(z)", "dout * relu(z)"),
    ("mask_ge_at_zero", HINTS, *BACKWARD, "dout * relu_grad(z)", "dout * (z >= 0)"),
    ("upstream_missing", HINTS, *BACKWARD, "dout * relu_grad(z)", "relu_grad(z)"),
    ("factor_2_missing", NEURON_HINTS, *NEURON, "dy_hat = 2 * (y_hat - y)", "dy_hat = y_hat - y"),
    ("sign", NEURON_HINTS, *NEURON, "dy_hat = 2 * (y_hat - y)", "dy_hat = 2 * (y - y_hat)"),
    ("mask_missing", NEURON_HINTS, *NEURON, "dz = relu_backward(dy_hat, z)", "dz = dy_hat"),
    ("mask_ge_at_zero", NEURON_HINTS, *NEURON, "dz = relu_backward(dy_hat, z)", "dz = dy_hat * (z >= 0)"),
    ("mask_wrong_array", NEURON_HINTS, *NEURON, "dz = relu_backward(dy_hat, z)", "dz = dy_hat * (dy_hat > 0)"),
    ("mask_from_activation", NEURON_HINTS, *NEURON, "dz = relu_backward(dy_hat, z)", "dz = dy_hat * y_hat"),
    ("upstream_missing", NEURON_HINTS, *NEURON, "dz = relu_backward(dy_hat, z)", "dz = relu_grad(z)"),
    ("mask_missing", HINTS, *TABLE, "dy_hat * (1.0 if z > 0 else 0.0)", "dy_hat"),
    ("mask_ge_at_zero", HINTS, *TABLE, "dy_hat * (1.0 if z > 0 else 0.0)", "dy_hat * (1.0 if z >= 0 else 0.0)"),
    ("factor_2_missing", TABLE_HINTS, *TABLE, "lambda y_hat, y: 2 * (y_hat - y)", "lambda y_hat, y: y_hat - y"),
    ("upstream_missing", TABLE_HINTS, *TABLE, "lambda dz, x: dz * x", "lambda dz, x: x"),
    ("upstream_missing", TABLE_HINTS, *TABLE, "lambda dz: dz", "lambda dz: 1.0"),
    ("upstream_missing", TABLE_HINTS, *TABLE, "dy_hat * (1.0 if z > 0 else 0.0)", "(1.0 if z > 0 else 0.0)"),
]


@pytest.mark.parametrize("key, hints, answer_id, test_id, old, new", SLIPS,
                         ids=[f"{s[0]}:{s[5][:30]}" for s in SLIPS])
def test_feedback_names_the_slip(key, hints, answer_id, test_id, old, new):
    assert_feedback_names_slip(NB, key, hints, answer_id, test_id, old, new)


def test_wrong_intuition_letter_is_refused_without_giving_the_answer():
    feedback = slipped_feedback(NB, *TABLE[:1], 'table["bias"]["intuition"] = "D"',
                                'table["bias"]["intuition"] = "C"', TABLE[1])
    assert "table['bias']['intuition'] is 'C'" in feedback and "'D'" not in feedback


def test_solution_passes_every_visible_check():
    feedback = slipped_feedback(NB, *TABLE[:1], "table", "table", TABLE[1])
    assert "NOT YET" not in feedback and "PASSED" in feedback


def test_gradients_in_another_order_are_named_with_the_rule():
    feedback = slipped_feedback(NB, NEURON[0], "return dz * w, dz * x, dz", "return dz * x, dz, dz * w", NEURON[1])
    assert "in the order (dw, db, dx)" in feedback and "return (dx, dw, db)" in feedback
    assert "order of the forward inputs" in feedback
