"""Notebook 07's training loop keeps its momentum velocities out of the slow subnormal range.

Velocities of weights whose pixel is rarely lit only shrink (v <- 0.9 v) and, some hundreds
of steps after their last gradient, fall below float32's smallest normal number, 1.2e-38,
where the processor computes many times more slowly (the 2,500 steps took 7.6 s instead of
3.5 s). The notebook's ``forget_tiny_velocities`` sets every velocity below 1e-30 to 0 once
an epoch; these tests hold its docstring to its word, on the solution's own code.
"""
import ast

import numpy as np
import pytest

from nbgrader_course import ROOT, read

SOLUTION = ROOT / "solutions" / "07_mnist" / "07_mnist.ipynb"


def defining_cell(notebook, name: str):
    return next(cell for cell in notebook.cells if cell.cell_type == "code" and f"def {name}(" in cell.source)


@pytest.fixture(scope="module")
def notebook():
    return read(SOLUTION)


@pytest.fixture(scope="module")
def helpers(notebook) -> dict:
    """momentum_update and forget_tiny_velocities as the notebook defines them."""
    namespace = {"np": np, "sgd_update": lambda params, grads, lr: {k: params[k] - lr * grads[k] for k in params}}
    exec(defining_cell(notebook, "forget_tiny_velocities").source, namespace)
    return namespace


def test_a_velocity_never_becomes_subnormal_between_two_epochs(helpers):
    # The worst case: a velocity that had a gradient of every size once, then none for
    # 20 epochs of 125 steps, flushed at the start of each epoch as the training cell does.
    tiny = np.finfo(np.float32).tiny
    velocity = {"W1": np.logspace(-1, -37, 4000).astype(np.float32)}
    params = {"W1": np.zeros(4000, dtype=np.float32)}
    zero = {"W1": np.zeros(4000, dtype=np.float32)}
    for epoch in range(20):
        helpers["forget_tiny_velocities"](velocity)
        for step in range(125):
            params = helpers["momentum_update"](params, zero, velocity, lr=0.2)
            v = velocity["W1"]
            assert not np.any((v != 0) & (np.abs(v) < tiny)), (epoch, step)
    assert np.all(velocity["W1"] == 0)  # every one has decayed past 1e-30 and been dropped


def test_only_velocities_too_small_to_move_a_weight_are_dropped(helpers):
    velocity = {"W1": np.array([1e-29, -1e-29, 3e-31, -3e-31, 0.5], dtype=np.float32)}
    helpers["forget_tiny_velocities"](velocity)
    np.testing.assert_array_equal(velocity["W1"], np.array([1e-29, -1e-29, 0, 0, 0.5], dtype=np.float32))


def test_the_training_cell_forgets_tiny_velocities_once_an_epoch(notebook):
    helper_cell = defining_cell(notebook, "forget_tiny_velocities")
    cell = next(c for c in notebook.cells if c.cell_type == "code" and "for epoch in range(epochs)" in c.source)
    assert cell is not helper_cell
    epoch_loop = next(node for node in ast.walk(ast.parse(cell.source))
                      if isinstance(node, ast.For) and ast.unparse(node.iter) == "range(epochs)")
    calls = [node for statement in epoch_loop.body if not isinstance(statement, ast.For)
             for node in ast.walk(statement) if isinstance(node, ast.Call)
             and ast.unparse(node.func) == "forget_tiny_velocities"]
    assert [ast.unparse(c.args[0]) for c in calls] == ["velocity"], ast.unparse(epoch_loop)
