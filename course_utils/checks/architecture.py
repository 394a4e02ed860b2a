"""Checks for notebook 06 (architecture): ``one_hot``, ``layer_parameters``,
``count_parameters``, ``parameter_table``, ``gpt3_parameters`` and ``train_network``."""
import numpy as np

from course_utils.feedback import FAIL_MARK, as_number_array, call_learner, check, fail, passed
from course_utils.reference import architecture as ref

_mean, _isinstance, _dict = np.mean, isinstance, dict
GPT3_PUBLISHED = 175e9


def check_one_hot(fn, labels, num_classes=None):
    """``fn(labels[, num_classes])`` must be an (N, num_classes) array with a 1 at each label."""
    __tracebackhide__ = True
    labels = np.asarray(labels)
    classes = 10 if num_classes is None else num_classes
    args = (labels,) if num_classes is None else (labels, num_classes)
    names = ("labels",) if num_classes is None else ("labels", "num_classes")
    expected = ref.one_hot(labels, classes)
    return check(fn, args, expected, arg_names=names,
                 candidates={"shifted": ref.one_hot((labels - 1) % classes, classes),
                             "inverted": 1 - expected},
                 hints={"shifted": "every 1 sits one column to the left: the column index is the label "
                                   "itself (digit 0 -> column 0), no -1 or +1",
                        "inverted": "ones and zeros are swapped: start from zeros and put a single 1 per row"},
                 cause="start from np.zeros((N, num_classes)) and set row i, column labels[i] to 1")


def check_layer_parameters(fn, n_in, n_out):
    """``fn(n_in, n_out)`` must be n_in * n_out weights plus n_out biases."""
    __tracebackhide__ = True
    return check(fn, (n_in, n_out), ref.layer_parameters(n_in, n_out), arg_names=("n_in", "n_out"),
                 candidates={"no_bias": n_in * n_out, "bias_per_input": n_in * n_out + n_in,
                             "neurons": n_in + n_out},
                 hints={"no_bias": "you counted the weights only: every output neuron also has one bias",
                        "bias_per_input": "one bias per OUTPUT neuron (n_out of them), not one per input",
                        "neurons": "you added the neuron counts: every input connects to every output, "
                                   "so the weights are n_in * n_out"},
                 cause="count one weight per (input, output) pair and one bias per output")


def check_count_parameters(fn, layer_sizes):
    """``fn(layer_sizes)`` must add up the parameters of every consecutive pair of sizes."""
    __tracebackhide__ = True
    sizes = [int(s) for s in layer_sizes]
    pairs = list(zip(sizes[:-1], sizes[1:]))
    return check(fn, (list(sizes),), ref.count_parameters(sizes), arg_names=("layer_sizes",),
                 candidates={"no_bias": sum(a * b for a, b in pairs),
                             "first_layer_only": ref.layer_parameters(*pairs[0]),
                             "neurons": sum(sizes)},
                 hints={"no_bias": "the biases are missing: use layer_parameters for each layer",
                        "first_layer_only": "only the first layer was counted: loop over every consecutive "
                                            "pair (layer_sizes[i], layer_sizes[i+1])",
                        "neurons": "you added the sizes (neurons), not the parameters between them"},
                 cause="there is one layer between each pair of consecutive sizes; add their layer_parameters")


def check_parameter_table(fn, layer_sizes):
    """``fn(layer_sizes)`` must be an (L, 3) array of rows (n_in, n_out, parameters)."""
    __tracebackhide__ = True
    sizes = [int(s) for s in layer_sizes]
    expected = ref.parameter_table(sizes)
    no_bias = expected.copy()
    no_bias[:, 2] = expected[:, 0] * expected[:, 1]
    return check(fn, (list(sizes),), expected, arg_names=("layer_sizes",),
                 candidates={"no_bias": no_bias},
                 hints={"no_bias": "the last column leaves out the biases: use layer_parameters(n_in, n_out)"},
                 cause="one row per layer, in order: its input size, its output size and its parameter count")


def check_gpt3_parameters(fn, config=None, expected=None, rtol=0.01):
    """``fn(*config)`` must be within ``rtol`` of ``expected`` (by default the reference count)."""
    __tracebackhide__ = True
    config = tuple(config or ())
    full = config + (96, 12288, 50257, 2048)[len(config):]
    if expected is None:
        expected = ref.gpt3_parameters(*full)
    n_layers, d_model, vocab, context = full
    block = ref.transformer_block_parameters(d_model)
    slips = {"embeddings_missing": n_layers * sum(block.values()),
             "one_block_only": sum(block.values()) + (vocab + context) * d_model,
             "feed_forward_not_4x": expected - n_layers * (block["feed_forward"] - 2 * ref.layer_parameters(d_model, d_model)),
             "attention_missing": expected - n_layers * block["attention"]}
    hints = {"embeddings_missing": "the token and position embeddings are missing: vocab * d_model + context * d_model",
             "one_block_only": "only one block was counted: multiply the block by n_layers",
             "feed_forward_not_4x": "the feed-forward part widens to 4 * d_model and back: d -> 4d -> d",
             "attention_missing": "the attention part is missing: four d_model -> d_model layers per block"}
    names = ("n_layers", "d_model", "vocab", "context")[:len(config)]
    return check(fn, config, expected, arg_names=names, rtol=rtol, candidates=slips, hints=hints,
                 cause="blocks * (attention + feed-forward + layer norms) + token and position embeddings")


# ---- the trained models ---------------------------------------------------------------

def _trained(fn, X, y, width, lr, n_steps, seed):
    """Call the learner's train_network and return float64 params, or fail with a sentence."""
    __tracebackhide__ = True
    label = f"train_network(X, y, width={width}, lr={lr:g}, n_steps={n_steps}, seed={seed})"
    params = call_learner(fn, X, y, width, lr, n_steps, seed, name="train_network")
    shapes = {"W": (2, 1), "b": (1,)} if width == 0 else \
        {"W1": (2, width), "b1": (width,), "W2": (width, 1), "b2": (1,)}
    if not _isinstance(params, _dict):
        fail(f"{FAIL_MARK}: {label} should return the dict of parameters, got {type(params).__name__}.")
    missing = [k for k in shapes if k not in params]
    if missing:
        fail(f"{FAIL_MARK}: {label} returned a dict without {missing}; expected the keys {list(shapes)}.")
    clean = {}
    for key, shape in shapes.items():
        array, problem = as_number_array(params[key], f"{label}['{key}']", np.zeros(shape))
        if problem:
            fail(f"{FAIL_MARK}: {problem}")
        clean[key] = array
    return clean, label


def check_train_network(fn, X, y, X_test, y_test, width=8, n_steps=1000, seed=0, target=0.97):
    """Train a linear model (width 0) and a hidden layer with the learner's code, then judge them.

    The linear model must reach the lowest MSE any linear model has on (X, y) (solved in
    closed form): then it is as good as a straight line trained this way gets. The
    hidden-layer model must classify at least ``target`` of the training and the test
    points correctly.
    """
    __tracebackhide__ = True
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
    linear, label = _trained(fn, X, y, 0, 0.1, n_steps, seed)
    best_mse = ref.mse(ref.least_squares_linear(X, y), X, y)
    reached = ref.mse(linear, X, y)
    if not reached <= best_mse + 1e-3:
        fail(f"{FAIL_MARK}: {label}: the linear model ends with MSE {reached:.4f}, but the best linear "
             f"model has {best_mse:.4f}.\n  Likely cause: the training loop does not follow the gradient "
             f"(check the sign of the update and dW = X.T @ dout, db = dout.sum(axis=0)).")
    linear_accuracy = ref.accuracy(linear, X, y)
    lr = min(0.1, 1.0 / width)
    hidden, label = _trained(fn, X, y, width, lr, n_steps, seed)
    train_accuracy = ref.accuracy(hidden, X, y)
    test_accuracy = ref.accuracy(hidden, X_test, y_test)
    if not (train_accuracy >= target and test_accuracy >= target):
        fail(f"{FAIL_MARK}: {label}: the hidden-layer model is right on {100 * train_accuracy:.1f}% of the "
             f"training points and {100 * test_accuracy:.1f}% of fresh points; at least {100 * target:.0f}% "
             f"is expected.\n  Likely cause: a backward step is off (the ReLU mask must come from Z = X @ W1 + b1, "
             f"and dW1 = X.T @ dZ), or the update is not applied to every parameter.")
    passed(f"linear model: MSE {reached:.4f} (the best possible for a line), accuracy {100 * linear_accuracy:.1f}%; "
           f"hidden layer of {width}: accuracy {100 * train_accuracy:.1f}% (training), "
           f"{100 * test_accuracy:.1f}% (fresh points).")
