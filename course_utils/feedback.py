"""Check a learner's function and say, in words, what is right or wrong.

Contract: :func:`check` calls the learner's function, compares what it returns with
the expected value and either prints one line saying it passed, or raises
:class:`CheckFailed` (an ``AssertionError``) whose message IPython shows in place of a
traceback (so the self-paced learner and nbgrader's autograder see the same words, once).
No check returns a value. The message names the function and the
output, shows shape first and then the worst entry with its index, and gives the most
likely cause. Our own code never lets a bare ``TypeError`` reach the learner.

Checks defend themselves: values are converted with functions captured at import time
(before any learner code runs), objects that only pretend to be numbers are rejected
before any comparison, and the learner's function gets copies of the inputs.
"""
from __future__ import annotations

import copy
import traceback
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from course_utils.diagnosis import diagnose

# Captured before learner code runs: reassigning np.allclose & co. in a notebook
# changes the module attribute, not these references.
_asarray, _array_equal = np.asarray, np.array_equal
_abs, _subtract, _multiply, _add = np.absolute, np.subtract, np.multiply, np.add
_greater, _isnan, _isfinite, _argmax, _unravel = np.greater, np.isnan, np.isfinite, np.argmax, np.unravel_index
_ndarray, _generic, _number_types = np.ndarray, np.generic, (int, float, np.integer, np.floating, np.bool_, bool)
_isinstance, _type, _len, _print, _str, _repr = isinstance, type, len, print, str, repr

PACKAGE_DIR = str(Path(__file__).resolve().parent)
DEFAULT_RTOL, DEFAULT_ATOL = 1e-5, 1e-8
PASS_MARK, FAIL_MARK = "PASSED", "NOT YET"


class CheckFailed(AssertionError):
    """Raised by a failed check; an AssertionError, so nbgrader counts it as a failed test.

    IPython shows an exception through its ``_render_traceback_`` when it has one: a
    failed check appears as its message alone, once, with no traceback of course code.
    It is still an ``error`` output of the cell, so nbgrader scores the cell 0.
    """

    def _render_traceback_(self) -> list[str]:
        return str(self).split("\n")


def fail(message: str):
    """Raise :class:`CheckFailed` with ``message`` (shown once: IPython renders the message
    instead of a traceback, and nothing is printed besides)."""
    __tracebackhide__ = True
    raise CheckFailed(message) from None  # the learner needs our sentence, not a chained traceback


def passed(message: str) -> None:
    _print(f"{PASS_MARK}: {message}", flush=True)


def signature(name: str, args: Sequence[Any], arg_names: Sequence[str] | None) -> str:
    if arg_names:
        return f"{name}({', '.join(arg_names)})"
    return f"{name}(...)" if args else f"{name}()"


# ---- calling the learner's code ----------------------------------------------------

def _learner_line(error: BaseException) -> str:
    """The last traceback line that is not in this package or a library: the learner's."""
    remote = getattr(error, "learner_line", None)  # the learner's code ran in the grading sandbox
    if _isinstance(remote, _str):
        return remote
    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if not f.filename.startswith(PACKAGE_DIR) and "site-packages" not in f.filename]
    if not frames:
        return ""
    frame = frames[-1]
    return f"\n  in your code, line {frame.lineno}: {(frame.line or '').strip()}"


def _shapes_of(args, arg_names) -> str:
    """``"scores (3, 3), labels (3,)"`` for the array arguments, to set beside an error."""
    parts = []
    for i, arg in enumerate(args):
        if _isinstance(arg, _ndarray):
            parts.append(f"{arg_names[i] if arg_names and i < _len(arg_names) else f'argument {i + 1}'} {arg.shape}")
    return ", ".join(parts)


def _dict_keys_of(args) -> list[list[str]]:
    return [[_str(k) for k in a] for a in args if _isinstance(a, Mapping)]


def error_hint(error: BaseException, args, arg_names, hints: Mapping[str, str] | None = None) -> str:
    """The likely cause of an exception raised by the learner's code, in words (or "")."""
    kind = _type(error).__name__
    text = _str(error)
    hints = hints or {}
    if kind in hints:
        return hints[kind]
    if kind == "ValueError" and "truth value of an array" in text:
        return hints.get("truth_value") or (
            "an `if`, `max(...)` or `and`/`or` met a whole array where it needs one number: a Python loop "
            "over a 2-D array visits whole rows, not numbers. Write it with elementwise NumPy operations "
            "(for example (z > 0), np.maximum, np.where), which work for every shape")
    if kind == "KeyError" and error.args:
        key = error.args[0]
        if _isinstance(key, _str) and _len(key) >= 2 and key[0] == key[-1] and key[0] in "'\"":
            key = key[1:-1]  # a KeyError rebuilt from the sandbox's words carries the key's repr
        for keys in _dict_keys_of(args):
            if _str(key) not in keys:
                if _isinstance(key, _str) and key.startswith("d") and key[1:] in keys:
                    return (f"the dict has no key {key!r}: its keys are {keys}. Gradients are stored under "
                            f"the name of their parameter (grads['{key[1:]}'] holds dL/d{key[1:]})")
                return f"the dict has no key {key!r}: its keys are {keys}"
    if kind == "AxisError":
        shapes = _shapes_of(args, arg_names)
        return (f"your code uses an axis that one of the arrays does not have"
                f"{f' (the arrays have shapes {shapes})' if shapes else ''}: check which array has how many axes")
    if kind == "TypeError" and "NoneType" in text:
        return ("something your code uses is None where a number or an array is needed: a function without "
                "`return` (or a method that works in place, like list.append or ndarray.sort) gives None")
    return ""


def _fresh(args, keep):
    """Deep copies of the arguments, except those at the indices in ``keep`` (the learner's own
    objects, such as caches from their own forward pass, passed on as they are)."""
    return tuple(a if i in keep else copy.deepcopy(a) for i, a in enumerate(args))


def call_learner(fn: Callable, *args, name: str | None = None, arg_names=None, keep: Sequence[int] = (),
                 error_hints: Mapping[str, str] | None = None):
    """Call ``fn(*copies of args)``; turn any exception into a plain-language failure.

    Arguments at the indices in ``keep`` are passed as they are (not copied): use it for
    objects the learner's own code made, whose parts may refer to one another.
    ``error_hints`` maps an exception's class name to the sentence that names the slip.
    """
    __tracebackhide__ = True
    label = signature(name or getattr(fn, "__name__", "your function"), args, arg_names)
    if not callable(fn):
        fail(f"{FAIL_MARK}: {label}: expected a function, but the name refers to a {_type(fn).__name__}.")
    try:
        fresh = _fresh(args, keep)
    except Exception as error:  # an argument that cannot be copied came from the learner's code
        fail(f"{FAIL_MARK}: {label}: the check gives your function copies of its inputs, so that your "
             f"code cannot change the check's data, and one input cannot be copied "
             f"({_type(error).__name__}: {error}).")
    try:
        result = fn(*fresh)
    except NotImplementedError:
        fail(f"{FAIL_MARK}: {label} is not written yet: replace `raise NotImplementedError()` "
             f"with your code, then run its cell again.")
    except RecursionError as error:
        fail(f"{FAIL_MARK}: {label} called itself without end (RecursionError).{_learner_line(error)}")
    except SystemExit:
        fail(f"{FAIL_MARK}: {label} called sys.exit(): a graded function must return its result, "
             f"not end the program.")
    except Exception as error:  # the learner's bug, reported in words, never re-raised raw
        said = getattr(error, "course_message", None)  # set by the grading sandbox (timeout, crash)
        if _isinstance(said, _str):
            fail(f"{FAIL_MARK}: {label} {said}{_learner_line(error)}")
        likely = error_hint(error, args, arg_names, error_hints)
        kind = _type(error).__name__
        detail = f"{kind}: {error}" if not likely else f"{kind} ({error})"
        fail(f"{FAIL_MARK}: {label} raised {detail}{_learner_line(error)}"
             + (f"\n  Likely cause: {likely}." if likely else ""))
    if result is None:
        fail(f"{FAIL_MARK}: {label} returned None: {none_reason(fn)}")
    return result


def none_reason(fn) -> str:
    """Why a function gave None, from its own source when it can be read."""
    import ast
    import inspect
    import textwrap

    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        return ("add `return ...` with the result at the end of the function, "
                "or check what your `return` line gives back.")
    function = next((n for n in ast.walk(tree) if _isinstance(n, (ast.FunctionDef, ast.Lambda))), tree)
    returns = [n for n in ast.walk(function) if _isinstance(n, ast.Return) and n.value is not None
               and not (_isinstance(n.value, ast.Constant) and n.value.value is None)]
    if _isinstance(function, ast.Lambda) or returns:
        return ("your `return` line gives None: a function without `return`, or a method that works in "
                "place (list.append, ndarray.sort, dict.update), gives None. Return the result itself.")
    return ("the function has no `return ...` statement, so Python gives None. "
            "End it with `return` and the result.")


# ---- comparing one value -----------------------------------------------------------

def _describe(value) -> str:
    if value is None:
        return "None"
    if _isinstance(value, _ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    name = _type(value).__name__
    if name in ("dict", "set", "str", "tuple", "list", "function", "module", "bytes", "complex"):
        return f"a {name}"
    return f"an object of type {name}"


def shape_hint(shape: tuple, wanted: tuple) -> str:
    """A sentence (with a leading space) naming the usual cause of a wrong shape, or ""."""
    shape, wanted = tuple(shape), tuple(wanted)
    if shape == wanted[::-1] and _len(wanted) == 2:
        return " The shape is the transpose of the expected one: check the order in your matrix product."
    if shape == (1,) + wanted:
        return (f" An extra axis of length 1 in front: shape {shape} where {wanted} is expected. "
                f"A sum or mean with keepdims=True keeps the summed axis; leave keepdims out here "
                f"(or take result[0]).")
    if shape == wanted + (1,):
        return (f" An extra axis of length 1 at the end: shape {shape} where {wanted} is expected "
                f"(keepdims=True, or a column (N, 1) where a flat (N,) array is wanted): drop it with .ravel() "
                f"or leave keepdims out.")
    if wanted and (1,) + shape == wanted or shape + (1,) == wanted:
        return f" One axis of length 1 is missing: shape {shape} where {wanted} is expected (use keepdims=True or reshape)."
    if _len(wanted) == 1 and shape == (wanted[0], wanted[0]) and wanted[0] > 1:
        return (f" {wanted[0]} x {wanted[0]}: an (N,) array combined with an (N, 1) array broadcasts to (N, N); "
                f"give both the same shape.")
    if _len(shape) == _len(wanted) + 1 and shape[1:] == wanted:
        return " One extra leading axis: sum over the batch (axis=0)."
    if shape == () and _len(wanted) == 1:
        return (" One number where one value per column is expected: a sum or mean with no axis adds up "
                "every entry; sum over the batch only, axis=0.")
    if _len(shape) == _len(wanted) == 1:
        return (" A 1-D result of the wrong length: if it is a sum or a mean, check its axis "
                "(axis=0 goes over the examples, the rows).")
    if int(np.prod(shape)) == int(np.prod(wanted)):
        return " Same number of entries, different layout: check for a reshape."
    return ""


def as_number_array(value, what: str, expected: np.ndarray) -> tuple[np.ndarray | None, str | None]:
    """Convert ``value`` to a float64 array, or explain in words why it cannot be used.

    Returns ``(array, None)`` or ``(None, explanation)``.
    """
    if value is None:
        return None, f"{what} is None: return the value your code computed for it."
    if _isinstance(value, (list, tuple)):
        return None, (f"{what} is a {_type(value).__name__}, but a NumPy array is needed: compute with "
                      f"NumPy operations on the whole array (a loop or list comprehension gives a list, and "
                      f"on a 2-D array it visits rows, not numbers), or wrap the result in np.asarray(...).")
    scalar_expected = expected.ndim == 0
    if _isinstance(value, _number_types):
        array = _asarray(value, dtype=np.float64)
    elif _isinstance(value, (_ndarray, _generic)):
        raw = _asarray(value)
        if raw.dtype.kind not in "biuf":
            return None, (f"{what} has dtype {raw.dtype}, but numbers are needed "
                          f"(int or float, not {'complex' if raw.dtype.kind == 'c' else 'objects or text'}).")
        array = raw.astype(np.float64)
    else:
        # Anything else (including an object whose == is always true) is refused
        # before any comparison runs.
        return None, (f"{what} is {_describe(value)}, not a number or a NumPy array. "
                      f"Return {'a number' if scalar_expected else 'a NumPy array'}.")
    if array.shape != expected.shape:
        if scalar_expected:
            return None, (f"{what} has shape {array.shape}, but a single number is expected: reduce over "
                          f"every element (np.mean(...) or np.sum(...) with no axis=; an axis= argument or "
                          f"a loop over rows leaves one value per row or column).")
        return None, f"{what} has shape {array.shape}, expected shape {expected.shape}.{shape_hint(array.shape, expected.shape)}"
    bad = ~_isfinite(array)
    if bad.any():
        index = tuple(int(i) for i in _unravel(int(_argmax(bad)), array.shape)) if array.ndim else ()
        kind = "NaN" if _isnan(array).any() else "infinity"
        return None, (f"{what} contains {kind} (first at index {list(index)}): usually a division by "
                      f"zero, a log of 0, or values that grew without bound.")
    return array, None


def compare_parts(actual, expected, what: str, *, rtol=DEFAULT_RTOL, atol=DEFAULT_ATOL,
                  batch_size=None, candidates=None, hints=None, cause=None) -> tuple[list[str], str | None]:
    """``([], None)`` when ``actual`` matches ``expected``; else the lines saying what is wrong
    and the likely cause (a sentence, or ``None``)."""
    expected = _asarray(expected, dtype=np.float64)
    array, problem = as_number_array(actual, what, expected)
    if problem:
        return [problem], None
    difference = _abs(_subtract(array, expected))
    tolerance = _add(atol, _multiply(rtol, _abs(expected)))
    wrong = _greater(difference, tolerance)
    if not wrong.any():
        return [], None
    ratio = difference / tolerance
    flat = int(_argmax(ratio))
    if expected.ndim:
        index = [int(i) for i in _unravel(flat, expected.shape)]
        where = f"worst entry at index {index}: expected {expected.flat[flat]:.6g}, got {array.flat[flat]:.6g}"
        count = f" ({int(wrong.sum())} of {wrong.size} entries wrong)"
        lines = [f"{what}: shape {expected.shape} is right, values are not.", f"  {where}{count}"]
    else:
        lines = [f"{what}: expected {float(expected):.6g}, got {float(array):.6g}."]
    likely = diagnose(array, expected, batch_size=batch_size, candidates=candidates, hints=hints,
                      rtol=max(rtol, 1e-6), atol=atol)
    return lines, likely or cause


def compare(actual, expected, what: str, **options) -> str | None:
    """Return ``None`` when ``actual`` matches ``expected``, else a message in words."""
    lines, likely = compare_parts(actual, expected, what, **options)
    if not lines:
        return None
    return "\n".join(lines + ([f"  Likely cause: {likely}."] if likely else []))


def join_problems(problems: Sequence[tuple[list[str], str | None]], total: int, label: str = "") -> str:
    """One message for one or several wrong outputs (of the function ``label``); a cause
    shared by several is said once."""
    if _len(problems) == 1:
        lines, likely = problems[0]
        return "\n".join(lines + ([f"  Likely cause: {likely}."] if likely else []))
    causes = [c for _, c in problems if c]
    distinct = list(dict.fromkeys(causes))
    named = f"{label}: " if label else ""
    head = (f"{named}more than one thing is off: {_len(problems)} of {total} outputs are not right yet."
            if _len(distinct) > 1 else f"{named}{_len(problems)} of {total} outputs are not right yet.")
    out, said = [head], set()
    for lines, likely in problems:
        out += lines
        if likely and likely not in said:
            out.append(f"  Likely cause: {likely}.")
            said.add(likely)
        elif likely:
            out.append("  Likely cause: the same as above.")
    return "\n".join(out)


# ---- the check learners and graders call --------------------------------------------

def missing_keys_message(label: str, missing, expected_keys, result) -> str:
    have = sorted(map(_str, result))
    if all(f"d{k}" in have for k in missing):
        return (f"{label} returned a dict keyed {[f'd{k}' for k in missing]}, but the gradients are keyed "
                f"by the name of their parameter: {list(expected_keys)} (grads['{missing[0]}'] holds "
                f"dL/d{missing[0]}, shaped like {missing[0]}).")
    return (f"{label} returned a dict without the key(s) {list(missing)} (it has {have}); "
            f"the keys expected are {list(expected_keys)}.")


def none_parts_message(label: str, result, names: Sequence[str]) -> str | None:
    """When some (not all) returned values are None: say which, never "no return statement"."""
    if _isinstance(result, Mapping):
        empty = [k for k in names if k in result and result[k] is None]
        shown = "a dict"
        which = ", ".join(f"['{k}']" for k in empty)
    else:
        empty = [n for n, r in zip(names, result) if r is None]
        shown = "(" + ", ".join("None" if r is None else "an array" if _isinstance(r, _ndarray)
                                else _type(r).__name__ for r in result) + ")"
        which = ", ".join(empty)
    if not empty:
        return None
    verb = "is" if _len(empty) == 1 else "are"
    return (f"{label} returned {shown} in which {which} {verb} None: your code has a `return`, but it "
            f"hands back None in {'that place' if _len(empty) == 1 else 'those places'}. Return the "
            f"value{'s' if _len(empty) > 1 else ''} you computed (check the names in your `return` line, "
            f"and that each variable holds the result, not what an in-place method returned).")


def _split_outputs(result, expected, outputs: Sequence[str] | None, label: str):
    """Pair each returned value with its expected value; explain structural mismatches."""
    if _isinstance(expected, Mapping):
        if not _isinstance(result, Mapping):
            return None, f"{label} returned {_describe(result)}, but a dict with keys {list(expected)} is expected."
        missing = [k for k in expected if k not in result]
        if missing:
            return None, missing_keys_message(label, missing, list(expected), result)
        none = none_parts_message(label, result, list(expected))
        if none:
            return None, none
        return [(f"{label}['{k}']", k, result[k], expected[k]) for k in expected], None
    if _isinstance(expected, tuple):
        names = outputs or [f"output {i}" for i in range(_len(expected))]
        if not _isinstance(result, (tuple, list)):
            return None, (f"{label} returned {_describe(result)}, but {_len(expected)} values are expected: "
                          f"return {', '.join(names)} (a tuple).")
        if _len(result) != _len(expected):
            return None, f"{label} returned {_len(result)} values, but {_len(expected)} are expected: {', '.join(names)}."
        none = none_parts_message(label, result, names)
        if none:
            return None, none
        return [(f"{label} -> {n}", n, r, e) for n, r, e in zip(names, result, expected)], None
    return [(f"{label} (the returned value)", None, result, expected)], None


def check(fn: Callable, args: Sequence[Any], expected, *, name: str | None = None,
          arg_names: Sequence[str] | None = None, outputs: Sequence[str] | None = None,
          rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL, batch_size: int | None = None,
          candidates: Mapping | None = None, hints: Mapping[str, str] | None = None,
          cause: str | None = None, quiet: bool = False, precheck: Callable | None = None,
          error_hints: Mapping[str, str] | None = None):
    """Run ``fn(*args)`` and compare its result with ``expected``.

    Parameters
    ----------
    fn : callable
        The learner's function.
    args : sequence
        Its arguments; the function receives deep copies.
    expected : number, array, tuple of arrays, or dict of arrays
        The reference result. A tuple means the function returns several values
        (named by ``outputs``); a dict means it returns a dict with these keys.
    arg_names : names shown in messages, e.g. ``("y_hat", "y")``.
    batch_size : N, used to recognise a missing or extra 1/N.
    candidates : slip key -> the answer with that slip (see :mod:`course_utils.diagnosis`);
        for a tuple or dict result, output name -> {slip key -> array}.
    hints : slip key -> a sentence that names the slip in this exercise's words.
    cause : the most likely cause when no known slip matches.
    precheck : ``precheck(what, value, reference)`` -> ``(lines, cause)`` naming a slip before the
        values are compared (a telltale shape), or ``None``.

    Returns
    -------
    None, on purpose: nbgrader reads a number left as a graded cell's value as a
    partial score, so a check on the last line of a test cell must leave no value.
    A wrong result raises :class:`CheckFailed` (an ``AssertionError``) with the message.
    """
    __tracebackhide__ = True
    fname = name or getattr(fn, "__name__", "your function")
    label = signature(fname, args, arg_names)
    result = call_learner(fn, *args, name=fname, arg_names=arg_names, error_hints=error_hints)
    pairs, problem = _split_outputs(result, expected, outputs, label)
    if problem:
        fail(f"{FAIL_MARK}: {problem}")
    multi = _len(pairs) > 1 or _isinstance(expected, Mapping)
    problems = []
    for what, key, value, reference in pairs:
        named = precheck(what, value, reference) if precheck else None
        if named:
            problems.append(named)
            continue
        slips = (candidates or {}).get(key) if multi else candidates
        lines, likely = compare_parts(value, reference, what, rtol=rtol, atol=atol, batch_size=batch_size,
                                      candidates=slips, hints=hints, cause=cause)
        if lines:
            problems.append((lines, likely))
    if problems:
        fail(f"{FAIL_MARK}: {join_problems(problems, _len(pairs), label)}")
    if not quiet:
        passed(f"{label} gives the expected result.")


def check_value(value, expected, what: str, **options) -> None:
    """Compare a value the learner computed (not a function) with ``expected``."""
    __tracebackhide__ = True
    problem = compare(value, expected, what, **options)
    if problem:
        fail(f"{FAIL_MARK}: {problem}")
    passed(f"{what} is right.")
