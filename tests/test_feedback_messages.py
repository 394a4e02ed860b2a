"""What a learner reads when a check fails: plain words, never our own traceback."""
import numpy as np
import pytest

from course_utils.feedback import CheckFailed, check, check_value


def reference(y_hat, y):
    return (y - y_hat) ** 2


Y_HAT, Y = np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 6.0])


def failure(fn, expected=None, **options):
    with pytest.raises(AssertionError) as info:
        check(fn, (Y_HAT, Y), reference(Y_HAT, Y) if expected is None else expected,
              arg_names=("y_hat", "y"), **options)
    return str(info.value)


def test_a_right_answer_prints_passed_and_leaves_no_value_nbgrader_could_read_as_a_score(capsys):
    result = check(reference, (Y_HAT, Y), reference(Y_HAT, Y), arg_names=("y_hat", "y"))
    assert result is None
    assert capsys.readouterr().out == "PASSED: reference(y_hat, y) gives the expected result.\n"


def test_an_untouched_stub_reads_not_written_yet():
    def squared_error(y_hat, y):
        raise NotImplementedError()
    message = failure(squared_error)
    assert "not written yet" in message and "squared_error(y_hat, y)" in message


def test_none_without_a_return_statement_says_the_return_is_missing():
    def squared_error(y_hat, y):
        (y - y_hat) ** 2
    assert failure(squared_error) == ("NOT YET: squared_error(y_hat, y) returned None: the function has no "
                                      "`return ...` statement, so Python gives None. End it with `return` and the result.")


def test_none_from_a_return_line_does_not_claim_the_return_is_missing():
    def squared_error(y_hat, y):
        errors = list((y - y_hat) ** 2)
        return errors.sort()
    message = failure(squared_error)
    assert "no `return" not in message and "your `return` line gives None" in message


def test_a_list_asks_for_a_numpy_array():
    assert "list" in failure(lambda y_hat, y: [0.0, 4.0, 9.0]) and "np.asarray" in failure(lambda y_hat, y: [0, 4, 9])


def test_a_wrong_shape_is_reported_before_values():
    message = failure(lambda y_hat, y: np.zeros((3, 1)))
    assert "shape (3, 1), expected shape (3,)" in message


def test_a_transposed_shape_says_so():
    expected = np.arange(6.0).reshape(2, 3)
    message = failure(lambda y_hat, y: expected.T, expected=expected)
    assert "transpose" in message


def test_nan_is_explained():
    assert "NaN" in failure(lambda y_hat, y: np.array([0.0, np.nan, 9.0]))


def test_complex_and_object_dtypes_are_explained():
    assert "dtype complex" in failure(lambda y_hat, y: (y - y_hat).astype(complex) ** 2)
    assert "dtype object" in failure(lambda y_hat, y: np.array([0, 4, 9], dtype=object))


def test_the_worst_entry_and_its_index_are_shown():
    message = failure(lambda y_hat, y: np.array([0.0, 4.0, 3.0]))
    assert "index [2]" in message and "expected 9" in message and "got 3" in message
    assert "1 of 3 entries wrong" in message


def test_a_known_slip_is_named():
    message = failure(lambda y_hat, y: 2 * (y - y_hat) ** 2)
    assert "Likely cause: every entry is twice" in message


def test_an_exception_in_learner_code_is_reported_with_its_line_not_raised_raw():
    def squared_error(y_hat, y):
        return (y - y_hat[:2]) ** 2
    message = failure(squared_error)
    assert "raised ValueError" in message and "line" in message and "y_hat[:2]" in message


def test_an_object_whose_equality_is_always_true_is_refused():
    class AlwaysEqual:
        def __eq__(self, other): return True
        __lt__ = __gt__ = __le__ = __ge__ = __eq__
    assert "not a number or a NumPy array" in failure(lambda y_hat, y: AlwaysEqual())


def test_an_ndarray_subclass_with_a_lying_eq_is_compared_by_value():
    class Liar(np.ndarray):
        def __eq__(self, other): return np.ones(self.shape, bool)
    wrong = np.zeros(3).view(Liar)
    assert "values are not" in failure(lambda y_hat, y: wrong)


def test_patching_numpy_in_the_notebook_does_not_fool_the_check(monkeypatch):
    for name in ("allclose", "isclose", "array_equal", "abs", "absolute", "subtract", "greater", "asarray"):
        monkeypatch.setattr(np, name, lambda *a, **k: True)
    monkeypatch.setattr(np.testing, "assert_allclose", lambda *a, **k: None)
    with pytest.raises(AssertionError):
        check(lambda y_hat, y: np.zeros(3) + 1.0, (Y_HAT, Y), np.array([0.0, 4.0, 9.0]))


def test_the_function_gets_copies_so_in_place_changes_do_not_leak():
    original = Y_HAT.copy()
    def sneaky(y_hat, y):
        y_hat[:] = 0
        return (y - y_hat) ** 2
    with pytest.raises(AssertionError):
        check(sneaky, (Y_HAT, Y), reference(Y_HAT, Y))
    assert np.array_equal(Y_HAT, original)


def test_a_failure_is_shown_once_as_its_message_with_no_traceback(capsys):
    with pytest.raises(CheckFailed) as info:
        check(lambda y_hat, y: None, (Y_HAT, Y), reference(Y_HAT, Y))
    assert capsys.readouterr().out == ""  # not printed: the raised message is the one the learner reads
    # IPython shows an exception with _render_traceback_ as those lines instead of a traceback.
    assert info.value._render_traceback_() == str(info.value).split("\n")
    assert str(info.value).startswith("NOT YET: ")


def test_in_an_ipython_shell_a_failed_check_shows_the_message_alone():
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    shell = InteractiveShell.instance()
    with capture_output() as captured:
        shell.run_cell("import numpy as np\nfrom course_utils.feedback import check\n"
                       "check(lambda y_hat, y: None, (np.zeros(2), np.ones(2)), np.ones(2), arg_names=('y_hat', 'y'))")
    said = captured.stdout + captured.stderr
    assert said.count("NOT YET:") == 1, said
    for noise in ("Traceback", "CheckFailed", "course_utils", "feedback.py", "skipping hidden"):
        assert noise not in said, said


def test_a_scalar_expected_rejects_an_array():
    with pytest.raises(AssertionError, match="single number"):
        check(lambda y_hat, y: (y - y_hat) ** 2, (Y_HAT, Y), 13 / 3)


@pytest.mark.parametrize("returned, problem", [
    ((1.0,), "returned 1 values, but 2 are expected"),
    (np.zeros(2), "but 2 values are expected"),
])
def test_tuple_results_are_checked_for_structure(returned, problem):
    with pytest.raises(AssertionError, match=problem):
        check(lambda: returned, (), (np.zeros(2), np.zeros(2)), outputs=("dx", "dw"))


def test_dict_results_name_the_missing_key():
    with pytest.raises(AssertionError, match=r"without the key\(s\) \['db'\]"):
        check(lambda: {"dW": np.zeros(2)}, (), {"dW": np.zeros(2), "db": np.zeros(1)})


def test_check_value_names_what_it_compared():
    with pytest.raises(AssertionError, match="your table's bias row"):
        check_value(3.0, 4.0, "your table's bias row")


@pytest.mark.parametrize("returned, words", [
    (np.zeros((1, 3)), "keepdims=True keeps the summed axis"),
    (np.zeros((3, 1)), "An extra axis of length 1 at the end"),
    (np.zeros((3, 3)), "an (N,) array combined with an (N, 1) array broadcasts to (N, N)"),
    (np.float64(1.0), "a sum or mean with no axis adds up every entry"),
    (np.zeros(5), "check its axis"),
])
def test_a_wrong_shape_names_its_usual_cause(returned, words):
    assert words in failure(lambda y_hat, y: returned)


def test_two_slips_at_once_are_both_named():
    message = failure(lambda y_hat, y: -2 * (y - y_hat) ** 2)  # sign flipped and an extra factor 2
    assert "two things at once: (1) every entry has the opposite sign" in message
    assert "(2) every entry is twice the expected value" in message


def test_a_key_error_from_the_sandbox_names_the_keys_it_has():
    from course_utils.feedback import error_hint

    # The grading sandbox rebuilds KeyError('dW1') from its words, so its argument is the key's repr.
    said = error_hint(KeyError("'dW1'"), ({"W1": np.zeros(1), "b1": np.zeros(1)},), ("grads",))
    assert said.startswith("the dict has no key 'dW1': its keys are ['W1', 'b1']")


def test_an_argument_that_cannot_be_copied_is_explained_not_raised():
    import threading

    with pytest.raises(CheckFailed, match="the check gives your function copies of its inputs"):
        check(lambda lock, y: np.zeros(3), (threading.Lock(), Y), np.zeros(3))


def test_arguments_in_keep_reach_the_function_as_they_are():
    from course_utils.feedback import call_learner

    own = {"node": object()}
    assert call_learner(lambda d, c: c, np.zeros(2), own, keep=(1,)) is own
    assert call_learner(lambda d, c: c, np.zeros(2), own) is not own
