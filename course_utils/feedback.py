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


def call_learner(fn: Callable, *args, name: str | None = None, arg_names=None):
    """Call ``fn(*copies of args)``; turn any exception into a plain-language failure."""
    __tracebackhide__ = True
    label = signature(name or getattr(fn, "__name__", "your function"), args, arg_names)
    if not callable(fn):
        fail(f"{FAIL_MARK}: {label}: expected a function, but the name refers to a {_type(fn).__name__}.")
    try:
        return fn(*copy.deepcopy(args))
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
        fail(f"{FAIL_MARK}: {label} raised {_type(error).__name__}: {error}{_learner_line(error)}")


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


def as_number_array(value, what: str, expected: np.ndarray) -> tuple[np.ndarray | None, str | None]:
    """Convert ``value`` to a float64 array, or explain in words why it cannot be used.

    Returns ``(array, None)`` or ``(None, explanation)``.
    """
    if value is None:
        return None, (f"{what} is None: the function has no `return` statement "
                      f"(or returns nothing on this path). Add `return ...` with the result.")
    if _isinstance(value, (list, tuple)):
        return None, (f"{what} is a {_type(value).__name__}, but a NumPy array is needed: "
                      f"compute with NumPy operations, or wrap the result in np.asarray(...).")
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
            return None, (f"{what} has shape {array.shape}, but a single number is expected: "
                          f"did you forget to take the mean (or to reduce over all elements)?")
        hint = ""
        if array.shape == expected.shape[::-1]:
            hint = " The shape is the transpose of the expected one: check the order in your matrix product."
        elif array.size == expected.size:
            hint = " Same number of entries, different layout: check for a reshape or a (N, 1) vs (N,) mix-up."
        elif array.ndim == expected.ndim + 1 and array.shape[1:] == expected.shape:
            hint = " One extra leading axis: sum over the batch (axis=0)."
        return None, f"{what} has shape {array.shape}, expected shape {expected.shape}.{hint}"
    bad = ~_isfinite(array)
    if bad.any():
        index = tuple(int(i) for i in _unravel(int(_argmax(bad)), array.shape)) if array.ndim else ()
        kind = "NaN" if _isnan(array).any() else "infinity"
        return None, (f"{what} contains {kind} (first at index {list(index)}): usually a division by "
                      f"zero, a log of 0, or values that grew without bound.")
    return array, None


def compare(actual, expected, what: str, *, rtol=DEFAULT_RTOL, atol=DEFAULT_ATOL,
            batch_size=None, candidates=None, hints=None, cause=None) -> str | None:
    """Return ``None`` when ``actual`` matches ``expected``, else a message in words."""
    expected = _asarray(expected, dtype=np.float64)
    array, problem = as_number_array(actual, what, expected)
    if problem:
        return problem
    difference = _abs(_subtract(array, expected))
    tolerance = _add(atol, _multiply(rtol, _abs(expected)))
    wrong = _greater(difference, tolerance)
    if not wrong.any():
        return None
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
    if likely or cause:
        lines.append(f"  Likely cause: {likely or cause}.")
    return "\n".join(lines)


# ---- the check learners and graders call --------------------------------------------

def _split_outputs(result, expected, outputs: Sequence[str] | None, label: str):
    """Pair each returned value with its expected value; explain structural mismatches."""
    if _isinstance(expected, Mapping):
        if not _isinstance(result, Mapping):
            return None, f"{label} returned {_describe(result)}, but a dict with keys {sorted(expected)} is expected."
        missing = [k for k in expected if k not in result]
        if missing:
            return None, f"{label} returned a dict without the key(s) {missing} (it has {sorted(map(_str, result))})."
        return [(f"{label}['{k}']", k, result[k], expected[k]) for k in expected], None
    if _isinstance(expected, tuple):
        names = outputs or [f"output {i}" for i in range(_len(expected))]
        if not _isinstance(result, (tuple, list)):
            return None, (f"{label} returned {_describe(result)}, but {_len(expected)} values are expected: "
                          f"return {', '.join(names)} (a tuple).")
        if _len(result) != _len(expected):
            return None, f"{label} returned {_len(result)} values, but {_len(expected)} are expected: {', '.join(names)}."
        return [(f"{label} -> {n}", n, r, e) for n, r, e in zip(names, result, expected)], None
    return [(f"{label} (the returned value)", None, result, expected)], None


def check(fn: Callable, args: Sequence[Any], expected, *, name: str | None = None,
          arg_names: Sequence[str] | None = None, outputs: Sequence[str] | None = None,
          rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL, batch_size: int | None = None,
          candidates: Mapping | None = None, hints: Mapping[str, str] | None = None,
          cause: str | None = None, quiet: bool = False):
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

    Returns
    -------
    None, on purpose: nbgrader reads a number left as a graded cell's value as a
    partial score, so a check on the last line of a test cell must leave no value.
    A wrong result raises :class:`CheckFailed` (an ``AssertionError``) with the message.
    """
    __tracebackhide__ = True
    fname = name or getattr(fn, "__name__", "your function")
    label = signature(fname, args, arg_names)
    result = call_learner(fn, *args, name=fname, arg_names=arg_names)
    pairs, problem = _split_outputs(result, expected, outputs, label)
    if problem:
        fail(f"{FAIL_MARK}: {problem}")
    multi = _len(pairs) > 1 or _isinstance(expected, Mapping)
    for what, key, value, reference in pairs:
        slips = (candidates or {}).get(key) if multi else candidates
        problem = compare(value, reference, what, rtol=rtol, atol=atol, batch_size=batch_size,
                          candidates=slips, hints=hints, cause=cause)
        if problem:
            fail(f"{FAIL_MARK}: {problem}")
    if not quiet:
        passed(f"{label} gives the expected result.")


def check_value(value, expected, what: str, **options) -> None:
    """Compare a value the learner computed (not a function) with ``expected``."""
    __tracebackhide__ = True
    problem = compare(value, expected, what, **options)
    if problem:
        fail(f"{FAIL_MARK}: {problem}")
    passed(f"{what} is right.")
