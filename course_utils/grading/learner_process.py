"""The grader's handle on one learner's sandbox process: requests, replies, proxies.

:class:`LearnerProcess` starts a sandbox (:mod:`course_utils.grading.sandbox`) and asks it
to run cells, look names up and call the learner's functions. Whatever comes back is a
*claim*, decoded by :mod:`course_utils.grading.protocol` into plain data or a proxy
(:class:`LearnerFunction`, :class:`LearnerObject`) whose use runs in the sandbox again.
"""
from __future__ import annotations

import base64
import builtins
import contextlib
import io
import json
import os
import pickle
import re
import select
import subprocess
import sys
import time
from typing import Any

from course_utils.grading.protocol import read_frame, write_frame

# ---- errors raised on the grader's side for what happened in the sandbox --------------

class LearnerCodeError(Exception):
    """The learner's code failed in the sandbox; ``course_message`` says how, in words."""

    def __init__(self, message: str, course_message: str | None = None, learner_line: str = ""):
        super().__init__(message)
        self.course_message = course_message
        self.learner_line = learner_line


def _remote_error(info: dict) -> Exception:
    """An exception like the one the learner's code raised in the sandbox."""
    name, message = str(info.get("ename", "Exception")), str(info.get("evalue", ""))
    line = str(info.get("learner_line", ""))
    builtin = getattr(builtins, name, None)
    if name == "NotImplementedError":
        error = NotImplementedError(message)
    elif name == "RecursionError":
        error = RecursionError(message)
    elif name in ("SystemExit", "KeyboardInterrupt"):
        error = LearnerCodeError(message, f"called {'sys.exit()' if name == 'SystemExit' else 'stopped'}: "
                                          "a graded function must return its result, not end the program.", line)
    elif isinstance(builtin, type) and issubclass(builtin, Exception):
        try:
            error = builtin(message)
        except Exception:
            error = LearnerCodeError(message)
    else:
        error = type(name if name.isidentifier() else "LearnerError", (LearnerCodeError,), {})(message)
    error.learner_line = line
    return error


# ---- values coming back from the sandbox -----------------------------------------------

class LearnerObject:
    """Something the learner's code returned that is not plain data; it stays in the sandbox."""

    def __init__(self, process: "LearnerProcess", key: int, type_name: str):
        object.__setattr__(self, "_process", process)
        object.__setattr__(self, "_key", key)
        object.__setattr__(self, "_type_name", type_name)

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return self._process.getattr(self._key, attr)

    def __repr__(self):
        return f"<{self._type_name} object from your code>"


class LearnerFunction:
    """A proxy for a function of the learner's: calling it runs the function in the sandbox."""

    def __init__(self, process: "LearnerProcess", target: tuple, name: str):
        self._process, self._target, self.__name__ = process, target, name
        self.__qualname__ = name

    def __call__(self, *args, **kwargs):
        return self._process.call(self._target, args, kwargs)

    def __repr__(self):
        return f"<function {self.__name__} (your code)>"


def _decode(process: "LearnerProcess", data):
    import numpy as np

    if not isinstance(data, dict):
        raise ValueError("malformed value from the sandbox")
    if "py" in data:
        value = data["py"]
        if value is not None and type(value) not in (bool, int, float, str):
            raise ValueError("malformed value from the sandbox")
        return value
    if "npy" in data:
        array = np.load(io.BytesIO(base64.b64decode(data["npy"])), allow_pickle=False)
        return array[()] if data.get("scalar") else array
    if "seq" in data:
        items = [_decode(process, item) for item in data["items"]]
        return tuple(items) if data["seq"] == "tuple" else items
    if "dict" in data:
        return {key: _decode(process, value) for key, value in data["dict"]
                if type(key) in (str, int)}
    if "handle" in data:
        type_name = re.sub(r"\W", "_", str(data.get("type", "object")))[:80] or "object"
        if data.get("callable"):
            return LearnerFunction(process, ("handle", int(data["handle"])), type_name)
        cls = type(type_name if type_name.isidentifier() else "object_", (LearnerObject,), {})
        return cls(process, int(data["handle"]), type_name)
    raise ValueError("malformed value from the sandbox")


def _write_back(target, new) -> None:
    """Make ``target`` look like ``new``: the learner's function changed an argument in place."""
    import numpy as np

    if isinstance(target, np.ndarray) and isinstance(new, np.ndarray) and target.shape == new.shape \
            and target.flags.writeable:
        np.copyto(target, new, casting="unsafe")
    elif isinstance(target, list) and isinstance(new, list):
        target[:] = new
    elif isinstance(target, dict) and isinstance(new, dict):
        for key in list(target):
            if key not in new:
                del target[key]
        for key, value in new.items():
            if key in target and isinstance(target[key], (np.ndarray, list, dict)):
                _write_back(target[key], value)
            else:
                target[key] = value


# ---- the sandbox process ----------------------------------------------------------------

def _local_function(obj) -> bool:
    """A function of a test cell (not importable by name), which the sandbox must call back."""
    import functools
    import types

    if isinstance(obj, functools.partial):
        return True
    if isinstance(obj, (types.FunctionType, types.MethodType)):
        qualname = getattr(obj, "__qualname__", "")
        return getattr(obj, "__module__", None) in ("__main__", None) or "<" in qualname
    return False


class SandboxDied(Exception):
    pass


class SandboxTimeout(Exception):
    pass


class _Zygote:
    """A process that has imported the course's libraries and forks one sandbox per learner."""

    def __init__(self, preload: list[str]):
        import socket

        self.socket, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        env = dict(os.environ, MPLBACKEND="Agg", PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "course_utils.grading.sandbox", "--zygote", str(theirs.fileno()), *preload],
            pass_fds=[theirs.fileno()], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True)
        theirs.close()

    def spawn(self, cwd: str, output_limit: int) -> tuple[int, Any, Any]:
        import socket
        import struct

        to_child, from_child = os.pipe(), os.pipe()
        try:
            socket.send_fds(self.socket, [json.dumps({"cwd": cwd, "output_limit": output_limit}).encode()],
                            [to_child[0], from_child[1]])
            reply = b""
            while len(reply) < 8:
                chunk = self.socket.recv(8 - len(reply))
                if not chunk:
                    raise OSError("the sandbox factory stopped")
                reply += chunk
        finally:
            os.close(to_child[0])
            os.close(from_child[1])
        (pid,) = struct.unpack(">q", reply)
        return pid, os.fdopen(to_child[1], "wb"), os.fdopen(from_child[0], "rb")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.socket.close()
        with contextlib.suppress(Exception):
            self.process.wait(timeout=5)


_ZYGOTE: _Zygote | None = None


def _sandbox_factory(preload: list[str]) -> _Zygote | None:
    """The shared sandbox factory (POSIX only), started on first use; None where it cannot work."""
    global _ZYGOTE
    if os.name != "posix" or not hasattr(__import__("socket"), "send_fds") or os.environ.get("COURSE_NO_ZYGOTE"):
        return None
    if _ZYGOTE is None or _ZYGOTE.process.poll() is not None:
        _ZYGOTE = _Zygote(preload)
    return _ZYGOTE


class LearnerProcess:
    """One sandbox process running one learner's notebook."""

    def __init__(self, cwd: str, timeout: float, output_limit: int = 20000, preload: list[str] | None = None):
        self.cwd, self.timeout = cwd, timeout
        self.deadline = None
        self.dead = False
        self.callbacks: dict[int, Any] = {}
        self.popen = None
        factory = _sandbox_factory(preload or []) if preload is not None else None
        if factory is not None:
            try:
                self.pid, self.stdin, self.stdout = factory.spawn(os.path.abspath(cwd), output_limit)
                return
            except OSError:
                factory.close()
        env = dict(os.environ, MPLBACKEND="Agg", PYTHONUNBUFFERED="1", COURSE_OUTPUT_LIMIT=str(output_limit))
        self.popen = subprocess.Popen([sys.executable, "-m", "course_utils.grading.sandbox"], cwd=cwd, env=env,
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                      start_new_session=True)
        self.pid, self.stdin, self.stdout = self.popen.pid, self.popen.stdin, self.popen.stdout

    # -- low level
    def _send(self, message: dict) -> None:
        if self.dead:
            raise SandboxDied()
        try:
            write_frame(self.stdin, pickle.dumps(message))
        except (BrokenPipeError, OSError):
            self.kill()
            raise SandboxDied()

    def _receive(self) -> dict:
        remaining = None if self.deadline is None else self.deadline - time.monotonic()
        if remaining is not None:
            ready, _, _ = select.select([self.stdout], [], [], max(remaining, 0))
            if not ready:
                self.kill()
                raise SandboxTimeout()
        try:
            return json.loads(read_frame(self.stdout))
        except (EOFError, OSError, ValueError):
            self.kill()
            raise SandboxDied()

    def _request(self, message: dict) -> dict:
        self._send(message)
        while True:
            reply = self._receive()
            if reply.get("op") == "callback":
                self._run_callback(reply)
                continue
            return reply

    def _run_callback(self, request: dict) -> None:
        try:
            args = [_decode(self, a) for a in request["args"]]
            value = self.callbacks[int(request["id"])](*args)
            self._send({"op": "callback_result", "value": value})
        except (SandboxDied, SandboxTimeout):
            raise
        except Exception as error:  # our function failed on the learner's arguments
            self._send({"op": "callback_error", "message": f"{type(error).__name__}: {error}"})

    def _pickle_args(self, args, kwargs) -> bytes:
        process = self

        class Pickler(pickle.Pickler):
            def persistent_id(self, obj):
                if isinstance(obj, LearnerObject):
                    return ("ref", obj._key)
                if isinstance(obj, LearnerFunction):
                    return ("ref" if obj._target[0] == "handle" else "name", obj._target[1])
                if _local_function(obj):  # e.g. a loss the test passes in: it runs here, on request
                    process.callbacks[id(obj)] = obj
                    return ("callback", id(obj))
                return None

        buffer = io.BytesIO()
        Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump((args, kwargs))
        return buffer.getvalue()

    def kill(self) -> None:
        self.dead = True
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, 9)
        if self.popen is not None:
            with contextlib.suppress(Exception):
                self.popen.wait(timeout=5)
        for stream in (self.stdin, self.stdout):
            with contextlib.suppress(Exception):
                stream.close()

    # -- what the grader asks for
    def exec_cell(self, name: str, source: str) -> dict:
        self.deadline = time.monotonic() + self.timeout
        try:
            return self._request({"op": "exec", "name": name, "source": source})
        finally:
            self.deadline = None

    def lookup(self, names: list[str]) -> dict:
        reply = self._request({"op": "lookup", "names": names})
        values = {}
        for name, value in reply["values"].items():
            values[name] = _decode(self, value)
            if isinstance(values[name], LearnerFunction):
                values[name] = LearnerFunction(self, ("name", name), name)
        return values

    def _print_outputs(self, reply: dict) -> None:
        if reply.get("stdout"):
            sys.stdout.write(reply["stdout"])
        if reply.get("stderr"):
            sys.stdout.write(reply["stderr"])  # shown, but a warning alone does not fail a check

    def call(self, target: tuple, args, kwargs):
        if target[0] == "handle" and target[1] is None:
            raise LearnerCodeError("not callable")
        try:
            payload = self._pickle_args(args, kwargs)
        except Exception as error:
            raise LearnerCodeError(f"its arguments could not be sent to your code ({error})")
        try:
            reply = self._request({"op": "call", "target": list(target), "args": payload})
        except SandboxTimeout:
            raise LearnerCodeError("timeout", f"did not finish within {self.timeout:g} s: is there an endless loop "
                                              "(a `while` whose condition never becomes false)?")
        except SandboxDied:
            raise LearnerCodeError("died", "stopped the Python process that runs your code (os._exit(), a crash, "
                                           "or too much memory), so it returned nothing.")
        self._print_outputs(reply)
        if reply["status"] != "ok":
            raise _remote_error(reply)
        for original, changed in zip(args, reply.get("args_after", [])):
            if changed is not None:
                _write_back(original, _decode(self, changed))
        return _decode(self, reply["result"])

    def getattr(self, key: int, attr: str):
        try:
            reply = self._request({"op": "getattr", "handle": key, "attr": attr})
        except (SandboxTimeout, SandboxDied):
            raise LearnerCodeError("died", "stopped the Python process that runs your code.")
        self._print_outputs(reply)
        if reply["status"] != "ok":
            raise AttributeError(f"your {attr!r}: {reply.get('ename')}: {reply.get('evalue')}")
        return _decode(self, reply["result"])
