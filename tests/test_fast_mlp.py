"""course_utils.fast_mlp: the fast trainer takes exactly the SGD steps of the readable maths.

Oracles: central differences (course_utils.gradcheck) of a plain forward pass, and HIPS
autograd, which shares no code with either.
"""
import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from course_utils.fast_mlp import FastMLP
from course_utils.gradcheck import numerical_gradients

SHAPES = [  # (layer sizes, batch rows)
    ((5, 4, 3), 6),
    ((7, 5, 4, 3), 6),
    ((6, 8, 5, 4, 2), 3),
    ((4, 3, 2), 1),
]


def make_problem(sizes, n, seed):
    rng = np.random.default_rng(seed)
    params = {}
    for k, (a, b) in enumerate(zip(sizes, sizes[1:]), start=1):
        params[f"W{k}"] = rng.standard_normal((a, b)) * np.sqrt(2 / a)
        params[f"b{k}"] = rng.standard_normal(b) * 0.1
    X = rng.standard_normal((n, sizes[0]))
    Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], n)]
    return params, X, Y


def mse_loss(params, X, Y, np_=np):
    """The course's loss: mean over all elements of (scores - Y)**2; ReLU hidden layers."""
    L = sum(1 for k in params if k.startswith("W"))
    A = X
    for k in range(1, L + 1):
        Z = A @ params[f"W{k}"] + params[f"b{k}"]
        A = np_.maximum(Z, 0.0) if k < L else Z
    return np_.mean((A - Y) ** 2)


@pytest.mark.parametrize("sizes,n", SHAPES)
def test_one_step_moves_every_parameter_by_lr_times_the_numerical_gradient(sizes, n):
    params, X, Y = make_problem(sizes, n, seed=sum(sizes) + n)
    lr = 0.3
    expected_grads = numerical_gradients(lambda p: mse_loss(p, X, Y), params)
    net = FastMLP(params, max_batch=n, dtype=np.float64)
    net.step(X, Y, lr)
    after = net.params()
    for name, value in params.items():
        taken = (value - after[name]) / lr
        np.testing.assert_allclose(taken, expected_grads[name], rtol=1e-6, atol=1e-9, err_msg=name)


@pytest.mark.parametrize("sizes,n", SHAPES)
def test_one_step_matches_autograd(sizes, n):
    params, X, Y = make_problem(sizes, n, seed=100 + n)
    grads = autograd.grad(lambda p: mse_loss(p, X, Y, anp))(params)
    net = FastMLP(params, max_batch=8, dtype=np.float64)
    net.step(X, Y, 0.1)
    after = net.params()
    for name in params:
        np.testing.assert_allclose(after[name], params[name] - 0.1 * grads[name], rtol=1e-12, atol=1e-14,
                                   err_msg=name)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_float32_step_agrees_with_float64_to_single_precision(seed):
    params, X, Y = make_problem((20, 16, 12, 10), 9, seed)
    wide = FastMLP(params, max_batch=16, dtype=np.float64)
    narrow = FastMLP(params, max_batch=16)  # float32, the default
    loss64 = wide.step(X, Y, 0.5)
    loss32 = narrow.step(X.astype(np.float32), Y.astype(np.float32), 0.5)
    assert narrow.params()["W1"].dtype == np.float32
    assert loss32 == pytest.approx(loss64, rel=1e-5)
    for name, value in wide.params().items():
        np.testing.assert_allclose(narrow.params()[name], value, rtol=1e-4, atol=1e-5, err_msg=name)


def test_step_returns_the_batch_mse_before_the_update():
    params, X, Y = make_problem((5, 4, 3), 7, seed=3)
    net = FastMLP(params, max_batch=7, dtype=np.float64)
    assert net.step(X, Y, 0.2) == pytest.approx(mse_loss(params, X, Y), rel=1e-12)


def test_relu_derivative_at_exactly_zero_blocks_the_gradient():
    # Hidden unit 0 has pre-activation exactly 0 on every row: ReLU'(0) = 0, so nothing
    # reaches its incoming weights or bias, although its outgoing weights are nonzero.
    params, X, Y = make_problem((4, 3, 2), 5, seed=4)
    params["W1"][:, 0] = 0.0
    params["b1"][0] = 0.0
    net = FastMLP(params, max_batch=5, dtype=np.float64)
    net.step(X, Y, 1.0)
    after = net.params()
    np.testing.assert_array_equal(after["W1"][:, 0], 0.0)
    assert after["b1"][0] == 0.0
    assert not np.allclose(after["W1"][:, 1:], params["W1"][:, 1:]), "the other units should learn"


@pytest.mark.parametrize("batch", [4, 5, 16])
def test_train_epoch_is_the_steps_over_the_given_order_including_a_short_last_batch(batch):
    params, X, Y = make_problem((6, 5, 3), 13, seed=batch)
    order = np.random.default_rng(batch).permutation(13)
    by_epoch = FastMLP(params, max_batch=batch, dtype=np.float64)
    mean_loss = by_epoch.train_epoch(X, Y, 0.1, batch, order=order)
    by_steps = FastMLP(params, max_batch=batch, dtype=np.float64)
    losses = [by_steps.step(X[order[i:i + batch]], Y[order[i:i + batch]], 0.1) for i in range(0, 13, batch)]
    assert mean_loss == pytest.approx(np.mean(losses), rel=1e-12)
    for name, value in by_steps.params().items():
        np.testing.assert_array_equal(by_epoch.params()[name], value)


def test_train_epoch_converts_inputs_of_another_dtype():
    params, X, Y = make_problem((6, 5, 3), 10, seed=5)
    order = np.arange(10)
    a, b = FastMLP(params, max_batch=4), FastMLP(params, max_batch=4)
    a.train_epoch(X, Y, 0.1, order=order)  # float64 inputs into a float32 trainer
    b.train_epoch(X.astype(np.float32), Y.astype(np.float32), 0.1, order=order)
    for name, value in a.params().items():
        np.testing.assert_array_equal(b.params()[name], value)


def test_params_are_copies_and_the_callers_arrays_are_never_changed():
    params, X, Y = make_problem((5, 4, 3), 4, seed=6)
    before = {k: v.copy() for k, v in params.items()}
    net = FastMLP(params, max_batch=4, dtype=np.float64)
    net.step(X, Y, 0.5)
    for name in params:
        np.testing.assert_array_equal(params[name], before[name])
    copy = net.params()
    copy["W1"][...] = 0
    assert not np.all(net.params()["W1"] == 0)


def test_a_batch_larger_than_the_buffers_is_refused_with_a_message():
    params, X, Y = make_problem((5, 4, 3), 9, seed=7)
    net = FastMLP(params, max_batch=8)
    with pytest.raises(ValueError, match="at most 8"):
        net.step(X.astype(np.float32), Y.astype(np.float32), 0.1)


def test_mismatched_layer_shapes_are_refused_with_a_message():
    params, _, _ = make_problem((5, 4, 3), 2, seed=8)
    params["b2"] = np.zeros(7)
    with pytest.raises(ValueError, match="b2"):
        FastMLP(params)


@pytest.mark.parametrize("sizes,n", SHAPES[:3])
@pytest.mark.parametrize("dtype,rtol", [(np.float64, 1e-10), (np.float32, 2e-4)])
def test_momentum_steps_are_notebook_07s_momentum_update(sizes, n, dtype, rtol):
    # v <- beta v + grad; p <- p - lr v, over three different batches and a learning
    # rate that changes between steps, as the notebook's schedule does.
    params, _, _ = make_problem(sizes, n, seed=40 + n)
    batches = [make_problem(sizes, n, seed=50 + i)[1:] for i in range(3)]
    net = FastMLP(params, max_batch=n, dtype=dtype)
    expected = {k: v.copy() for k, v in params.items()}
    velocity = {k: np.zeros_like(v) for k, v in params.items()}
    for (X, Y), lr in zip(batches, (0.3, 0.3, 0.03)):
        grads = autograd.grad(lambda p: mse_loss(p, X, Y, anp))(expected)
        for key in expected:
            velocity[key] = 0.9 * velocity[key] + grads[key]
            expected[key] = expected[key] - lr * velocity[key]
        net.step(X.astype(dtype), Y.astype(dtype), lr, momentum=0.9)
    after = net.params()
    for name in params:
        np.testing.assert_allclose(after[name], expected[name], rtol=rtol, atol=rtol / 10, err_msg=name)


def test_train_epoch_passes_momentum_to_every_step():
    params, X, Y = make_problem((6, 5, 3), 12, seed=8)
    order = np.arange(12)
    by_epoch, by_steps = FastMLP(params, max_batch=4, dtype=np.float64), FastMLP(params, max_batch=4, dtype=np.float64)
    by_epoch.train_epoch(X, Y, 0.1, order=order, momentum=0.5)
    for i in range(0, 12, 4):
        by_steps.step(X[i:i + 4], Y[i:i + 4], 0.1, momentum=0.5)
    for name, value in by_steps.params().items():
        np.testing.assert_array_equal(by_epoch.params()[name], value)


def test_momentum_never_leaves_subnormal_velocities_behind():
    # Input 0 is always 0, so W1's first row gets a zero gradient at every step and its
    # velocity only shrinks (0.9 ** k): without flushing it would sit in the slow
    # subnormal range. Every FLUSH_EVERY steps such velocities become exactly 0.
    params, X, Y = make_problem((4, 3, 2), 6, seed=9)
    X[:, 0] = 0.0
    net = FastMLP(params, max_batch=6)
    tiny = np.finfo(np.float32).tiny
    for step in range(1, 1201):
        net.step(X.astype(np.float32), Y.astype(np.float32), 0.05, momentum=0.9)
        if step == 1:
            assert np.all(net._vW[0][0] == 0)  # no gradient ever reached it
            net._vW[0][0] = 1e-3  # as if it had once had one
        if step % net.FLUSH_EVERY == 0:
            for V in net._vW + net._vb:
                assert not np.any((V != 0) & (np.abs(V) < tiny)), step
    assert np.all(net._vW[0][0] == 0)  # decayed past 1e-38 and flushed, not stuck at 1e-45


def test_flushing_touches_only_subnormal_velocities():
    params, _, _ = make_problem((4, 3, 2), 2, seed=10)
    net = FastMLP(params, max_batch=2)
    vW, vb = net._velocities()
    vW[0][...] = [[1e-39, -1e-40, 1e-30], [0.5, -1e-38, 0.0], [3e-45, 1e-3, -1e-37], [1.0, 2.0, 3.0]]
    net._flush_subnormal_velocities()
    np.testing.assert_array_equal(vW[0], np.array([[0, 0, 1e-30], [0.5, 0, 0], [0, 1e-3, -1e-37], [1, 2, 3]],
                                                  np.float32))
