"""Each learner slip of issue 14 (and its kin), put into a copy of the solution, and the exact
words the learner then reads under the check: what the cell printed, then the failure as
IPython shows it (its message alone, no traceback)."""
import warnings

import pytest

from slip_harness import slipped_feedback

CASES = [
    # (case, notebook, answer cell, solution text, slipped text, test cell, what the learner reads)
    ('mse ÷ len(y), 2-D', '01_loss', 'mse-answer',
     'return float(np.mean(squared_error(y_hat, y)))',
     'return float(np.sum(squared_error(y_hat, y)) / len(y))', 'mse-test',
     'PASSED: mse(y_hat, y) gives the expected result.\nNOT YET: mse(y_hat, y) (the returned value): expected 2, got 6.\n  Likely cause: the result is 3 times too large: the sum was divided by len(y) = 2, the number of rows; the mean divides by every element, N = y.size = 6.'),
    ('mse_grad ÷ len(y_hat)', '01_loss', 'mse-grad-answer',
     'return 2 * (y_hat - y) / y_hat.size',
     'return 2 * (y_hat - y) / len(y_hat)', 'mse-grad-test',
     'PASSED: mse_grad(y_hat, y) gives the expected result.\nNOT YET: mse_grad(y_hat, y) (the returned value): shape (2, 3) is right, values are not.\n  worst entry at index [0, 0]: expected 0.666667, got 2 (6 of 6 entries wrong)\n  Likely cause: every entry is 3 times too large: you divided by len(y_hat) = 2, the number of rows, but N counts every element: N = y_hat.size = 6.'),
    ('relu_grad list comprehension', '04_relu_gating', 'relu-grad-answer',
     'return (z > 0).astype(float)',
     'return np.array([1.0 if v > 0 else 0.0 for v in z])', 'relu-grad-test',
     'PASSED: relu_grad(z) gives the expected result.\nNOT YET: relu_grad(z) raised ValueError (The truth value of an array with more than one element is ambiguous. Use a.any() or a.all())\n  in your code, line 8: return np.array([1.0 if v > 0 else 0.0 for v in z])\n  Likely cause: a loop or list comprehension over z works for a 1-D z only: for a 2-D z, `for v in z` gives whole rows, and comparing a row with 0 is not one True or False. Write one NumPy expression on the whole array z, which keeps any shape.'),
    ('db keepdims (1,H) linear_backward', '05_matrix_backprop', 'linear-backward-answer',
     'db = dout.sum(axis=0)',
     'db = dout.sum(axis=0, keepdims=True)', 'linear-backward-test',
     'NOT YET: linear_backward(dout, cache) -> db has shape (1, 2), expected shape (2,).\n  Likely cause: the gradient kept the summed axis: a sum with keepdims=True gives shape (1, H) where the parameter has shape (H,); sum with axis=0 and no keepdims.'),
    ('db keepdims in two_layer', '05_matrix_backprop', 'linear-backward-answer',
     'db = dout.sum(axis=0)',
     'db = dout.sum(axis=0, keepdims=True)', 'two-layer-backward-test',
     "NOT YET: two_layer_backward(X, Y, params): 2 of 4 outputs are not right yet.\ntwo_layer_backward(X, Y, params)['b1'] has shape (1, 3), expected shape (3,).\n  Likely cause: the gradient kept the summed axis: a sum with keepdims=True gives shape (1, H) where the parameter has shape (H,); sum with axis=0 and no keepdims.\ntwo_layer_backward(X, Y, params)['b2'] has shape (1, 2), expected shape (2,).\n  Likely cause: the same as above."),
    ('grads keyed dW1 (05)', '05_matrix_backprop', 'two-layer-backward-answer',
     'return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}',
     'return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}', 'two-layer-backward-test',
     "NOT YET: two_layer_backward(X, Y, params) returned a dict keyed ['dW1', 'db1', 'dW2', 'db2'], but the gradients are keyed by the name of their parameter: ['W1', 'b1', 'W2', 'b2'] (grads['W1'] holds dL/dW1, shaped like W1)."),
    ('grads keyed dW1 (07 mlp_backward)', '07_mnist', 'mlp-backward-answer',
     'grads[f"W{k}"] = A_prev.T @ dZ\n        grads[f"b{k}"]',
     'grads[f"dW{k}"] = A_prev.T @ dZ\n        grads[f"db{k}"]', 'mlp-backward-test',
     "NOT YET: mlp_backward(dscores, caches) returned a dict keyed ['dW1', 'db1', 'dW2', 'db2'], but the gradients are keyed by the name of their parameter: ['W1', 'b1', 'W2', 'b2'] (grads['W1'] holds dL/dW1, shaped like W1)."),
    ("sgd_update reads grads['dW1'] (07)", '07_mnist', 'sgd-update-answer',
     'params[key] -= lr * grads[key]',
     'params[key] -= lr * grads["d" + key]', 'sgd-update-test',
     'NOT YET: sgd_update(params, grads, lr) raised KeyError (\'dW1\')\n  in your code, line 5: params[key] -= lr * grads["d" + key]\n  Likely cause: the dict has no key \'dW1\': its keys are [\'W1\', \'b1\']. Gradients are stored under the name of their parameter (grads[\'W1\'] holds dL/dW1).'),
    ('accuracy with labels as one-hot (07)', '07_mnist', 'accuracy-answer',
     'np.argmax(scores, axis=1) == labels',
     'np.argmax(scores, axis=1) == np.argmax(labels, axis=1)', 'accuracy-test',
     "NOT YET: accuracy(scores, labels) raised AxisError (axis 1 is out of bounds for array of dimension 1)\n  in your code, line 4: return float(np.mean(np.argmax(scores, axis=1) == np.argmax(labels, axis=1)))\n  Likely cause: your code treats labels as one-hot rows, but labels holds one class index per image: integers 0 to 9, shape (N,), with no axis 1 to take an argmax over. Compare the position of each row's largest score with labels as they are."),
    ('backward returns None for dW, db', '05_matrix_backprop', 'linear-backward-answer',
     'return dX, dW, db',
     'return dX, None, None', 'linear-backward-test',
     'NOT YET: linear_backward(dout, cache) returned (an array, None, None) in which dW, db are None: your code has a `return`, but it hands back None in those places. Return the values you computed (check the names in your `return` line, and that each variable holds the result, not what an in-place method returned).'),
    ('neuron_backward returns None for dw, db', '04_relu_gating', 'neuron-backward-answer',
     'return dz * w, dz * x, dz',
     'dw, db = dz * x, dz\n    return dz * w, None, None', 'neuron-backward-test',
     'NOT YET: neuron_backward(x, w, b, y) returned (an array, None, None) in which dw, db are None: your code has a `return`, but it hands back None in those places. Return the values you computed (check the names in your `return` line, and that each variable holds the result, not what an in-place method returned).'),
    ('two slips: mask missing + factor 2', '05_matrix_backprop', 'two-layer-backward-answer',
     'dY_hat = 2 * (Y_hat - Y) / Y_hat.size\n    dA1, dW2, db2 = linear_backward(dY_hat, cache2)\n    dZ1 = dA1 * (Z1 > 0)',
     'dY_hat = (Y_hat - Y) / Y_hat.size\n    dA1, dW2, db2 = linear_backward(dY_hat, cache2)\n    dZ1 = dA1', 'two-layer-backward-test',
     "NOT YET: two_layer_backward(X, Y, params): more than one thing is off: 4 of 4 outputs are not right yet.\ntwo_layer_backward(X, Y, params)['W1']: shape (4, 3) is right, values are not.\n  worst entry at index [2, 0]: expected 0.041875, got -0.4925 (12 of 12 entries wrong)\n  Likely cause: two things at once: (1) the ReLU mask is missing: dZ1 = dA1 * (Z1 > 0), so neurons that were off get no gradient; (2) every gradient is half the expected value: the factor 2 from differentiating the square is missing, dY_hat = 2 * (Y_hat - Y) / Y_hat.size.\ntwo_layer_backward(X, Y, params)['b1']: shape (3,) is right, values are not.\n  worst entry at index [0]: expected 0.56375, got -0.101562 (3 of 3 entries wrong)\n  Likely cause: the same as above.\ntwo_layer_backward(X, Y, params)['W2']: shape (3, 2) is right, values are not.\n  worst entry at index [1, 1]: expected 3.48937, got 1.74469 (6 of 6 entries wrong)\n  Likely cause: every gradient is half the expected value: the factor 2 from differentiating the square is missing, dY_hat = 2 * (Y_hat - Y) / Y_hat.size.\ntwo_layer_backward(X, Y, params)['b2']: shape (2,) is right, values are not.\n  worst entry at index [1]: expected 0.75625, got 0.378125 (2 of 2 entries wrong)\n  Likely cause: the same as above."),
    ('two slips: dW transposed + db not summed', '05_matrix_backprop', 'linear-backward-answer',
     'dW = X.T @ dout\n    db = dout.sum(axis=0)',
     'dW = dout.T @ X\n    db = dout', 'linear-backward-test',
     'NOT YET: linear_backward(dout, cache): more than one thing is off: 2 of 3 outputs are not right yet.\nlinear_backward(dout, cache) -> dW has shape (2, 3), expected shape (3, 2).\n  Likely cause: dW has the shape of W.T: dW = X.T @ dout, shapes (D, N) @ (N, H) -> (D, H).\nlinear_backward(dout, cache) -> db has shape (4, 2), expected shape (2,).\n  Likely cause: db has one row per example: the bias is shared by all N examples, so add up their gradients, db = dout.sum(axis=0).'),
    ('two slips: sign + 1/N in mse_grad', '01_loss', 'mse-grad-answer',
     'return 2 * (y_hat - y) / y_hat.size',
     'return 2 * (y - y_hat)', 'mse-grad-test',
     'NOT YET: mse_grad(y_hat, y) (the returned value): shape (3,) is right, values are not.\n  worst entry at index [2]: expected -2, got 6 (2 of 3 entries wrong)\n  Likely cause: two things at once: (1) every entry has the opposite sign: the gradient points uphill, so it is 2*(y_hat - y)/N, not 2*(y - y_hat)/N; (2) every entry is N times too large: the 1/N of the mean is missing (N = y_hat.size, every element counts).'),
    ('07 ReLU multiplied by activation', '07_mnist', 'mlp-backward-answer',
     'dZ = dA_prev * (caches[k - 2][2] > 0)',
     'dZ = dA_prev * A_prev', 'mlp-backward-test',
     "NOT YET: mlp_backward(dscores, caches): 2 of 4 outputs are not right yet.\nmlp_backward(dscores, caches)['W1']: shape (3, 4) is right, values are not.\n  worst entry at index [2, 1]: expected -6.69916, got -1.63241 (12 of 12 entries wrong)\n  Likely cause: dA is multiplied by the hidden activations A = relu(Z) themselves: the ReLU's gate is the 0/1 mask of the pre-activation, dZ = dA * (Z > 0), with Z from that layer's cache.\nmlp_backward(dscores, caches)['b1']: shape (4,) is right, values are not.\n  worst entry at index [1]: expected -6.69916, got -1.63241 (4 of 4 entries wrong)\n  Likely cause: the same as above."),
    ('07 ReLU multiplied by relu(Z)', '07_mnist', 'mlp-backward-answer',
     'dZ = dA_prev * (caches[k - 2][2] > 0)',
     'dZ = dA_prev * np.maximum(caches[k - 2][2], 0)', 'mlp-backward-test',
     "NOT YET: mlp_backward(dscores, caches): 2 of 4 outputs are not right yet.\nmlp_backward(dscores, caches)['W1']: shape (3, 4) is right, values are not.\n  worst entry at index [2, 1]: expected -6.69916, got -1.63241 (12 of 12 entries wrong)\n  Likely cause: dA is multiplied by the hidden activations A = relu(Z) themselves: the ReLU's gate is the 0/1 mask of the pre-activation, dZ = dA * (Z > 0), with Z from that layer's cache.\nmlp_backward(dscores, caches)['b1']: shape (4,) is right, values are not.\n  worst entry at index [1]: expected -6.69916, got -1.63241 (4 of 4 entries wrong)\n  Likely cause: the same as above."),
    ('relu as list comprehension (1-D: a list)', '04_relu_gating', 'relu-answer',
     'return np.maximum(z, 0.0)',
     'return [max(v, 0.0) for v in z]', 'relu-test',
     'NOT YET: relu(z) (the returned value) is a list, but a NumPy array is needed: compute with NumPy operations on the whole array (a loop or list comprehension gives a list, and on a 2-D array it visits rows, not numbers), or wrap the result in np.asarray(...).'),
    ('relu_backward comprehension', '04_relu_gating', 'relu-backward-answer',
     'return dout * relu_grad(z)',
     'return np.array([d if v > 0 else 0.0 for d, v in zip(dout, z)])', 'relu-backward-test',
     'PASSED: relu_backward(dout, z) gives the expected result.\nNOT YET: relu_backward(dout, z) raised ValueError (The truth value of an array with more than one element is ambiguous. Use a.any() or a.all())\n  in your code, line 9: return np.array([d if v > 0 else 0.0 for d, v in zip(dout, z)])\n  Likely cause: an `if`, `max(...)` or `and`/`or` met a whole array where it needs one number: a Python loop over a 2-D array visits whole rows, not numbers. Write it with elementwise NumPy operations (for example (z > 0), np.maximum, np.where), which work for every shape.'),
    ('mse mean over axis 0', '01_loss', 'mse-answer',
     'return float(np.mean(squared_error(y_hat, y)))',
     'return np.mean(squared_error(y_hat, y), axis=0)', 'mse-test',
     'PASSED: mse(y_hat, y) gives the expected result.\nNOT YET: mse(y_hat, y) (the returned value) has shape (3,), but a single number is expected: reduce over every element (np.mean(...) or np.sum(...) with no axis=; an axis= argument or a loop over rows leaves one value per row or column).'),
    ('db = dout.sum() (all entries)', '05_matrix_backprop', 'linear-backward-answer',
     'db = dout.sum(axis=0)',
     'db = dout.sum()', 'linear-backward-test',
     'NOT YET: linear_backward(dout, cache) -> db has shape (), expected shape (2,). One number where one value per column is expected: a sum or mean with no axis adds up every entry; sum over the batch only, axis=0.'),
    ('db = dout.sum(axis=1)', '05_matrix_backprop', 'linear-backward-answer',
     'db = dout.sum(axis=0)',
     'db = dout.sum(axis=1)', 'linear-backward-test',
     'NOT YET: linear_backward(dout, cache) -> db has shape (4,), expected shape (2,). A 1-D result of the wrong length: if it is a sum or a mean, check its axis (axis=0 goes over the examples, the rows).'),
    ('two_layer_backward returns a list', '05_matrix_backprop', 'two-layer-backward-answer',
     'return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}',
     'return [dW1, db1, dW2, db2]', 'two-layer-backward-test',
     "NOT YET: two_layer_backward(X, Y, params) returned a list, but a dict with keys ['W1', 'b1', 'W2', 'b2'] is expected."),
    ('linear_backward reads cache as dict', '05_matrix_backprop', 'linear-backward-answer',
     'X, W, b = cache\n',
     "X, W, b = cache['X'], cache['W'], cache['b']\n", 'linear-backward-test',
     "NOT YET: linear_backward(dout, cache) raised TypeError (tuple indices must be integers or slices, not str)\n  in your code, line 7: X, W, b = cache['X'], cache['W'], cache['b']\n  Likely cause: this check hands your function cache = (X, W, b), the tuple linear_forward returns by the contract (its three inputs, in that order): read X, W, b from it with X, W, b = cache."),
    ('mlp_backward db keepdims (07)', '07_mnist', 'mlp-backward-answer',
     'grads[f"b{k}"] = dZ.sum(axis=0)',
     'grads[f"b{k}"] = dZ.sum(axis=0, keepdims=True)', 'mlp-backward-test',
     "NOT YET: mlp_backward(dscores, caches): 2 of 4 outputs are not right yet.\nmlp_backward(dscores, caches)['b1'] has shape (1, 4), expected shape (4,).\n  Likely cause: a bias gradient kept the summed axis: dZ.sum(axis=0, keepdims=True) has shape (1, H), the bias has shape (H,); leave keepdims out.\nmlp_backward(dscores, caches)['b2'] has shape (1, 2), expected shape (2,).\n  Likely cause: the same as above."),
    ('mse_grad int floor division', '01_loss', 'mse-grad-answer',
     'return 2 * (y_hat - y) / y_hat.size',
     'return 2 * (y_hat - y) // y_hat.size', 'mse-grad-test',
     'NOT YET: mse_grad(y_hat, y) (the returned value): shape (3,) is right, values are not.\n  worst entry at index [1]: expected 1.33333, got 1 (1 of 3 entries wrong)\n  Likely cause: the fractions are dropped: // (floor division), int(...) or .astype(int) keeps whole numbers only; divide with / and keep floats.'),
    ('relu_backward NaN at z=0', '04_relu_gating', 'relu-backward-answer',
     'return dout * relu_grad(z)',
     'return dout * relu(z) / z', 'relu-backward-test',
     'NOT YET: relu_backward(dout, z) (the returned value) contains NaN (first at index [2]): usually a division by zero, a log of 0, or values that grew without bound.'),
]


@pytest.mark.parametrize("case, notebook, answer_id, old, new, test_id, expected", CASES, ids=[c[0] for c in CASES])
def test_the_learner_reads_exactly_this(case, notebook, answer_id, old, new, test_id, expected):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy's own warning for 0/0 goes to stderr, not here
        assert slipped_feedback(notebook, answer_id, old, new, test_id) == expected


@pytest.mark.parametrize("case", [c for c in CASES if "NOT YET" in c[-1]], ids=lambda c: c[0])
def test_no_message_is_a_raw_error_or_a_traceback(case):
    said = case[-1]
    assert said.count("NOT YET") == 1
    for noise in ("Traceback", "CheckFailed", "course_utils", "no `return", "AxisError:", "KeyError:", "ValueError:"):
        assert noise not in said, (case[0], noise)
