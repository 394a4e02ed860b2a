"""The grader believes nothing from the sandbox that it did not ask for, in the form it agreed.

A fake sandbox (two pipes and a script of replies) stands for a learner's code that writes
to the channel itself: each bad reply is a SandboxMisbehaved (the grader's "dead sandbox"),
never a KeyError, a hang, or a name bound in the grader.
"""
from __future__ import annotations

import json
import os
import struct
import threading

import numpy as np
import pytest

from course_utils.grading.learner_process import LearnerProcess, SandboxMisbehaved, SandboxTimeout


def frame(message) -> bytes:
    payload = message if isinstance(message, bytes) else json.dumps(message).encode()
    return struct.pack(">Q", len(payload)) + payload


def fake(*replies: bytes, timeout: float = 2.0) -> LearnerProcess:
    """A LearnerProcess whose sandbox only sends ``replies`` (and reads whatever it is sent)."""
    from_sandbox_r, from_sandbox_w = os.pipe()
    to_sandbox_r, to_sandbox_w = os.pipe()
    process = LearnerProcess.__new__(LearnerProcess)
    process.cwd, process.timeout, process.deadline, process.dead = ".", timeout, None, False
    process.callbacks, process.popen, process.factory, process.request_id, process.pid = {}, None, None, 0, 0
    process.stdin, process.stdout = os.fdopen(to_sandbox_w, "wb"), os.fdopen(from_sandbox_r, "rb")

    def drain():
        with os.fdopen(to_sandbox_r, "rb") as requests:
            while requests.read(65536):
                pass
    def send():
        sandbox_side = os.fdopen(from_sandbox_w, "wb")
        sandbox_side.write(b"".join(replies))
        sandbox_side.flush()
        process._keep = sandbox_side  # stays open: a missing reply is a stall, not an EOF
    threading.Thread(target=drain, daemon=True).start()
    threading.Thread(target=send, daemon=True).start()
    return process


def ok(request_id: int, **fields) -> bytes:
    return frame({"op": "reply", "id": request_id, "status": "ok", **fields})


def test_an_honest_lookup_gives_plain_values():
    process = fake(ok(1, values={"w": {"py": 2.5}, "f": {"handle": 7, "type": "function", "callable": True}}))
    values = process.lookup(["w", "f"])
    assert values["w"] == 2.5 and callable(values["f"])


@pytest.mark.parametrize("bad", [
    ok(1, values={"w": {"py": 1}, "check_mse": {"py": 1}}),               # a name never asked for
    ok(2, values={"w": {"py": 1}}),                                       # the reply to another request
    frame({"op": "reply", "id": 1, "values": {}}),                        # no status
    frame({"op": "reply", "id": 1, "status": "ok", "values": ["w"]}),     # values not a mapping
    frame([1, 2, 3]),                                                     # not an object
    frame(b"\xff\xfe not json"),
    frame(b"[" * 100_000 + b"]" * 100_000),                               # nesting the JSON parser gives up on
    ok(1, values={"w": json.loads('{"seq": "list", "items": [' * 60 + "]}" * 60)}),  # nesting beyond the limit
    ok(1, values={"w": {"npy": "bm90IGFuIGFycmF5"}}),                     # not an .npy
    ok(1, values={"w": {"pickle": "gASV"}}),                              # an unknown form
    ok(1, values={"w": {"handle": "7"}}),
    ok(1, values={"w": {"py": [1, 2]}}),
    ok(1, values={"w": {"py": 1}}, stdout=["not", "text"]),
    frame({"op": "callback", "id": 424242, "args": []}),                  # a call-back never offered
    struct.pack(">Q", 1 << 40),                                           # a length beyond the limit
])
def test_a_bad_reply_is_a_misbehaving_sandbox(bad):
    process = fake(bad)
    with pytest.raises(SandboxMisbehaved):
        process.lookup(["w"])
    assert process.dead


def test_an_object_array_is_refused_even_when_well_formed():
    import base64
    import io

    buffer = io.BytesIO()
    np.save(buffer, np.array([1, "a", None], dtype=object), allow_pickle=True)
    process = fake(ok(1, values={"w": {"npy": base64.b64encode(buffer.getvalue()).decode()}}))
    with pytest.raises(SandboxMisbehaved):
        process.lookup(["w"])


def test_half_a_frame_then_silence_is_a_timeout_not_a_hang():
    process = fake(struct.pack(">Q", 100) + b'{"op": "re', timeout=1.0)
    process.deadline = None
    with pytest.raises(SandboxTimeout):
        process.lookup(["w"])
    assert process.dead
