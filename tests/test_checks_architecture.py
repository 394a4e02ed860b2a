"""Checks of notebook 06 accept the reference and name the typical slips."""
import re
import numpy as np
import pytest

from course_utils.checks import architecture as checks
from course_utils.clusters import centre_and_corners
from course_utils.feedback import CheckFailed
from course_utils.reference import architecture as ref
from course_utils.separability import init_params, learning_rate, train_steps


def test_reference_functions_pass_every_check(capsys):
    checks.check_one_hot(ref.one_hot, np.array([3, 0, 9]))
    checks.check_one_hot(ref.one_hot, np.array([1, 2, 0]), num_classes=3)
    checks.check_layer_parameters(ref.layer_parameters, 784, 10)
    checks.check_count_parameters(ref.count_parameters, [784, 256, 128, 10])
    checks.check_parameter_table(ref.parameter_table, [784, 256, 128, 10])
    checks.check_gpt3_parameters(ref.gpt3_parameters, expected=175e9)
    checks.check_gpt3_parameters(ref.gpt3_parameters, (12, 768, 50257, 1024), expected=124_439_808)
    assert capsys.readouterr().out.count("PASSED") == 7


@pytest.mark.parametrize("call,words", [
    (lambda: checks.check_one_hot(lambda labels, k=10: ref.one_hot(labels - 1, k), np.array([3, 1, 9])), "one column"),
    (lambda: checks.check_one_hot(lambda labels, k=10: 1 - ref.one_hot(labels, k), np.array([3, 1, 9])), "swapped"),
    (lambda: checks.check_layer_parameters(lambda a, b: a * b, 784, 10), "bias"),
    (lambda: checks.check_layer_parameters(lambda a, b: a * b + a, 784, 10), "OUTPUT"),
    (lambda: checks.check_count_parameters(lambda s: sum(s), [784, 256, 10]), "neurons"),
    (lambda: checks.check_count_parameters(lambda s: s[0] * s[1] + s[1], [784, 256, 10]), "only the first layer"),
    (lambda: checks.check_parameter_table(lambda s: [[784, 10, 7850]], [784, 10]), "NumPy array"),
    (lambda: checks.check_gpt3_parameters(lambda *c: ref.gpt3_parameters(*c) - (c[2] + c[3]) * c[1] if c else 0,
                                          (12, 768, 50257, 1024), expected=124_439_808), "embeddings"),
    (lambda: checks.check_gpt3_parameters(lambda: None, expected=175e9), "None"),
])
def test_typical_slips_fail_with_a_message_naming_them(call, words):
    with pytest.raises(CheckFailed) as error:
        call()
    assert words in str(error.value)


def _reference_trainer(X, y, width, lr=0.1, n_steps=1000, seed=0):
    # 300 numerical-gradient steps are enough here and keep the test quick.
    return train_steps(init_params(width, np.random.default_rng(seed)), X, y, learning_rate(width) if width else lr,
                       min(n_steps, 300))


def test_train_network_check_accepts_a_working_trainer_and_rejects_a_lazy_one(capsys):
    X, y = centre_and_corners(seed=0)
    X_test, y_test = centre_and_corners(seed=1)
    assert checks.check_train_network(_reference_trainer, X, y, X_test, y_test, width=8) is None
    said = capsys.readouterr().out
    linear = float(re.search(r"the best possible for a line\), accuracy ([0-9.]+)%", said).group(1))
    hidden = float(re.search(r"hidden layer of 8: accuracy ([0-9.]+)%", said).group(1))
    assert hidden >= 97 and linear <= 75, said
    lazy = lambda X, y, width, lr=0.1, n_steps=1000, seed=0: init_params(width, np.random.default_rng(seed))  # noqa: E731
    with pytest.raises(CheckFailed, match="best linear model"):
        checks.check_train_network(lazy, X, y, X_test, y_test, width=8)
    wrong_shape = lambda X, y, width, lr=0.1, n_steps=1000, seed=0: {"W": np.zeros((1, 2)), "b": np.zeros(1)}  # noqa: E731
    with pytest.raises(CheckFailed, match="shape"):
        checks.check_train_network(wrong_shape, X, y, X_test, y_test, width=8)
