"""The process that runs a learner's code during grading (``python -m course_utils.grading.sandbox``).

Grading is split over two processes so that nothing a learner writes can change a verdict:

- this *sandbox* process runs the learner's cells and, on request, calls the learner's
  functions; whatever it sends back is only a *claim* about a value, encoded as plain
  data (JSON, and NumPy arrays in the ``.npy`` format loaded with ``allow_pickle=False``);
- the grader (:mod:`course_utils.grading.execute`) runs the instructor's setup and test cells with
  libraries the learner's code never touched, and compares the claims itself.

So a patched ``np.allclose``, a shadowed check function or an object whose ``==`` is always
true changes this process only; a ``sys.exit()``, ``os._exit()`` or an endless loop ends or
stalls this process only, and the grader starts a new one.

Protocol: 8-byte big-endian length, then the payload. Grader -> sandbox payloads are
pickles (the grader is trusted); sandbox -> grader payloads are JSON.
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import linecache
import os
import pickle
import sys
import traceback

from course_utils.grading import protocol
from course_utils.grading.protocol import Capture, read_frame, write_frame

MAX_DEPTH = 20


# ---- encoding values as plain data ---------------------------------------------------

class Sandbox:
    def __init__(self, channel_in, channel_out):
        self.channel_in, self.channel_out = channel_in, channel_out
        self.handles: dict[int, object] = {}
        from IPython.core.inputtransformer2 import TransformerManager
        from IPython.core.interactiveshell import InteractiveShell

        from traitlets.config import Config

        config = Config()
        config.HistoryManager.enabled = False  # no history file shared between learners
        self.transform = TransformerManager().transform_cell
        self.shell = InteractiveShell.instance(config=config)
        self.namespace = self.shell.user_ns
        self.stdout, self.stderr = Capture(), Capture()
        sys.stdout, sys.stderr = self.stdout, self.stderr

    def handle(self, value) -> dict:
        key = id(value)
        self.handles[key] = value
        try:
            type_name = str(type(value).__name__)[:80]
        except Exception:  # a learner's metaclass may misbehave
            type_name = "object"
        return {"handle": key, "type": type_name, "callable": bool(callable(value))}

    def encode(self, value, depth: int = 0):
        import numpy as np

        kind = type(value)
        if value is None or kind in (bool, int, float):
            return {"py": value}
        if kind is str:
            return {"py": value[:protocol.OUTPUT_LIMIT]}
        if depth < MAX_DEPTH:
            if kind in (tuple, list):
                return {"seq": kind.__name__, "items": [self.encode(v, depth + 1) for v in value]}
            if kind is dict and all(type(k) in (str, int) for k in value):
                return {"dict": [[k, self.encode(v, depth + 1)] for k, v in value.items()]}
        if kind is complex or isinstance(value, (np.ndarray, np.generic)):
            array = np.asarray(value)
            if array.dtype.kind in "biufcUSmM":
                buffer = io.BytesIO()
                np.save(buffer, array, allow_pickle=False)  # keeps 0-d arrays 0-d
                return {"npy": base64.b64encode(buffer.getvalue()).decode("ascii"),
                        "scalar": not isinstance(value, np.ndarray)}
        return self.handle(value)

    def decode_args(self, payload: bytes):
        sandbox = self

        class Unpickler(pickle.Unpickler):
            def persistent_load(self, pid):
                kind, key = pid
                if kind == "ref":
                    return sandbox.handles[key]
                if kind == "name":
                    return sandbox.namespace[key]
                return sandbox.callback_function(key)

        return Unpickler(io.BytesIO(payload)).load()

    def callback_function(self, key: int):
        """A function that asks the grader to run one of its own functions (e.g. a loss to differentiate)."""
        def callback(*args):
            self.send({"op": "callback", "id": key, "args": [self.encode(a) for a in args]})
            reply = pickle.loads(read_frame(self.channel_in))
            if reply["op"] == "callback_error":
                raise RuntimeError(reply["message"])
            return reply["value"]
        callback.__name__ = f"function_{key}"
        return callback

    # ---- requests --------------------------------------------------------------------

    def send(self, message: dict) -> None:
        write_frame(self.channel_out, json.dumps(message).encode("utf-8"))

    def error(self, error: BaseException, filename_prefix: str = "<cell") -> dict:
        frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename.startswith(filename_prefix)]
        line = ""
        if frames:
            line = f"\n  in your code, line {frames[-1].lineno}: {(frames[-1].line or '').strip()}"
        try:
            message = str(error)[:2000]
        except Exception:
            message = "(the error message itself could not be shown)"
        return {"ename": type(error).__name__, "evalue": message, "learner_line": line}

    def outputs(self) -> dict:
        return {"stdout": self.stdout.take(), "stderr": self.stderr.take()}

    def op_exec(self, request) -> dict:
        name = request["name"]
        source = request["source"]
        try:
            python, filename = self.transform(source), f"<cell {name}>"
            linecache.cache[filename] = (len(python), None, python.splitlines(True), filename)  # lines in messages
            code = compile(python, filename, "exec")
            self.shell.user_ns["__name__"] = "__main__"
            exec(code, self.namespace)
        except BaseException as error:  # SystemExit and KeyboardInterrupt too: the learner's code
            return {"status": "error", **self.error(error), **self.outputs()}
        return {"status": "ok", **self.outputs()}

    def op_lookup(self, request) -> dict:
        values = {}
        for name in request["names"]:
            if name in self.namespace:
                values[name] = self.encode(self.namespace[name])
        return {"status": "ok", "values": values}

    def op_call(self, request) -> dict:
        kind, key = request["target"]
        target = self.namespace.get(key) if kind == "name" else self.handles.get(key)
        args, kwargs = self.decode_args(request["args"])
        before = [fingerprint(a) for a in args]
        try:
            result = target(*args, **kwargs)
            encoded = self.encode(result)
        except BaseException as error:
            return {"status": "error", **self.error(error), **self.outputs()}
        after = [self.encode(a) if fingerprint(a) != b else None for a, b in zip(args, before)]
        return {"status": "ok", "result": encoded, "args_after": after, **self.outputs()}

    def op_getattr(self, request) -> dict:
        try:
            value = getattr(self.handles[request["handle"]], request["attr"])
            return {"status": "ok", "result": self.encode(value), **self.outputs()}
        except BaseException as error:
            return {"status": "error", **self.error(error), **self.outputs()}

    def serve(self) -> None:
        while True:
            try:
                request = pickle.loads(read_frame(self.channel_in))
            except EOFError:
                return
            reply = getattr(self, f"op_{request['op']}")(request)
            self.send({"op": "reply", "id": request.get("id"), **reply})


def fingerprint(value, depth: int = 0):
    """A cheap summary that changes when an argument is modified in place."""
    import numpy as np

    if isinstance(value, np.ndarray) and value.dtype.kind in "biufc":
        return ("array", value.shape, str(value.dtype), hashlib.blake2b(value.tobytes(),
                                                                        digest_size=16).digest())
    if type(value) in (list, tuple) and depth < MAX_DEPTH:
        return (type(value).__name__, tuple(fingerprint(v, depth + 1) for v in value))
    if type(value) is dict and depth < MAX_DEPTH:
        return ("dict", tuple((repr(k), fingerprint(v, depth + 1)) for k, v in value.items()))
    if value is None or type(value) in (bool, int, float, str):
        return ("py", value)
    return ("other", id(value))


def main() -> None:
    # The protocol gets its own copies of stdin/stdout; the learner's code sees /dev/null
    # there, so nothing it writes to the raw file descriptors can disturb the protocol.
    channel_in = os.fdopen(os.dup(0), "rb")
    channel_out = os.fdopen(os.dup(1), "wb")
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    sys.path[0] = os.getcwd()  # the learner's folder, as in a kernel started there
    Sandbox(channel_in, channel_out).serve()


if __name__ == "__main__":
    main()
