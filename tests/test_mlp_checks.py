"""Notebook 07's reference forward and checks: right answers pass, typical slips are named.

The learner-style implementations below live only in this test file (the package holds
no backward formula); expected gradients are confirmed against HIPS autograd.
"""
from __future__ import annotations

import numpy as np
import pytest

from course_utils.checks import mlp as checks
from course_utils.feedback import CheckFailed
from course_utils.gradcheck import numerical_vjp
from course_utils.reference import mlp as ref


def init_ok(sizes, rng):
    return {k: v for i, (a, b) in enumerate(zip(sizes, sizes[1:]), 1)
            for k, v in ((f"W{i}", (rng.standard_normal((a, b)) * np.sqrt(2 / a)).astype(np.float32)),
                         (f"b{i}", np.zeros(b, np.float32)))}


def forward_ok(X, params, relu_out=False, bias=True):
    A, caches, L = X, [], len(params) // 2
    for k in range(1, L + 1):
        Z = A @ params[f"W{k}"] + (params[f"b{k}"] if bias else 0)
        caches.append((A, params[f"W{k}"], Z))
        A = np.maximum(Z, 0) if (k < L or relu_out) else Z
    return A, caches


def backward_ok(dscores, caches, mask=True, transpose_dw=False, sum_bias=True, use_upstream=True):
    grads, dZ = {}, dscores if use_upstream else np.ones_like(dscores)
    for k in range(len(caches), 0, -1):
        A, W, Z = caches[k - 1]
        grads[f"W{k}"] = (dZ.T @ A) if transpose_dw else A.T @ dZ
        grads[f"b{k}"] = dZ.sum(axis=0) if sum_bias else dZ
        if k > 1:
            dZ = (dZ @ W.T) * ((caches[k - 2][2] > 0) if mask else 1)
    return grads


def sgd_ok(params, grads, lr):
    return {k: params[k] - lr * grads[k] for k in params}


def tiny(seed=0, sizes=(3, 5, 4, 2), n=4):
    rng = np.random.default_rng(seed)
    params = {}
    for k, (a, b) in enumerate(zip(sizes, sizes[1:]), 1):
        params[f"W{k}"], params[f"b{k}"] = rng.normal(size=(a, b)), rng.normal(size=b) * 0.5
    return rng.normal(size=(n, sizes[0])), params, rng.normal(size=(n, sizes[-1]))


# ---- the reference itself -------------------------------------------------------------

@pytest.mark.parametrize("sizes", [(3, 5, 4, 2), (6, 2), (4, 7, 7, 7, 3)])
def test_numerical_gradients_of_the_reference_agree_with_autograd(sizes):
    autograd = pytest.importorskip("autograd")
    anp = pytest.importorskip("autograd.numpy")
    X, params, dscores = tiny(1, sizes)
    keys = sorted(params)

    def objective(*values):
        A, L = X, len(values) // 2
        p = dict(zip(keys, values))
        for k in range(1, L + 1):
            Z = anp.dot(A, p[f"W{k}"]) + p[f"b{k}"]
            A = anp.maximum(Z, 0) if k < L else Z
        return anp.sum(dscores * A)

    numeric = numerical_vjp(lambda **p: ref.mlp_forward(X, p), params, dscores)
    for i, key in enumerate(keys):
        exact = autograd.grad(objective, i)(*[params[k] for k in keys])
        np.testing.assert_allclose(numeric[key], exact, rtol=1e-6, atol=1e-8)


def test_open_gate_forward_equals_the_reference_at_its_base_point():
    X, params, _ = tiny(2)
    np.testing.assert_allclose(ref.mlp_forward_gate_frozen_open(X, params, params), ref.mlp_forward(X, params))


# ---- right answers pass ---------------------------------------------------------------

@pytest.mark.parametrize("sizes", [[784, 256, 128, 10], [20, 7, 3]])
def test_correct_functions_pass(sizes, capsys):
    checks.check_init_params(init_ok, sizes)
    X, params, dscores = tiny(3)
    checks.check_mlp_forward(forward_ok, X, params)
    checks.check_mlp_backward(forward_ok, backward_ok, X, params, dscores)
    checks.check_sgd_update(sgd_ok, params, {k: np.ones_like(v) for k, v in params.items()}, 0.1)
    checks.check_accuracy(lambda s, y: float(np.mean(s.argmax(1) == y)), np.eye(4)[[0, 2, 1]], np.array([0, 2, 2]))
    assert capsys.readouterr().out.count("PASSED") == 5


def test_float32_network_passes_the_backward_check():
    X, params, dscores = tiny(4)
    params32 = {k: v.astype(np.float32) for k, v in params.items()}
    checks.check_mlp_backward(forward_ok, backward_ok, X.astype(np.float32), params32, dscores.astype(np.float32))


# ---- slips are caught and named ----------------------------------------------------------

def _message(call) -> str:
    with pytest.raises(CheckFailed) as error:
        call()
    return str(error.value)


@pytest.mark.parametrize("slip, words", [
    (dict(mask=False), "ReLU mask is missing"),
    (dict(use_upstream=False), "dscores is not used"),
    (dict(transpose_dw=True), "transpose"),
    (dict(sum_bias=False), "sum over the batch"),
])
def test_backward_slips_are_named(slip, words):
    X, params, dscores = tiny(5)
    message = _message(lambda: checks.check_mlp_backward(forward_ok, lambda d, c: backward_ok(d, c, **slip),
                                                         X, params, dscores))
    assert words in message


def test_backward_with_a_wrong_forward_says_to_fix_the_forward_first():
    X, params, dscores = tiny(6)
    message = _message(lambda: checks.check_mlp_backward(lambda X, p: forward_ok(X, p, relu_out=True),
                                                         backward_ok, X, params, dscores))
    assert "needs a correct mlp_forward first" in message


@pytest.mark.parametrize("slip, words", [(dict(relu_out=True), "last layer gives raw scores"),
                                         (dict(bias=False), "biases are not added")])
def test_forward_slips_are_named(slip, words):
    X, params, _ = tiny(7)
    assert words in _message(lambda: checks.check_mlp_forward(lambda X, p: forward_ok(X, p, **slip), X, params))


@pytest.mark.parametrize("wrong_init, words", [
    (lambda s, rng: {k: v * 10 for k, v in init_ok(s, rng).items()}, "sqrt(2 / 784)"),
    (lambda s, rng: {k: v.astype(np.float64) for k, v in init_ok(s, rng).items()}, "float32"),
    (lambda s, rng: init_ok(s, np.random.default_rng()), "different weights for the same rng seed"),
    (lambda s, rng: {k: v + (0.1 if k.startswith("b") else 0) for k, v in init_ok(s, rng).items()}, "start at zero"),
    (lambda s, rng: {k: v.T for k, v in init_ok(s, rng).items()}, "rows are inputs"),
])
def test_init_slips_are_named(wrong_init, words):
    assert words in _message(lambda: checks.check_init_params(wrong_init, [784, 256, 128, 10]))


@pytest.mark.parametrize("wrong, words", [
    (lambda p, g, lr: {k: p[k] + lr * g[k] for k in p}, "moved uphill"),
    (lambda p, g, lr: {k: p[k] - g[k] for k in p}, "multiply it by the learning rate"),
    (lambda p, g, lr: None, "dict"),
])
def test_sgd_slips_are_named(wrong, words):
    _, params, _ = tiny(8)
    grads = {k: np.ones_like(v) for k, v in params.items()}
    assert words in _message(lambda: checks.check_sgd_update(wrong, params, grads, 0.1))


@pytest.mark.parametrize("wrong, words", [
    (lambda s, y: 100 * float(np.mean(s.argmax(1) == y)), "percent"),
    (lambda s, y: int(np.sum(s.argmax(1) == y)), "counts the right answers"),
    (lambda s, y: float(np.mean(s.argmax(0) == y[:s.shape[1]])), "wrong axis"),
])
def test_accuracy_slips_are_named(wrong, words):
    rng = np.random.default_rng(11)
    scores, labels = rng.normal(size=(12, 3)), rng.integers(0, 3, 12)
    assert np.mean(scores.argmax(1) == labels) != np.mean(scores.argmax(0) == labels[:3])  # slips are visible here
    assert words in _message(lambda: checks.check_accuracy(wrong, scores, labels))


def test_trained_network_check_measures_with_the_reference_not_the_learner():
    rng = np.random.default_rng(10)
    params = init_ok([784, 256, 128, 10], rng)
    images, labels = rng.integers(0, 256, (50, 784)).astype(np.uint8), rng.integers(0, 10, 50)
    assert "at least 95.0% is needed" in _message(lambda: checks.check_trained_network(params, images, labels, 0.95))
    params["W2"][0, 0] = np.nan
    assert "training blew up" in _message(lambda: checks.check_trained_network(params, images, labels, 0.95))
    assert "expected (784, 256)" in _message(
        lambda: checks.check_trained_network(init_ok([784, 100, 128, 10], rng), images, labels, 0.95))


# ---- correct code of another style: micrograd-like nodes in the caches ------------------

class Value:
    """A micrograd-style node holding an array: each operation records a closure that adds
    its share of the gradient to the nodes it came from (the originals, by reference)."""

    def __init__(self, data, parents=()):
        self.data, self.grad, self._parents, self._backward = np.asarray(data, float), None, parents, lambda: None

    def _add_grad(self, g):
        self.grad = g if self.grad is None else self.grad + g

    def matmul(self, other):
        out = Value(self.data @ other.data, (self, other))
        def backward():
            self._add_grad(out.grad @ other.data.T)
            other._add_grad(self.data.T @ out.grad)
        out._backward = backward
        return out

    def add_bias(self, bias):
        out = Value(self.data + bias.data, (self, bias))
        def backward():
            self._add_grad(out.grad)
            bias._add_grad(out.grad.sum(axis=0))
        out._backward = backward
        return out

    def relu(self):
        out = Value(np.maximum(self.data, 0), (self,))
        def backward():
            self._add_grad(out.grad * (self.data > 0))
        out._backward = backward
        return out

    def backward(self, seed):
        order, seen = [], set()
        def visit(node):
            if id(node) not in seen:
                seen.add(id(node))
                for parent in node._parents:
                    visit(parent)
                order.append(node)
        visit(self)
        self.grad = seed
        for node in reversed(order):
            node._backward()


def micrograd_forward(X, params):
    nodes = {k: Value(v) for k, v in params.items()}
    A, L = Value(X), len(params) // 2
    for k in range(1, L + 1):
        Z = A.matmul(nodes[f"W{k}"]).add_bias(nodes[f"b{k}"])
        A = Z.relu() if k < L else Z
    return A.data, [A, nodes]  # the caches: the output node and the parameter nodes


def micrograd_backward(dscores, caches):
    out, nodes = caches
    out.backward(dscores)
    return {k: node.grad for k, node in nodes.items()}


@pytest.mark.parametrize("sizes", [[3, 4, 2], [5, 6, 4, 3]])
def test_a_micrograd_style_backward_whose_caches_refer_to_each_other_passes(sizes, capsys):
    rng = np.random.default_rng(11)
    params = {k: v.astype(np.float64) for k, v in init_ok(sizes, rng).items()}
    X, dscores = rng.normal(size=(4, sizes[0])), rng.normal(size=(4, sizes[-1]))
    checks.check_mlp_backward(micrograd_forward, micrograd_backward, X, params, dscores)
    assert "PASSED: mlp_backward(dscores, caches) matches" in capsys.readouterr().out


def test_deep_copied_micrograd_caches_would_have_failed():
    """Why the caches are passed as they are: a deep copy cuts the closures off the copied nodes."""
    import copy

    rng = np.random.default_rng(11)
    params = {k: v.astype(np.float64) for k, v in init_ok([3, 4, 2], rng).items()}
    X, dscores = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    _, caches = micrograd_forward(X, params)
    with pytest.raises((TypeError, AttributeError)):  # the copied nodes' closures read the originals' grads: None
        micrograd_backward(dscores, copy.deepcopy(caches))
