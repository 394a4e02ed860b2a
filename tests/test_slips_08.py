"""Each slip of notebook 08, put into a copy of the solution, is named in the feedback."""
import pytest

from course_utils.checks.next_character import HINTS
from slip_harness import assert_feedback_names_slip, slipped_feedback

NB = "08_next_character"
SOFTMAX = ("softmax-answer", "softmax-test")
LOSS = ("cross-entropy-answer", "cross-entropy-test")
GRAD = ("cross-entropy-grad-answer", "cross-entropy-grad-test")

SLIPS = [
    # (slip key, hints, answer cell, test cell, solution line, slipped line)
    ("columns", HINTS, *SOFTMAX, "e / e.sum(axis=1, keepdims=True)", "e / e.sum(axis=0, keepdims=True)"),
    ("not_normalised", HINTS, *SOFTMAX, "return e / e.sum(axis=1, keepdims=True)", "return e"),
    ("ce_sum", HINTS, *LOSS, "-np.mean(np.log(picked))", "-np.sum(np.log(picked))"),
    ("ce_sign", HINTS, *LOSS, "-np.mean(np.log(picked))", "np.mean(np.log(picked))"),
    ("rows_indexed", HINTS, *LOSS, "picked = p[np.arange(len(labels)), labels]", "picked = p[labels]"),
    ("mean_missing", HINTS, *GRAD, "return dscores / len(labels)", "return dscores"),
    ("label_not_subtracted", HINTS, *GRAD, "dscores[np.arange(len(labels)), labels] -= 1.0", "pass"),
    ("labels_as_one_hot", HINTS, *GRAD, "dscores[np.arange(len(labels)), labels] -= 1.0",
     "dscores = dscores - labels[:, None]"),
]


@pytest.mark.parametrize("key, hints, answer_id, test_id, old, new", SLIPS,
                         ids=[f"{s[0]}:{s[5][:30]}" for s in SLIPS])
def test_feedback_names_the_slip(key, hints, answer_id, test_id, old, new):
    assert_feedback_names_slip(NB, key, hints, answer_id, test_id, old, new)


def test_unstabilised_softmax_overflow_is_named():
    feedback = slipped_feedback(NB, *SOFTMAX[:1], "shifted = scores - scores.max(axis=1, keepdims=True)",
                                "shifted = scores", SOFTMAX[1])
    assert "returned NaN or infinity" in feedback and HINTS["unstabilised"] in feedback


def test_one_hot_labels_are_named_when_the_code_expects_them():
    feedback = slipped_feedback(NB, *LOSS[:1], "picked = p[np.arange(len(labels)), labels]",
                                "picked = np.sum(labels * p, axis=1)", LOSS[1])
    assert HINTS["one_hot_labels"] in feedback


def test_unstabilised_gradient_is_named():
    feedback = slipped_feedback(NB, *GRAD[:1], "dscores = softmax(scores)",
                                "dscores = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)", GRAD[1])
    assert "returned NaN or infinity" in feedback


def test_solution_passes_every_visible_check():
    for answer_id, test_id in (SOFTMAX, LOSS, GRAD):
        assert "NOT YET" not in slipped_feedback(NB, answer_id, "### BEGIN SOLUTION", "### BEGIN SOLUTION", test_id)
