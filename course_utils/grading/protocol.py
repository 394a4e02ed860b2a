"""The wire between the grader and a learner's sandbox: framing, output capture, limits.

Each message is an 8-byte big-endian length, then the payload. Grader -> sandbox payloads
are pickles (the grader is trusted); sandbox -> grader payloads are JSON, read as claims.
"""
from __future__ import annotations

import io
import os
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


