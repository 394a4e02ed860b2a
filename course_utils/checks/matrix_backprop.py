"""Checks for notebook 05 (matrix backprop): ``hidden_blame``, ``hidden_blames``,
``linear_forward``, ``linear_backward``, ``two_layer_forward``, ``two_layer_backward``,
and a gradient report for the two-layer network.

Expected gradients are numerical vector-Jacobian products or numerical gradients of the
reference forward passes (ReLU frozen at its measured slope, see
:mod:`course_utils.checks.relu_gating`). Slips are recognised from mutated forward
passes differentiated the same way, from scalings of the expected answer, from telltale
shapes, and, when the learner's code fails on non-square shapes, from a re-run on a
case where every matrix is square (:func:`course_utils.checks.slips.probe_outputs`).
"""
from __future__ import annotations

from typing import Mapping

import numpy as np

from course_utils.checks.relu_gating import HINTS as RELU_HINTS
from course_utils.checks.relu_gating import relu_slope
from course_utils.checks.slips import check_named, probe_outputs, run_learner
from course_utils.diagnosis import (diagnose, loss_candidates, merge_candidates, scaled_candidates,
                                    vjp_candidates)
from course_utils.feedback import FAIL_MARK, check, fail, missing_keys_message, passed
from course_utils.gradcheck import compare_gradients, numerical_gradient, numerical_gradients, numerical_vjp
from course_utils.reference import matrix_backprop as ref

PARAM_KEYS = ("W1", "b1", "W2", "b2")


def _f(a):
    return np.asarray(a, dtype=np.float64)


# ---- one hidden neuron, then all of them ----------------------------------------------

BLAME_HINTS = {
    "paths_not_summed": "these are the three products, one per path: add them up, "
                        "np.sum(deltas * w_row) or np.dot(deltas, w_row)",
    "sign": "the sign is flipped: blame is delta times weight, added up, with no minus sign",
    "dx_without_transpose": "each hidden neuron's weights are a ROW of W (W[j, k] links neuron j to output k): "
                            "blames = deltas @ W.T (W @ deltas for one example) pairs each neuron's row "
                            "with the deltas; deltas @ W pairs columns and only fits when W is square",
    "batch_rows": "it works for one example but not for a batch: with deltas of shape (N, C) each row is one "
                  "example, so the blames are deltas @ W.T, of shape (N, H)",
    "transposed": "the result is transposed: with deltas of shape (N, C), deltas @ W.T gives one row per "
                  "example, shape (N, H)",
}


def check_hidden_blame(fn, deltas, w_row):
    """``fn(deltas, w_row)`` must be Σ_k deltas[k] * w_row[k], one number."""
    __tracebackhide__ = True
    d, w = _f(deltas), _f(w_row)
    # The blame is dL/da for a neuron whose activation a reaches output k as a * w_row[k].
    expected = numerical_vjp(lambda a: ref.path_outputs(a, w), {"a": np.float64(0.0)}, d)["a"]
    return check_named(fn, (deltas, w_row), expected, name="hidden_blame", arg_names=("deltas", "w_row"),
                       candidates={"paths_averaged": expected / d.size}, hints=BLAME_HINTS,
                       shape_slips=("paths_not_summed",),
                       cause="multiply each path's error by that path's weight, then add the products")


def hidden_blames_expected(deltas, W):
    d, W = _f(deltas), _f(W)
    hidden = np.zeros(d.shape[:-1] + (W.shape[0],))
    return numerical_vjp(lambda H: ref.layer_outputs(H, W), {"H": hidden}, d)["H"]


_SQUARE_W = np.array([[1.0, -2.0, 0.5], [3.0, 1.0, -1.0], [-0.5, 2.0, 1.5]])


def _hidden_blames_probe(deltas, W):
    d, W = _f(deltas), _f(W)

    def probe(fn):
        if d.ndim == 2:
            single = probe_outputs(fn, (d[0], W), hidden_blames_expected(d[0], W),
                                   {"batch_rows": hidden_blames_expected(d[0], W)})
            if single is None:
                try:
                    one = np.asarray(fn(d[0].copy(), W.copy()), dtype=np.float64)
                    if one.shape == (W.shape[0],) and np.allclose(one, hidden_blames_expected(d[0], W)):
                        return "batch_rows"
                except Exception:
                    pass
        dsq = np.resize(np.array([0.5, -1.0, 2.0, 1.5, -0.25]), d.shape[:-1] + (3,))
        expected = hidden_blames_expected(dsq, _SQUARE_W)
        wrong = numerical_vjp(lambda H: ref.layer_outputs(H, _SQUARE_W.T), {"H": np.zeros(expected.shape)}, dsq)["H"]
        return probe_outputs(fn, (dsq, _SQUARE_W), expected, {"dx_without_transpose": wrong})
    return probe


def check_hidden_blames(fn, deltas, W):
    """``fn(deltas, W)`` must be every hidden neuron's blame: deltas @ W.T, shape (H,) or (N, H)."""
    __tracebackhide__ = True
    expected = hidden_blames_expected(deltas, W)
    k = _f(W).shape[1]
    wrong = None
    if _f(W).shape[0] == k:
        wrong = {"dx_without_transpose": numerical_vjp(lambda H: ref.layer_outputs(H, _f(W).T),
                                                        {"H": np.zeros(expected.shape)}, _f(deltas))["H"]}
    return check_named(fn, (deltas, W), expected, name="hidden_blames", arg_names=("deltas", "W"),
                       candidates={**(wrong or {}), "paths_averaged": expected / k}, hints=BLAME_HINTS,
                       probe=_hidden_blames_probe(deltas, W),
                       cause="neuron j's blame is the dot product of the deltas with row j of W: one matrix product, with shapes that meet")


# ---- one linear layer --------------------------------------------------------------

LINEAR_HINTS = {
    "transposed": "dW has the shape of W.T: dW = X.T @ dout, shapes (D, N) @ (N, H) -> (D, H)",
    "not_summed_over_batch": "db has one row per example: the bias is shared by all N examples, "
                             "so add up their gradients, db = dout.sum(axis=0)",
    "mean_extra": "every entry is N times too small: a mean over the batch where the chain rule needs a "
                  "sum (the 1/N already lives in the loss, and dout carries it)",
    "mean_missing": "every entry is N times too large: did you multiply by N somewhere?",
    "upstream_missing": "the upstream gradient dout is not multiplied in: each gradient is dout "
                        "times the local derivative (dX = dout @ W.T, dW = X.T @ dout, db = dout.sum(axis=0))",
    "bias_missing": "the bias b is not added: out = X @ W + b",
}
LINEAR_OUTPUTS = ("dX", "dW", "db")


def check_linear_forward(fn, X, W, b):
    """``fn(X, W, b)`` must return ``(X @ W + b, (X, W, b))``."""
    __tracebackhide__ = True
    args, names = (X, W, b), ("X", "W", "b")
    result = run_learner(fn, args, name="linear_forward", arg_names=names)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        fail(f"{FAIL_MARK}: linear_forward(X, W, b) must return two values, out and cache = (X, W, b); "
             f"it returned {type(result).__name__ if result is not None else 'None'}.")
    check(lambda *_: result[0], args, ref.linear_forward(X, W, b), name="linear_forward", arg_names=names,
          outputs=None, candidates={"bias_missing": _f(X) @ _f(W)}, hints=LINEAR_HINTS, quiet=True,
          cause="out = X @ W + b: (N, D) @ (D, H) -> (N, H), then b is added to every row")
    cache = result[1]
    same = (isinstance(cache, (tuple, list)) and len(cache) == 3
            and all(isinstance(c, np.ndarray) and c.shape == np.shape(a) and np.array_equal(c, _f(a))
                    for c, a in zip(cache, args)))
    if not same:
        fail(f"{FAIL_MARK}: linear_forward(X, W, b) -> cache must be the tuple (X, W, b), the three inputs "
             f"unchanged: linear_backward reads them from it.")
    passed("linear_forward(X, W, b) gives the expected result.")


def linear_backward_expected(X, W, b, dout) -> tuple:
    grads = numerical_vjp(ref.linear_forward, {"X": _f(X), "W": _f(W), "b": _f(b)}, dout)
    return grads["X"], grads["W"], grads["b"]


def _linear_candidates(X, W, b, dout) -> dict:
    X, W, b, dout = _f(X), _f(W), _f(b), _f(dout)
    # Upstream gradient left out: the gradients for dout = 1 everywhere.
    table = vjp_candidates({"upstream_missing": ref.linear_forward}, {"X": X, "W": W, "b": b}, np.ones_like(dout))
    if W.shape[0] == W.shape[1]:
        # dX = dout @ W: what the forward X @ W.T + b would give.
        wrong = numerical_vjp(lambda X: X @ W.T + b, {"X": X}, dout)["X"]
        table = merge_candidates({"X": {"dx_without_transpose": wrong}}, table)
    return {"d" + k: v for k, v in table.items()}


def _linear_probe(N):
    rng = np.random.default_rng(0)
    X, W, b = rng.normal(size=(N, 3)), _SQUARE_W, np.array([0.5, -1.0, 0.25])
    dout = rng.normal(size=(N, 3))
    expected = linear_backward_expected(X, W, b, dout)
    wrong = numerical_vjp(lambda X: X @ W.T + b, {"X": X}, dout)["X"]

    def probe(fn):
        return probe_outputs(fn, (dout, (X, W, b)), expected, {"dX": {"dx_without_transpose": wrong}},
                             outputs=LINEAR_OUTPUTS)
    return probe


CACHE_ASSUMED = ("this check hands your function cache = (X, W, b), the tuple linear_forward returns by the "
                 "contract (its three inputs, in that order): read X, W, b from it with X, W, b = cache")


def check_linear_backward(fn, X, W, b, dout):
    """``fn(dout, (X, W, b))`` must return (dX, dW, db) for out = X @ W + b."""
    __tracebackhide__ = True
    cache = (_f(X), _f(W), _f(b))
    expected = linear_backward_expected(X, W, b, dout)
    return check_named(fn, (dout, cache), expected, name="linear_backward", arg_names=("dout", "cache"),
                       outputs=LINEAR_OUTPUTS, candidates=_linear_candidates(X, W, b, dout), hints=LINEAR_HINTS,
                       probe=_linear_probe(_f(X).shape[0]), batch_size=_f(X).shape[0],
                       error_hints={k: CACHE_ASSUMED for k in ("TypeError", "KeyError", "IndexError", "AttributeError")},
                       cause="write the shapes: dX (N, D), dW (D, H), db (H,); each comes from dout (N, H) and one of X or W, with a sum over the batch for the shared W and b")


# ---- the two-layer network ---------------------------------------------------------

TWO_LAYER_HINTS = {
    **RELU_HINTS,
    "transposed": "a weight gradient has the shape of its weight's transpose: dW2 = A1.T @ dZ2 and "
                  "dW1 = X.T @ dZ1 (inputs of the layer, transposed, times the layer's output gradient)",
    "not_summed_over_batch": "a bias gradient has one row per example: sum it over the batch, "
                             "db = dZ.sum(axis=0)",
    "mean_extra": "every gradient is N times too small: the 1/N is already in the loss gradient "
                  "dY_hat = 2 * (Y_hat - Y) / Y_hat.size; the layers then sum over the batch, not average",
    "factor_2_missing": "every gradient is half the expected value: the factor 2 from differentiating "
                        "the square is missing, dY_hat = 2 * (Y_hat - Y) / Y_hat.size",
    "dx_without_transpose": "the gradient flowing into the hidden layer uses W2 where it needs W2.T: "
                            "dA1 = dZ2 @ W2.T, shapes (N, C) @ (C, H) -> (N, H); with W2 itself the shapes "
                            "only line up when W2 is square",
    "mask_missing": "the ReLU mask is missing: dZ1 = dA1 * (Z1 > 0), so neurons that were off get no gradient",
    "mask_wrong_array": "the ReLU mask is taken from the upstream gradient (dA1 > 0): it must come from the "
                        "pre-activation of the forward pass, dZ1 = dA1 * (Z1 > 0)",
    "mask_from_activation": "dA1 is multiplied by the activations A1 themselves: the ReLU's gate is the 0/1 mask "
                            "(Z1 > 0), dZ1 = dA1 * (Z1 > 0)",
    "upstream_missing": "dZ1 is the ReLU mask alone: multiply it by the gradient arriving from above, "
                        "dZ1 = dA1 * (Z1 > 0)",
    "relu_missing": "the ReLU is missing from the hidden layer: A1 = relu(X @ W1 + b1)",
}


def _params(params) -> dict:
    return {k: _f(params[k]) for k in PARAM_KEYS}


def check_two_layer_forward(fn, X, params):
    """``fn(X, params)`` must return ``(Y_hat, cache)`` with Y_hat = relu(X @ W1 + b1) @ W2 + b2."""
    __tracebackhide__ = True
    p = _params(params)
    result = run_learner(fn, (X, params), name="two_layer_forward", arg_names=("X", "params"))
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        fail(f"{FAIL_MARK}: two_layer_forward(X, params) must return two values: Y_hat and the cache "
             f"that two_layer_backward will use.")
    no_relu = ref.linear_forward(ref.linear_forward(X, p["W1"], p["b1"]), p["W2"], p["b2"])
    check(lambda *_: result[0], (X, params), ref.two_layer_forward(X, p), name="two_layer_forward",
          arg_names=("X", "params"), candidates={"relu_missing": no_relu}, hints=TWO_LAYER_HINTS,
          cause="Z1 = X @ W1 + b1, A1 = relu(Z1), Y_hat = A1 @ W2 + b2 (use your linear_forward and relu)")


def two_layer_expected(X, Y, params) -> dict:
    """Reference gradients of the MSE w.r.t. W1, b1, W2, b2 (numerical, ReLU frozen at its slope)."""
    p = _params(params)
    Z1 = ref.linear_forward(X, p["W1"], p["b1"])
    return numerical_gradients(lambda q: ref.two_layer_loss(X, Y, q, relu_slope(Z1), Z1), p)


def two_layer_candidates(X, Y, params, expected=None) -> dict:
    """What ``two_layer_backward`` returns with each known slip: {param: {slip: array}}."""
    p = _params(params)
    X, Y = _f(X), _f(Y)
    expected = expected or two_layer_expected(X, Y, p)
    Z1 = ref.linear_forward(X, p["W1"], p["b1"])
    slope, A0 = relu_slope(Z1), ref.relu(Z1)
    dA1 = numerical_gradient(lambda A: ref.mse(ref.linear_forward(A, p["W2"], p["b2"]), Y), A0)
    gates = {"mask_ge_at_zero": relu_slope(Z1, "right"), "mask_missing": np.ones_like(Z1),
             "mask_wrong_array": (dA1 > 0).astype(float), "mask_from_activation": A0}
    losses = {key: (lambda q, s=s: ref.two_layer_loss(X, Y, q, s, Z1)) for key, s in gates.items()}
    # dZ1 = mask alone: the hidden layer's gradient as if every dA1 were 1.
    losses["upstream_missing"] = lambda q: float(np.sum(ref.hidden_activations(X, q, slope, Z1)))
    if p["W2"].shape[0] == p["W2"].shape[1]:
        # dA1 = dZ2 @ W2: the error reaches the hidden layer through W2.T in a mutated forward.
        def through_transpose(q):
            A = ref.hidden_activations(X, q, slope, Z1)
            return ref.mse(ref.linear_forward(A0, p["W2"], p["b2"]) + (A - A0) @ p["W2"].T, Y)
        losses["dx_without_transpose"] = through_transpose
    n, c = Y.shape
    return merge_candidates(loss_candidates(losses, p, keys=("W1", "b1")),
                            scaled_candidates(expected, {"mse_mean_missing": n * c, "mse_rows_only": c,
                                                         "mean_extra": 1.0 / n}))


def _two_layer_probe(N):
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(N, 3)), rng.normal(size=(N, 3))
    params = {"W1": rng.normal(size=(3, 3)), "b1": rng.normal(size=3) * 0.1,
              "W2": rng.normal(size=(3, 3)), "b2": rng.normal(size=3) * 0.1}

    def probe(fn):
        expected = two_layer_expected(X, Y, params)
        candidates = two_layer_candidates(X, Y, params, expected)
        return probe_outputs(fn, (X, Y, params), expected, candidates)
    return probe


def check_two_layer_backward(fn, X, Y, params):
    """``fn(X, Y, params)`` must return {'W1', 'b1', 'W2', 'b2'}: gradients of the MSE."""
    __tracebackhide__ = True
    expected = two_layer_expected(X, Y, params)
    return check_named(fn, (X, Y, params), expected, name="two_layer_backward", arg_names=("X", "Y", "params"),
                       candidates=two_layer_candidates(X, Y, params, expected), hints=TWO_LAYER_HINTS,
                       probe=_two_layer_probe(_f(X).shape[0]),
                       cause="go backward one step at a time: dY_hat, then layer 2 (dW2, db2, dA1), the ReLU "
                             "(dZ1), then layer 1 (dW1, db1); compare each with the shapes of what it is the "
                             "gradient of")


def gradient_report(fn, X, Y, params) -> dict:
    """Print a gradient check of ``fn(X, Y, params)`` against numerical gradients, with a
    verdict per parameter and the likely slip for any that fail. Returns {key: GradCheck}."""
    __tracebackhide__ = True
    result = run_learner(fn, (X, Y, params), name="two_layer_backward", arg_names=("X", "Y", "params"))
    if not isinstance(result, Mapping):
        fail(f"{FAIL_MARK}: two_layer_backward must return a dict with the keys {list(PARAM_KEYS)}.")
    missing = [k for k in PARAM_KEYS if k not in result]
    if missing:
        fail(f"{FAIL_MARK}: {missing_keys_message('two_layer_backward(X, Y, params)', missing, PARAM_KEYS, result)}")
    expected = two_layer_expected(X, Y, params)
    candidates = two_layer_candidates(X, Y, params, expected)
    report = {}
    for key in PARAM_KEYS:
        mine = np.asarray(result[key], dtype=np.float64)
        if mine.shape != expected[key].shape:
            print(f"d{key}: shape {mine.shape}, expected {expected[key].shape}")
            continue
        verdict = compare_gradients(mine, expected[key])
        report[key] = verdict
        # A passing gradient gets one line; a failing one its worst entries and the likely slip.
        print(f"d{key}: {verdict if verdict.verdict != 'pass' else str(verdict).splitlines()[0]}")
        if verdict.verdict != "pass":
            likely = diagnose(mine, expected[key], candidates=candidates.get(key), hints=TWO_LAYER_HINTS)
            if likely:
                print(f"  Likely cause: {likely}.")
    return report
