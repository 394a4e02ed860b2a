"""The wire between the grader and a learner's sandbox: framing, output capture, limits.

Each message is an 8-byte big-endian length, then the payload. Grader -> sandbox payloads
are pickles (the grader is trusted); sandbox -> grader payloads are JSON, read as claims.
"""
from __future__ import annotations

import io
import json
import os
import re
import struct

OUTPUT_LIMIT = int(os.environ.get("COURSE_OUTPUT_LIMIT", "20000"))  # characters kept per cell


# ---- framing ------------------------------------------------------------------------

def write_frame(stream, payload: bytes) -> None:
    stream.write(struct.pack(">Q", len(payload)))
    stream.write(payload)
    stream.flush()


def read_frame(stream) -> bytes:
    header = stream.read(8)
    if len(header) < 8:
        raise EOFError("the other side closed the channel")
    (size,) = struct.unpack(">Q", header)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("the other side closed the channel")
    return data


class Capture(io.TextIOBase):
    """A stdout/stderr replacement that keeps the first OUTPUT_LIMIT characters."""

    def __init__(self):
        self.parts, self.kept, self.dropped = [], 0, 0

    def writable(self):
        return True

    def write(self, text):
        text = str(text)
        room = OUTPUT_LIMIT - self.kept
        if room > 0:
            self.parts.append(text[:room])
            self.kept += min(len(text), room)
        self.dropped += max(0, len(text) - max(room, 0))
        return len(text)

    def take(self) -> str:
        text = "".join(self.parts)
        if self.dropped:
            text += f"\n... output trimmed: {self.dropped} more characters were printed and are not shown ...\n"
        self.parts, self.kept, self.dropped = [], 0, 0
        return text




# ---- what the grader accepts from the sandbox -----------------------------------------
# The sandbox runs the learner's code, which can write to the channel itself: every reply
# is checked here, and anything the grader did not ask for, or that is not plain data of
# the expected shape and size, is a ProtocolError (the grader treats it as a dead sandbox).

MAX_FRAME = 256 << 20   # bytes in one reply (an MNIST-sized float64 array, base64, fits)
MAX_DEPTH = 32          # nesting of lists, tuples and dicts in one value
MAX_ITEMS = 1_000_000   # list, tuple and dict entries in one value, all levels together
MAX_TEXT = 1 << 20      # characters of printed output or an error message in one reply


class ProtocolError(ValueError):
    """The sandbox sent something the grader did not ask for, or not in the agreed form."""


def read_reply(stream, deadline_wait) -> dict:
    """One JSON object from ``stream``, at most MAX_FRAME bytes.

    ``deadline_wait(seconds_wanted)`` blocks until the stream is readable or raises (the
    caller's timeout), so a sandbox that sends half a frame and stops cannot stall the grader.
    """
    header = _read_exactly(stream, 8, deadline_wait)
    (size,) = struct.unpack(">Q", header)
    if size > MAX_FRAME:
        raise ProtocolError(f"a reply of {size} bytes (the limit is {MAX_FRAME})")
    data = _read_exactly(stream, size, deadline_wait)
    try:
        message = json.loads(data)
    except (ValueError, RecursionError) as error:
        raise ProtocolError(f"a reply that is not JSON ({type(error).__name__})") from None
    if not isinstance(message, dict):
        raise ProtocolError("a reply that is not a JSON object")
    return message


def _read_exactly(stream, size: int, deadline_wait) -> bytes:
    fd = stream.fileno()
    parts, missing = [], size
    while missing:
        deadline_wait()
        chunk = os.read(fd, min(missing, 1 << 20))
        if not chunk:
            raise EOFError("the sandbox closed the channel")
        parts.append(chunk)
        missing -= len(chunk)
    return b"".join(parts)


def text(message: dict, key: str) -> str:
    value = message.get(key, "")
    if not isinstance(value, str):
        raise ProtocolError(f"{key!r} is not text")
    return value[:MAX_TEXT]


def expect_reply(message: dict, request_id: int) -> dict:
    """``message`` if it is the reply to request ``request_id`` with a known status."""
    if message.get("op") != "reply" or message.get("id") != request_id:
        raise ProtocolError("a reply to a request the grader did not make")
    if message.get("status") not in ("ok", "error"):
        raise ProtocolError("a reply without a known status")
    for key in ("stdout", "stderr", "ename", "evalue", "learner_line"):
        text(message, key)
    return message


def decode(data, make_function, make_object, depth: int = 0, budget: list | None = None):
    """A value the sandbox encoded (see ``Sandbox.encode``), as plain data or a proxy.

    Only None, bool, int, float, str, NumPy arrays of numbers/strings/dates (loaded with
    ``allow_pickle=False``), and tuples, lists and dicts of them are accepted;
    ``{"handle": ...}`` becomes ``make_function(key, type_name)`` or ``make_object(key, type_name)``.
    """
    import base64

    import numpy as np

    budget = [MAX_ITEMS] if budget is None else budget
    budget[0] -= 1
    if depth > MAX_DEPTH or budget[0] < 0:
        raise ProtocolError("a value nested too deeply or with too many items")
    if not isinstance(data, dict) or len(data) > 4:
        raise ProtocolError("a value in an unknown form")
    if "py" in data:
        value = data["py"]
        if value is not None and type(value) not in (bool, int, float, str):
            raise ProtocolError("a value in an unknown form")
        return value
    if "npy" in data:
        if not isinstance(data["npy"], str):
            raise ProtocolError("an array in an unknown form")
        try:
            array = np.load(io.BytesIO(base64.b64decode(data["npy"], validate=True)), allow_pickle=False)
        except Exception:
            raise ProtocolError("an array that NumPy cannot read without pickle") from None
        if not isinstance(array, np.ndarray) or array.dtype.kind not in "biufcUSmM":
            raise ProtocolError("an array of a kind the grader does not accept")
        return array[()] if data.get("scalar") is True else array
    if "seq" in data:
        items = data.get("items")
        if data["seq"] not in ("tuple", "list") or not isinstance(items, list):
            raise ProtocolError("a sequence in an unknown form")
        values = [decode(item, make_function, make_object, depth + 1, budget) for item in items]
        return tuple(values) if data["seq"] == "tuple" else values
    if "dict" in data:
        pairs = data["dict"]
        if not isinstance(pairs, list):
            raise ProtocolError("a dict in an unknown form")
        result = {}
        for pair in pairs:
            if not isinstance(pair, list) or len(pair) != 2 or type(pair[0]) not in (str, int):
                raise ProtocolError("a dict in an unknown form")
            result[pair[0]] = decode(pair[1], make_function, make_object, depth + 1, budget)
        return result
    if "handle" in data:
        key = data["handle"]
        if type(key) is not int:
            raise ProtocolError("a handle in an unknown form")
        type_name = re.sub(r"\W", "_", str(data.get("type", "object")))[:80] or "object"
        return (make_function if data.get("callable") is True else make_object)(key, type_name)
    raise ProtocolError("a value in an unknown form")
