"""Checks for notebook 07 (MNIST): ``init_params``, ``mlp_forward``, ``mlp_backward``,
``sgd_update``, ``accuracy`` and the trained network.

Every check prints PASSED or raises AssertionError with the reason, and returns nothing
(nbgrader would read a number left by a test cell as a partial score).

Forward values come from :mod:`course_utils.reference.mlp`; expected gradients are
numerical vector-Jacobian products of that reference forward; known slips are
recognised from mutated forwards (ReLU on the output, no bias, the ReLU gate left open).
"""
from __future__ import annotations

import numpy as np

from course_utils.feedback import (FAIL_MARK, call_learner, compare_parts, fail, join_problems,
                                   missing_keys_message, none_parts_message, passed, compare)
from course_utils.checks.slips import shape_slip_problem
from course_utils.gradcheck import numerical_vjp
from course_utils.reference import mlp as ref

_isinstance, _len, _sorted, _float32 = isinstance, len, sorted, np.float32


def param_keys(layer_sizes) -> list[str]:
    return [f"{p}{k}" for k in range(1, _len(layer_sizes)) for p in ("W", "b")]


def _as_params_dict(result, label: str, keys: list[str]) -> dict:
    __tracebackhide__ = True
    if not _isinstance(result, dict):
        fail(f"{FAIL_MARK}: {label} returned a {type(result).__name__}, but a dict with keys {keys} is expected.")
    missing = [k for k in keys if k not in result]
    if missing:
        fail(f"{FAIL_MARK}: {missing_keys_message(label, missing, keys, result)}")
    none = none_parts_message(label, result, keys)
    if none:
        fail(f"{FAIL_MARK}: {none}")
    for key in keys:
        if not _isinstance(result[key], np.ndarray):
            fail(f"{FAIL_MARK}: {label}['{key}'] is a {type(result[key]).__name__}, not a NumPy array.")
    return result


def check_init_params(fn, layer_sizes, seed: int = 0):
    """Shapes, float32, zero biases, He-scaled random weights, and the randomness taken from ``rng``."""
    __tracebackhide__ = True
    sizes = [int(n) for n in layer_sizes]
    label = f"init_params({sizes}, rng)"
    keys = param_keys(sizes)
    params = _as_params_dict(call_learner(fn, sizes, np.random.default_rng(seed), name="init_params",
                                          arg_names=("layer_sizes", "rng")), label, keys)
    for k, (n_in, n_out) in enumerate(zip(sizes, sizes[1:]), start=1):
        W, b = params[f"W{k}"], params[f"b{k}"]
        for name, array, shape in [(f"W{k}", W, (n_in, n_out)), (f"b{k}", b, (n_out,))]:
            if array.shape != shape:
                hint = " (rows are inputs, columns are outputs)" if array.shape == shape[::-1] else ""
                fail(f"{FAIL_MARK}: {label}['{name}'] has shape {array.shape}, expected {shape}{hint}.")
            if array.dtype != _float32:
                fail(f"{FAIL_MARK}: {label}['{name}'] has dtype {array.dtype}, expected float32: "
                     f"convert with .astype(np.float32) (float64 makes training twice as slow).")
            if not np.isfinite(array).all():
                fail(f"{FAIL_MARK}: {label}['{name}'] contains NaN or infinity.")
        if np.any(b != 0):
            fail(f"{FAIL_MARK}: {label}['b{k}'] should start at zero; the random weights already make "
                 f"every neuron different.")
        target = np.sqrt(2.0 / n_in)
        std = float(np.std(W))
        if W.size >= 50 and not (0.8 * target <= std <= 1.2 * target):
            fail(f"{FAIL_MARK}: {label}['W{k}'] has standard deviation {std:.4g}, expected about "
                 f"sqrt(2 / {n_in}) = {target:.4g} (He initialisation: multiply standard normal numbers "
                 f"by sqrt(2 / fan_in), where fan_in = {n_in} is the number of inputs to the layer).")
        if W.size >= 50 and abs(float(np.mean(W))) > 0.2 * target:
            fail(f"{FAIL_MARK}: {label}['W{k}'] has mean {float(np.mean(W)):.4g}; draw from a normal "
                 f"distribution centred on 0.")
    again = call_learner(fn, sizes, np.random.default_rng(seed), name="init_params")
    other = call_learner(fn, sizes, np.random.default_rng(seed + 1), name="init_params")
    if not np.array_equal(np.asarray(again["W1"]), params["W1"]):
        fail(f"{FAIL_MARK}: {label} gives different weights for the same rng seed: draw every random "
             f"number from the rng argument (rng.standard_normal), not from np.random.")
    if np.array_equal(np.asarray(other["W1"]), params["W1"]):
        fail(f"{FAIL_MARK}: {label} gives the same weights for different rng seeds: use the rng argument.")
    passed(f"{label} gives float32 He-scaled weights of the right shapes and zero biases.")


def _forward_scores(fn, X, params, label):
    __tracebackhide__ = True
    result = call_learner(fn, X, params, name="mlp_forward", arg_names=("X", "params"))
    if not _isinstance(result, tuple) or _len(result) != 2:
        fail(f"{FAIL_MARK}: {label} must return two values, (scores, caches); it returned "
             f"{type(result).__name__ if not _isinstance(result, tuple) else f'{_len(result)} values'}.")
    return result


def check_mlp_forward(fn, X, params):
    """``fn(X, params)`` returns ``(scores, caches)``; scores must match the reference forward."""
    __tracebackhide__ = True
    label = "mlp_forward(X, params)"
    scores, _caches = _forward_scores(fn, X, params, label)
    expected = ref.mlp_forward(X, params)
    candidates = {"relu_on_output": ref.mlp_forward(X, params, relu_on_output=True),
                  "bias_missing": ref.mlp_forward(X, params, use_bias=False)}
    hints = {"relu_on_output": "the scores have ReLU applied: the last layer gives raw scores, "
                               "only hidden layers use ReLU",
             "bias_missing": "the biases are not added: each layer computes A @ W + b"}
    problem = compare(scores, expected, f"{label} -> scores", rtol=1e-4, atol=1e-5,
                      candidates=candidates, hints=hints,
                      cause="each layer computes Z = A @ W + b; hidden layers then apply ReLU, the last does not")
    if problem:
        fail(f"{FAIL_MARK}: {problem}")
    passed(f"{label} gives the expected scores.")


def check_mlp_backward(forward_fn, backward_fn, X, params, dscores):
    """``backward_fn(dscores, caches)`` with caches from ``forward_fn`` must give dL/dparams,
    compared with a numerical vector-Jacobian product of the reference forward."""
    __tracebackhide__ = True
    keys = param_keys([np.shape(X)[1]] + [np.shape(params[f"W{k}"])[1] for k in range(1, ref.n_layers(params) + 1)])
    scores, caches = _forward_scores(forward_fn, X, params, "mlp_forward(X, params)")
    problem = compare(scores, ref.mlp_forward(X, params), "mlp_forward(X, params) -> scores", rtol=1e-4, atol=1e-5)
    if problem:
        fail(f"{FAIL_MARK}: mlp_backward needs a correct mlp_forward first, and its scores are off. {problem}")
    label = "mlp_backward(dscores, caches)"
    # The caches are the learner's own, from their own forward pass: passed as they are, never
    # copied (objects in them may refer to one another, as micrograd-style nodes do).
    grads = _as_params_dict(call_learner(backward_fn, dscores, caches, name="mlp_backward",
                                         arg_names=("dscores", "caches"), keep=(1,)), label, keys)
    base = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    expected = numerical_vjp(lambda **p: ref.mlp_forward(X, p), base, dscores)
    open_gate = numerical_vjp(lambda **p: ref.mlp_forward_gate_frozen_open(X, p, base), base, dscores)
    by_activation = numerical_vjp(lambda **p: ref.mlp_forward_gate_frozen(X, p, base, lambda Z0: np.maximum(Z0, 0.0)),
                                  base, dscores)
    no_upstream = numerical_vjp(lambda **p: ref.mlp_forward(X, p), base, np.ones_like(np.asarray(dscores)))
    problems = []
    for key in keys:
        named = shape_slip_problem(grads[key], expected[key], f"{label}['{key}']", BACKWARD_HINTS)
        if named:
            problems.append(named)
            continue
        candidates = {"mask_missing": open_gate[key], "mask_from_activation": by_activation[key],
                      "upstream_missing": no_upstream[key]}
        lines, likely = compare_parts(grads[key], expected[key], f"{label}['{key}']",
                                      rtol=2e-4, atol=1e-6, batch_size=int(np.shape(X)[0]), candidates=candidates,
                                      hints=BACKWARD_HINTS, cause=BACKWARD_CAUSE)
        if lines:
            problems.append((lines, likely))
    if problems:
        fail(f"{FAIL_MARK}: {join_problems(problems, _len(keys), label)}")
    passed(f"{label} matches the numerical gradients of every parameter.")


BACKWARD_HINTS = {
    "mask_missing": "the ReLU mask is missing: where a hidden pre-activation Z was not positive "
                    "the gradient must be 0 (multiply by Z > 0)",
    "mask_from_activation": "dA is multiplied by the hidden activations A = relu(Z) themselves: the ReLU's gate "
                            "is the 0/1 mask of the pre-activation, dZ = dA * (Z > 0), with Z from that layer's cache",
    "upstream_missing": "dscores is not used: the backward pass must start from the gradient it "
                        "receives, not from ones",
    "not_summed_over_batch": "a bias gradient has one row per example: sum over the batch, db = dZ.sum(axis=0)",
    "keepdims": "a bias gradient kept the summed axis: dZ.sum(axis=0, keepdims=True) has shape (1, H), "
                "the bias has shape (H,); leave keepdims out",
}
BACKWARD_CAUSE = ("work backwards layer by layer, each layer as notebook 05's linear layer, "
                  "with the ReLU gate of the layer below for every hidden layer")


def check_sgd_update(fn, params, grads, lr):
    """``fn(params, grads, lr)`` returns the params dict with ``p - lr * dp`` for every key."""
    __tracebackhide__ = True
    label = "sgd_update(params, grads, lr)"
    keys = list(params)
    result = _as_params_dict(call_learner(fn, params, grads, lr, name="sgd_update",
                                          arg_names=("params", "grads", "lr")), label, keys)
    for key in keys:
        expected = np.asarray(params[key], np.float64) - lr * np.asarray(grads[key], np.float64)
        candidates = {"sign": np.asarray(params[key], np.float64) + lr * np.asarray(grads[key], np.float64),
                      "lr_missing": np.asarray(params[key], np.float64) - np.asarray(grads[key], np.float64)}
        hints = {"sign": "the parameters moved uphill: subtract lr * gradient, do not add it",
                 "lr_missing": "the whole gradient was subtracted: multiply it by the learning rate lr first"}
        problem = compare(result[key], expected, f"{label}['{key}']", rtol=1e-5, atol=1e-6,
                          candidates=candidates, hints=hints, cause="every parameter takes one step against its own gradient, scaled by lr")
        if problem:
            fail(f"{FAIL_MARK}: {problem}")
    passed(f"{label} moves every parameter a step of size lr against its gradient.")


ONE_HOT_LABELS = ("your code treats labels as one-hot rows, but labels holds one class index per image: "
                  "integers 0 to 9, shape (N,), with no axis 1 to take an argmax over. Compare the position "
                  "of each row's largest score with labels as they are")


def check_accuracy(fn, scores, labels):
    """``fn(scores, labels)`` is the fraction (0 to 1) of rows whose largest score is the label."""
    __tracebackhide__ = True
    label = "accuracy(scores, labels)"
    value = call_learner(fn, scores, labels, name="accuracy", arg_names=("scores", "labels"),
                         error_hints={"AxisError": ONE_HOT_LABELS, "IndexError": ONE_HOT_LABELS})
    expected = ref.accuracy(scores, labels)
    n = _len(labels)
    candidates = {"percent": expected * 100,
                  "count": expected * n,
                  "wrong_axis": float(np.mean(np.argmax(scores, axis=0)[:n] == np.asarray(labels)[:scores.shape[1]]))
                  if scores.shape[0] != scores.shape[1] else -1.0}
    hints = {"percent": "the result is in percent: return a fraction between 0 and 1",
             "count": "the result counts the right answers: divide by the number of images (take the mean)",
             "wrong_axis": "the argmax runs over the wrong axis: the ten scores of one image are a row, use axis=1"}
    problem = compare(value, expected, label, rtol=0, atol=1e-9, candidates=candidates, hints=hints,
                      cause="compare np.argmax(scores, axis=1) with labels and take the mean")
    if problem:
        fail(f"{FAIL_MARK}: {problem}")
    passed(f"{label} gives the expected fraction.")


def check_trained_network(params, X_test, y_test, threshold: float):
    """The trained parameters (784-256-128-10, float32) must reach ``threshold`` test accuracy,
    measured with the reference forward pass (not the learner's own functions)."""
    __tracebackhide__ = True
    expected_shapes = {"W1": (784, 256), "b1": (256,), "W2": (256, 128), "b2": (128,), "W3": (128, 10), "b3": (10,)}
    params = _as_params_dict(params, "params", list(expected_shapes))
    for key, shape in expected_shapes.items():
        if params[key].shape != shape:
            fail(f"{FAIL_MARK}: params['{key}'] has shape {params[key].shape}, expected {shape} for 784-256-128-10.")
        if params[key].dtype != _float32:
            fail(f"{FAIL_MARK}: params['{key}'] has dtype {params[key].dtype}; keep the network in float32.")
        if not np.isfinite(params[key]).all():
            fail(f"{FAIL_MARK}: params['{key}'] contains NaN or infinity: training blew up. Check mlp_backward "
                 f"and sgd_update, or lower the learning rate.")
    scaled = np.asarray(X_test, dtype=np.float64) / 255.0
    measured = ref.accuracy(ref.mlp_forward(scaled, params), y_test)
    if measured < threshold:
        fail(f"{FAIL_MARK}: the trained network gets {measured:.1%} of the {_len(y_test):,} test images right; "
             f"at least {threshold:.1%} is needed. Check that every exercise above passes, then run the "
             f"training cell again without changing its settings.")
    passed(f"the trained network gets {measured:.1%} of the {_len(y_test):,} test images right "
           f"(at least {threshold:.1%} needed).")
