"""Name slips that show up before any value can be compared.

Contract: :func:`check_named` runs the learner's function once and then behaves like
:func:`course_utils.feedback.check`, with two additions:

- when the learner's code raises (typically a matrix product whose shapes do not line
  up), an optional *probe* re-runs it on a case where every matrix is square, where the
  same slip gives numbers instead of an error, and names the slip from those numbers;
- when an output has a telltale wrong shape (a non-square gradient transposed, one row
  per example left unsummed, a vector where one number was due), the message names
  that slip instead of only reporting the shapes.
"""
from __future__ import annotations

import contextlib
import copy
import io
import itertools
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from course_utils.diagnosis import diagnose_key, shape_slip, slip_sentence
from course_utils.feedback import FAIL_MARK, CheckFailed, call_learner, check, fail, join_problems, signature

_print, _isinstance, _len = print, isinstance, len
_ndarray, _generic = np.ndarray, np.generic
_asarray, _allclose = np.asarray, np.allclose  # captured before learner code runs
_numbers = (int, float, np.integer, np.floating, np.bool_, bool)


def _quietly(function: Callable, *args):
    """Call ``function(*args)`` with its printing captured; return (result, printed, failure)."""
    buffer = io.StringIO()
    try:
        with contextlib.redirect_stdout(buffer):
            return function(*args), buffer.getvalue(), None
    except CheckFailed as failure:
        return None, buffer.getvalue(), failure


def run_learner(fn: Callable, args: Sequence[Any], *, name: str, arg_names=None,
                probe: Callable[[Callable], str | None] | None = None, hints=None, error_hints=None):
    """Call the learner's ``fn`` like :func:`course_utils.feedback.call_learner`; if it raises,
    ask ``probe(fn)`` for the slip key and add its sentence to the message."""
    __tracebackhide__ = True
    result, printed, failure = _quietly(lambda: call_learner(fn, *args, name=name, arg_names=arg_names,
                                                             error_hints=error_hints))
    message = "" if failure is None else str(failure)
    _print(printed, end="")  # what the learner's own code printed
    if failure is None:
        return result
    if probe is not None and "is not written yet" not in message and "Likely cause:" not in message:
        try:
            key = probe(fn)
        except Exception:  # the probe must never hide the learner's own error
            key = None
        if key:
            message += f"\n  Likely cause: {slip_sentence(key, hints)}."
    fail(message)


def _pairs(result, expected, outputs, label):
    if _isinstance(expected, Mapping) and _isinstance(result, Mapping):
        return [(f"{label}['{k}']", k, result[k], expected[k]) for k in expected if k in result]
    if _isinstance(expected, tuple) and _isinstance(result, (tuple, list)) and _len(result) == _len(expected):
        names = outputs or [f"output {i}" for i in range(_len(expected))]
        return [(f"{label} -> {n}", n, r, e) for n, r, e in zip(names, result, expected)]
    if not _isinstance(expected, (Mapping, tuple)):
        return [(f"{label} (the returned value)", None, result, expected)]
    return []


DEFAULT_SHAPE_SLIPS = ("transposed", "not_summed_over_batch", "keepdims")


def shape_slip_problem(value, reference, what: str, hints=None, allowed: Sequence[str] = DEFAULT_SHAPE_SLIPS):
    """``(lines, cause)`` when ``value``'s shape alone gives a slip in ``allowed`` away, else ``None``
    (see :func:`course_utils.diagnosis.shape_slip`)."""
    if not _isinstance(value, (_ndarray, _generic) + _numbers) or _isinstance(value, bool):
        return None
    shape, wanted = np.shape(value), np.shape(reference)
    key = shape_slip(shape, wanted)
    if key not in allowed:
        return None
    wanted_text = "one number (shape ())" if wanted == () else f"shape {wanted}"
    return [f"{what} has shape {shape}, expected {wanted_text}."], slip_sentence(key, hints)


def name_shape_slips(result, expected, *, label: str, outputs=None, hints=None,
                     allowed: Sequence[str] = DEFAULT_SHAPE_SLIPS) -> None:
    """Fail with a named slip when an output's shape alone gives the slip away
    (only the slips in ``allowed``, see :func:`course_utils.diagnosis.shape_slip`)."""
    __tracebackhide__ = True
    pairs = _pairs(result, expected, outputs, label)
    problems = [p for p in (shape_slip_problem(v, r, what, hints, allowed) for what, _k, v, r in pairs) if p]
    if problems:
        fail(f"{FAIL_MARK}: {join_problems(problems, _len(pairs), label)}")


def check_named(fn: Callable, args: Sequence[Any], expected, *, name: str, arg_names=None,
                outputs=None, candidates=None, hints=None, probe=None, batch_size=None,
                cause=None, rtol=1e-5, atol=1e-8, quiet=False, shape_slips=DEFAULT_SHAPE_SLIPS, error_hints=None):
    """:func:`course_utils.feedback.check`, with slips named from errors and shapes first."""
    __tracebackhide__ = True
    result = run_learner(fn, args, name=name, arg_names=arg_names, probe=probe, hints=hints,
                         error_hints=error_hints)
    return check(lambda *_: result, args, expected, name=name, arg_names=arg_names, outputs=outputs,
                 candidates=candidates, hints=hints, batch_size=batch_size, cause=cause,
                 rtol=rtol, atol=atol, quiet=quiet,
                 precheck=lambda what, value, reference: shape_slip_problem(value, reference, what, hints, shape_slips))


def probe_outputs(fn: Callable, args: Sequence[Any], expected, candidates, outputs=None,
                  rtol=1e-5, atol=1e-8) -> str | None:
    """Run ``fn`` on a probe case and return the first slip key its outputs match.

    ``expected`` and ``candidates`` are for the probe case, laid out as for
    :func:`course_utils.feedback.check`. Square matrices make a transposed result the
    same shape as the right one, so transposes are tried too.
    """
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            result = fn(*copy.deepcopy(tuple(args)))
    except Exception:
        return None
    multi = _isinstance(expected, (Mapping, tuple))
    for _what, key, value, reference in _pairs(result, expected, outputs, "probe"):
        if not _isinstance(value, (_ndarray, _generic) + _numbers):
            continue
        slips = dict((candidates or {}).get(key, {}) if multi else (candidates or {}))
        reference = np.asarray(reference, dtype=np.float64)
        if reference.ndim == 2:
            slips.setdefault("transposed", reference.T)
        value = np.asarray(value, dtype=np.float64)
        if value.shape != reference.shape or not np.isfinite(value).all():
            continue
        slip = diagnose_key(value, reference, candidates=slips, rtol=rtol, atol=atol)
        if slip:
            return slip
    return None


def _same(value, reference, rtol, atol) -> bool:
    try:
        value = _asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return value.shape == np.shape(reference) and bool(_allclose(value, reference, rtol=rtol, atol=atol))


def name_swapped_order(result, expected: tuple, *, label: str, outputs: Sequence[str],
                       rule: str, rtol=1e-5, atol=1e-8) -> None:
    """Fail naming the order when ``result`` holds the right gradients in another order.

    ``expected`` is the tuple in the course's order (the order of the forward inputs,
    ``outputs`` names it); ``rule`` is the sentence that states that order. A result
    that is right in the course's order (or wrong in every order) passes through.
    """
    __tracebackhide__ = True
    if not (_isinstance(result, (tuple, list)) and _len(result) == _len(expected)):
        return
    if all(_same(r, e, rtol, atol) for r, e in zip(result, expected)):
        return
    for order in itertools.permutations(range(_len(expected))):
        if all(_same(result[i], expected[j], rtol, atol) for i, j in enumerate(order)):
            given = ", ".join(outputs[j] for j in order)
            fail(f"{FAIL_MARK}: {label} returned the right gradients in the order ({given}); "
                 f"{rule}: return ({', '.join(outputs)}).")
