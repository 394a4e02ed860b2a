"""The grading sandbox: values cross as plain data, the learner's process cannot reach ours."""
import numpy as np
import pytest

from course_utils.feedback import check
from course_utils.grading import LearnerCodeError, LearnerFunction, LearnerObject, LearnerProcess

LEARNER_CODE = '''
import numpy as np
import builtins
def identity(x):
    return x
def halve_in_place(params):
    for key in params:
        params[key] *= 0.5
def apply(f, x):
    return f(x) + 1
def shout(x):
    print("loud " * 10_000)
    return x
def fails(x):
    return x[10]
class Model:
    scale = 3.0
    def predict(self, x):
        return x * self.scale
def make_model():
    return Model()
np.allclose = lambda *a, **k: True     # patched in the learner's process only
builtins.abs = lambda x: 0
'''


@pytest.fixture(scope="module")
def learner(tmp_path_factory):
    process = LearnerProcess(str(tmp_path_factory.mktemp("sandbox")), timeout=20)
    reply = process.exec_cell("answers", LEARNER_CODE)
    assert reply["status"] == "ok", reply
    yield process
    process.kill()


def function(learner, name):
    return learner.lookup([name])[name]


@pytest.mark.parametrize("value", [
    3, 2.5, True, None, "text", np.float64(1.5), np.int32(7), np.array(2.0), np.arange(6.0).reshape(2, 3),
    np.array([True, False]), np.array(["a", "bc"]), (np.ones(2), 4.0), [1, [2.0, np.zeros(3)]],
    {"W1": np.eye(2), "b1": np.zeros(2), "meta": {"n": 3}},
])
def test_plain_values_come_back_equal_with_type_and_shape(learner, value):
    back = function(learner, "identity")(value)
    assert type(back) is type(value)
    if isinstance(value, np.ndarray):
        assert back.shape == value.shape and back.dtype == value.dtype and np.array_equal(back, value)
    elif isinstance(value, dict):
        assert back.keys() == value.keys()
    elif isinstance(value, (tuple, list)):
        assert len(back) == len(value)
    else:
        assert back == value


def test_unknown_objects_stay_in_the_sandbox_as_opaque_handles(learner):
    model = function(learner, "make_model")()
    assert isinstance(model, LearnerObject) and type(model).__name__ == "Model"
    assert np.array_equal(model.predict(np.ones(2)), [3.0, 3.0])  # methods run in the sandbox
    with pytest.raises(TypeError):
        model == model + 1  # noqa: B015 (no arithmetic, no comparisons on our side)


def test_changes_made_in_place_are_written_back(learner):
    params = {"W": np.ones((2, 2)), "b": np.ones(2)}
    assert function(learner, "halve_in_place")(params) is None
    assert np.array_equal(params["W"], np.full((2, 2), 0.5)) and np.array_equal(params["b"], [0.5, 0.5])


def test_functions_passed_in_are_called_back_here(learner):
    assert function(learner, "apply")(lambda x: x * 10, 2.0) == 21.0


def test_printed_output_is_trimmed(learner, capsys):
    function(learner, "shout")(1)
    printed = capsys.readouterr().out
    assert 20_000 <= len(printed) < 21_000 and "output trimmed" in printed


def test_learner_errors_keep_their_type_and_line(learner):
    with pytest.raises(IndexError) as info:
        function(learner, "fails")(np.zeros(2))
    assert "return x[10]" in info.value.learner_line


def test_patches_in_the_learner_process_do_not_reach_the_grader(learner):
    assert np.allclose(1.0, 1.0) and not np.allclose(1.0, 2.0)
    assert abs(-2) == 2
    with pytest.raises(AssertionError, match="expected 1, got 2"):
        check(function(learner, "identity"), (2.0,), 1.0)


def test_always_equal_objects_are_refused_before_any_comparison(tmp_path):
    process = LearnerProcess(str(tmp_path), timeout=20)
    process.exec_cell("a", "class Sly:\n    __eq__ = __lt__ = __gt__ = lambda s, o: True\n"
                           "def mse(y_hat, y):\n    return Sly()\n")
    mse = process.lookup(["mse"])["mse"]
    assert isinstance(mse, LearnerFunction)
    with pytest.raises(AssertionError, match="object of type Sly, not a number"):
        check(mse, (np.ones(2), np.zeros(2)), 1.0)
    process.kill()


@pytest.mark.parametrize("body, said", [
    ("while True:\n        pass", "did not finish within"),
    ("import os\n    os._exit(1)", "stopped the Python process"),
    ("import sys\n    sys.exit(0)", "called sys.exit()"),
])
def test_loops_and_exits_become_messages_not_a_stuck_or_dead_grader(tmp_path, body, said):
    import time

    process = LearnerProcess(str(tmp_path), timeout=2)
    process.exec_cell("a", f"def f(x):\n    {body}\n")
    f = process.lookup(["f"])["f"]
    process.deadline = time.monotonic() + 2
    with pytest.raises(AssertionError, match=said.replace("(", r"\(").replace(")", r"\)")):
        check(f, (1.0,), 1.0)
    process.kill()


def test_a_cell_that_loops_times_out(tmp_path):
    process = LearnerProcess(str(tmp_path), timeout=1)
    from course_utils.grading import SandboxTimeout

    with pytest.raises(SandboxTimeout):
        process.exec_cell("loop", "while True:\n    pass\n")
    assert process.dead


def test_sandbox_errors_raised_as_learner_code_errors_carry_a_message():
    error = LearnerCodeError("x", "did something")
    assert error.course_message == "did something"


def test_sandboxes_forked_from_the_factory_start_pristine_and_apart(tmp_path):
    first = LearnerProcess(str(tmp_path), timeout=20, preload=["numpy"])
    first.exec_cell("patch", "import numpy as np\nnp.allclose = lambda *a, **k: True\nsecret = 42\n")
    second = LearnerProcess(str(tmp_path), timeout=20, preload=["numpy"])
    second.exec_cell("look", "import numpy as np\nclean = not np.allclose(1.0, 2.0)\n")
    assert second.lookup(["clean", "secret"]) == {"clean": True}  # no patch, no neighbour's variables
    assert first.pid != second.pid
    first.kill()
    second.kill()
