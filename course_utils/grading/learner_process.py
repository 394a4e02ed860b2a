"""The grader's handle on one learner's sandbox process: requests, replies, proxies.

:class:`LearnerProcess` starts a sandbox (:mod:`course_utils.grading.sandbox`) and asks it
to run cells, look names up and call the learner's functions. Whatever comes back is a
*claim*, decoded by :mod:`course_utils.grading.protocol` into plain data or a proxy
(:class:`LearnerFunction`, :class:`LearnerObject`) whose use runs in the sandbox again.
"""
from __future__ import annotations

import atexit
import builtins
import contextlib
import io
import json
import os
import pickle
import select
import shutil
import subprocess
import sys
import time
from typing import Any

from course_utils.grading import confine, protocol
from course_utils.grading.protocol import write_frame

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


class SandboxMisbehaved(SandboxDied):
    """The sandbox broke the protocol (see :class:`course_utils.grading.protocol.ProtocolError`)."""


# What an unconfined learner's process gets on top of the grader's environment: the
# confined sandbox's own settings for plotting, output and widgets (confine.SANDBOX_ENV).
UNCONFINED_ENV = {name: confine.SANDBOX_ENV[name] for name in ("MPLBACKEND", "PYTHONUNBUFFERED", "COURSE_HEADLESS")}


class Factory:
    """The sandbox factory of this grading process (:mod:`course_utils.grading.factory`).

    Confined, it runs inside ``bwrap`` (:mod:`course_utils.grading.confine`) and sees only
    ``staging``, a private host folder: before each sandbox starts, the grader copies the
    learner's submission folder into ``staging/<learner>``. One learner at a time: starting a
    sandbox first ends every process of the previous one.
    """

    START_TIMEOUT = 120  # seconds for the first answer (the factory is importing libraries)
    END_TIMEOUT = 30     # seconds to end a learner (a stopped factory is replaced after that)

    def __init__(self, preload: list[str], confined: bool, limits: confine.Limits):
        import dataclasses
        import socket
        import tempfile

        self.confined, self.limits = confined, limits
        self.active: str | None = None
        self.count = 0
        self.staging = tempfile.mkdtemp(prefix="course-grading-") if confined else None
        self.socket, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        arguments = ["-m", "course_utils.grading.factory", str(theirs.fileno()), "1" if confined else "0",
                     json.dumps({"limits": dataclasses.asdict(limits), "uid": confine.learner_uid()}), *preload]
        if confined:
            os.chmod(self.staging, 0o755)  # the learners' user (unprivileged, as root) reads its own copy
            command = confine.bwrap_command(arguments, self.staging, limits)
            env = None
        else:
            command = [sys.executable, *arguments]
            env = dict(os.environ, **UNCONFINED_ENV)
        # COURSE_GRADING_DEBUG=1 shows the factory's and sandboxes' own errors (not the learners' output).
        errors = None if os.environ.get("COURSE_GRADING_DEBUG") else subprocess.DEVNULL
        self.process = subprocess.Popen(command, pass_fds=[theirs.fileno()], env=env, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=errors, start_new_session=True)
        theirs.close()
        self.socket.settimeout(self.START_TIMEOUT)

    def alive(self) -> bool:
        return self.process.poll() is None

    def _ask(self, request: dict, fds: list[int]) -> int:
        import socket
        import struct

        socket.send_fds(self.socket, [json.dumps(request).encode()], fds)
        reply = b""
        while len(reply) < 8:
            chunk = self.socket.recv(8 - len(reply))
            if not chunk:
                raise OSError("the sandbox factory stopped")
            reply += chunk
        return struct.unpack(">q", reply)[0]

    def spawn(self, cwd: str, output_limit: int) -> tuple[int, Any, Any]:
        """A new sandbox working on a copy of ``cwd``: (its process id, its stdin, its stdout).

        Confined, the process id is the one inside the factory's PID namespace: for reports
        only, never for signals (ending a learner is :meth:`end`).
        """
        self.end()
        request = {"op": "spawn", "cwd": os.path.abspath(cwd), "output_limit": output_limit}
        if self.confined:
            self.count += 1
            learner = f"learner-{self.count}"
            _copy_folder(cwd, os.path.join(self.staging, learner))
            request["learner"] = self.active = learner
        to_child, from_child = os.pipe(), os.pipe()
        try:
            pid = self._ask(request, [to_child[0], from_child[1]])
        finally:
            os.close(to_child[0])
            os.close(from_child[1])
        return pid, os.fdopen(to_child[1], "wb"), os.fdopen(from_child[0], "rb")

    def end(self) -> None:
        """End every process of the current learner; a factory that cannot is replaced."""
        if not self.confined or self.active is None:
            return
        shutil.rmtree(os.path.join(self.staging, self.active), ignore_errors=True)
        self.active = None
        self.socket.settimeout(self.END_TIMEOUT)
        try:
            clean = self._ask({"op": "end"}, []) == 0
        except OSError:
            clean = False
        self.socket.settimeout(self.START_TIMEOUT)
        if not clean:
            self.close()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.socket.close()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, 9)  # bwrap: its PID namespace, and every process in it, goes too
        with contextlib.suppress(Exception):
            self.process.wait(timeout=10)
        if self.staging:
            shutil.rmtree(self.staging, ignore_errors=True)


def _copy_folder(source: str, target: str, limit: int = 256 << 20) -> None:
    """Copy the regular files of ``source`` (recursively, no links) into ``target``, readable by all.

    Notebooks are left out: while nbgrader grades, the notebook in the learner's folder is
    the one with the hidden tests restored, and the learner's code never needs a notebook.
    """
    total = 0
    os.makedirs(target, mode=0o755)
    for folder, subfolders, files in os.walk(source):
        subfolders[:] = [d for d in subfolders if not os.path.islink(os.path.join(folder, d))]
        destination = os.path.join(target, os.path.relpath(folder, source))
        os.makedirs(destination, mode=0o755, exist_ok=True)
        for name in files:
            path = os.path.join(folder, name)
            if os.path.islink(path) or not os.path.isfile(path) or name.endswith(".ipynb"):
                continue
            total += os.path.getsize(path)
            if total > limit:
                return
            shutil.copyfile(path, os.path.join(destination, name))
            os.chmod(os.path.join(destination, name), 0o644)


_FACTORY: Factory | None = None


def sandbox_factory(preload: list[str], confined: bool, limits: confine.Limits) -> Factory | None:
    """The shared factory (POSIX only), started on first use; None where one cannot work unconfined."""
    global _FACTORY
    import socket

    if not hasattr(socket, "send_fds") or (not confined and os.environ.get("COURSE_NO_ZYGOTE")):
        if confined:
            raise RuntimeError("confined grading needs Linux with socket.send_fds")
        return None
    if _FACTORY is not None and (not _FACTORY.alive() or _FACTORY.confined != confined
                                 or _FACTORY.limits != limits):
        _FACTORY.close()
        _FACTORY = None
    if _FACTORY is None:
        _FACTORY = Factory(preload, confined, limits)
        atexit.register(_close_factory)  # its staging folder in /tmp would outlive the grader
    return _FACTORY


def _close_factory() -> None:
    global _FACTORY
    if _FACTORY is not None:
        _FACTORY.close()
        _FACTORY = None


class LearnerProcess:
    """One sandbox process running one learner's notebook."""

    def __init__(self, cwd: str, timeout: float, output_limit: int = 20000, preload: list[str] | None = None,
                 confined: bool = False, limits: confine.Limits = confine.Limits()):
        self.cwd, self.timeout = cwd, timeout
        self.deadline = None
        self.dead = False
        self.callbacks: dict[int, Any] = {}
        self.popen = self.factory = None
        self.request_id = 0
        factory = sandbox_factory(preload or [], confined, limits) if (preload is not None or confined) else None
        if factory is not None:
            try:
                self.pid, self.stdin, self.stdout = factory.spawn(cwd, output_limit)
                self.factory = factory
                return
            except OSError:
                factory.close()
                if confined:  # one more try with a new factory, then the cell fails as a dead sandbox
                    factory = sandbox_factory(preload or [], confined, limits)
                    self.pid, self.stdin, self.stdout = factory.spawn(cwd, output_limit)
                    self.factory = factory
                    return
        env = dict(os.environ, **UNCONFINED_ENV, COURSE_OUTPUT_LIMIT=str(output_limit))
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

    def _wait_readable(self) -> None:
        """Until the sandbox's channel has data; SandboxTimeout past the deadline (or ``timeout`` without one)."""
        deadline = self.deadline if self.deadline is not None else time.monotonic() + self.timeout
        ready, _, _ = select.select([self.stdout], [], [], max(deadline - time.monotonic(), 0))
        if not ready:
            raise SandboxTimeout()

    def _receive(self) -> dict:
        try:
            return protocol.read_reply(self.stdout, self._wait_readable)
        except SandboxTimeout:
            self.kill()
            raise
        except protocol.ProtocolError as error:
            self.kill()
            raise SandboxMisbehaved(str(error))
        except Exception:  # EOF, a closed pipe: the process is gone
            self.kill()
            raise SandboxDied()

    def _misbehaved(self, why: str):
        self.kill()
        return SandboxMisbehaved(why)

    def decode(self, data):
        """A value from the sandbox (see :func:`course_utils.grading.protocol.decode`)."""
        try:
            return protocol.decode(data, self._function_proxy, self._object_proxy)
        except protocol.ProtocolError as error:
            raise self._misbehaved(str(error))

    def _function_proxy(self, key: int, type_name: str):
        return LearnerFunction(self, ("handle", key), type_name)

    def _object_proxy(self, key: int, type_name: str):
        cls = type(type_name if type_name.isidentifier() else "object_", (LearnerObject,), {})
        return cls(self, key, type_name)

    def _request(self, message: dict) -> dict:
        self.request_id += 1
        self._send({**message, "id": self.request_id})
        while True:
            reply = self._receive()
            if reply.get("op") == "callback":
                self._run_callback(reply)
                continue
            try:
                return protocol.expect_reply(reply, self.request_id)
            except protocol.ProtocolError as error:
                raise self._misbehaved(str(error))

    def _run_callback(self, request: dict) -> None:
        key, args = request.get("id"), request.get("args")
        if type(key) is not int or key not in self.callbacks or not isinstance(args, list):
            raise self._misbehaved("a call-back the grader did not offer")
        args = [self.decode(a) for a in args]
        try:
            value = self.callbacks[key](*args)
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
        if self.dead:
            return
        self.dead = True
        if self.factory is not None:
            self.factory.end()  # confined: every process of this learner; unconfined: the pipes close below
        if self.popen is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.popen.pid, 9)
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
        found = reply.get("values")
        if not isinstance(found, dict) or not set(found) <= set(names):
            raise self._misbehaved("values for names the grader did not ask for")
        values = {}
        for name, value in found.items():
            values[name] = self.decode(value)
            if isinstance(values[name], LearnerFunction):
                values[name] = LearnerFunction(self, ("name", name), name)
        return values

    def _print_outputs(self, reply: dict) -> None:
        if reply.get("stdout"):
            sys.stdout.write(protocol.text(reply, "stdout"))
        if reply.get("stderr"):
            sys.stdout.write(protocol.text(reply, "stderr"))  # shown, but a warning alone does not fail a check

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
        except SandboxMisbehaved as error:
            raise LearnerCodeError("protocol", f"sent the grader something it did not ask for ({error}); nothing "
                                               "it sent is trusted, so this check cannot pass.")
        except SandboxDied:
            raise LearnerCodeError("died", "stopped the Python process that runs your code (os._exit(), a crash, "
                                           "or too much memory), so it returned nothing.")
        self._print_outputs(reply)
        if reply["status"] != "ok":
            raise _remote_error(reply)
        after = reply.get("args_after", [])
        if not isinstance(after, list) or len(after) > len(args) or "result" not in reply:
            raise self._misbehaved("a reply to a call in an unknown form")
        for original, changed in zip(args, after):
            if changed is not None:
                _write_back(original, self.decode(changed))
        return self.decode(reply["result"])

    def getattr(self, key: int, attr: str):
        try:
            reply = self._request({"op": "getattr", "handle": key, "attr": attr})
        except (SandboxTimeout, SandboxDied):
            raise LearnerCodeError("died", "stopped the Python process that runs your code.")
        self._print_outputs(reply)
        if reply["status"] != "ok":
            raise AttributeError(f"your {attr!r}: {reply.get('ename')}: {reply.get('evalue')}")
        if "result" not in reply:
            raise self._misbehaved("a reply without its value")
        return self.decode(reply["result"])
