"""Each generic slip is recognised and named; a right or unrecognised answer is not."""
import numpy as np
import pytest

from course_utils.diagnosis import SLIP_MESSAGES, diagnose, diagnose_key

RNG = np.random.default_rng(7)
EXPECTED = RNG.normal(size=(4, 3))
N = 5


@pytest.mark.parametrize("slip, wrong", [
    ("sign", -EXPECTED),
    ("factor_2_missing", EXPECTED / 2),
    ("factor_2_extra", EXPECTED * 2),
    ("mean_missing", EXPECTED * N),
    ("mean_extra", EXPECTED / N),
    ("transposed", EXPECTED.T),
])
def test_generic_slip_is_named(slip, wrong):
    assert diagnose_key(wrong, EXPECTED, batch_size=N) == slip
    assert diagnose(wrong, EXPECTED, batch_size=N) == SLIP_MESSAGES[slip]


def test_bias_gradient_not_summed_over_the_batch_is_named():
    per_example = RNG.normal(size=(N, 3))
    assert diagnose_key(per_example, per_example.sum(axis=0)) == "not_summed_over_batch"


def test_exercise_specific_candidate_wins_and_its_hint_is_used():
    z = RNG.normal(size=(6,))
    dout = RNG.normal(size=(6,))
    expected = dout * (z > 0)
    message = diagnose(dout, expected, candidates={"mask_missing": dout},
                       hints={"mask_missing": "multiply by (z > 0)"})
    assert message == "multiply by (z > 0)"


def test_a_correct_answer_has_no_diagnosis():
    assert diagnose(EXPECTED.copy(), EXPECTED, batch_size=N) is None


def test_an_unrelated_wrong_answer_has_no_diagnosis():
    assert diagnose(RNG.normal(size=(4, 3)), EXPECTED, batch_size=N) is None


def test_all_zero_expected_does_not_claim_a_scaling_slip():
    assert diagnose_key(np.ones(3), np.zeros(3), batch_size=3) is None
