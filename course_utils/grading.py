"""Grading an instructor can trust: nbgrader preprocessors and the instructor's helpers.

nbgrader's ``autograde`` normally runs a submission top to bottom in one kernel, test cells
included, so a learner's cell can patch ``np.allclose``, shadow a check function, return an
object whose ``==`` is always true, or end the kernel. Here the work is split (configured in
``nbgrader_config.py``, nothing to do per notebook):

- :class:`IntegrityCheck` (before nbgrader restores locked cells) records edited, deleted or
  duplicated locked cells, flags the submission in the gradebook and writes a report line;
- :class:`SandboxExecute` (instead of nbgrader's ``Execute``) runs the learner's cells in a
  sandbox process (:mod:`course_utils.grading_sandbox`) and every graded test cell *here*, in a
  namespace built only from the instructor's locked cells. A name the test cell needs and the
  instructor's cells do not define (the learner's functions, a learner's variable) is fetched
  from the sandbox: values come back as plain data, functions as proxies that call into the
  sandbox. The verdict is computed by code the learner's cells never ran next to. A timeout or
  a dead sandbox costs the cell that caused it: a new sandbox replays the earlier cells and
  grading goes on;
- :class:`HideHiddenTests` (in ``generate_feedback``) removes hidden-test code from the
  feedback; scores and the check messages stay.

The instructor's commands (``python3 course.py grade ...``) use :func:`collect`,
:func:`integrity_rows`, :func:`export_csv`.

For notebook authors, what a test cell sees when graded (a learner's own kernel is unchanged):

- names bound by the locked cells (the setup imports) are the grader's own, never the learner's;
  any other name is looked up in the learner's process when the test cell starts;
- numbers, strings, NumPy arrays (not object arrays) and tuples, lists and dicts of them come
  back as copies; a learner's function comes back as a proxy; anything else as an opaque
  object whose attributes and methods still work (they run in the learner's process);
- a function passed to a learner's function (e.g. a loss to minimise) runs in the grader and is
  called back; changes a learner's function makes to its array, list or dict arguments in place
  are copied back;
- the two processes do not share global state: a test cell that seeds ``np.random`` or assigns a
  global does not change the learner's process. Pass ``rng`` (or the value) as an argument.
"""
from __future__ import annotations

import ast
import base64
import builtins
import contextlib
import csv
import io
import json
import os
import pickle
import re
import select
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import nbformat
from nbformat.notebooknode import NotebookNode
from traitlets import Integer, List, Unicode

from nbgrader import utils
from nbgrader.preprocessors import DeduplicateIds as _DeduplicateIds
from nbgrader.preprocessors import NbGraderPreprocessor

from course_utils.grading_sandbox import Capture, read_frame, write_frame

HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
INTEGRITY_DIR = "grading/integrity"


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
            [sys.executable, "-m", "course_utils.grading_sandbox", "--zygote", str(theirs.fileno()), *preload],
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
        self.popen = subprocess.Popen([sys.executable, "-m", "course_utils.grading_sandbox"], cwd=cwd, env=env,
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


# ---- running the instructor's cells on the grader's side -----------------------------

class _NoMagic:
    """``get_ipython()`` for instructor cells run outside IPython: magics do nothing."""

    def run_line_magic(self, *args, **kwargs):
        return None

    run_cell_magic = system = getoutput = run_line_magic


def _python_source(source: str) -> str:
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


def _names_used(code: str) -> list[str]:
    names = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Name):
            names.add(node.id)
    return sorted(names)


def _names_stored(code: str) -> set[str]:
    stored = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            stored.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            stored.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            stored.add(node.name)
    return stored


def _error_output(ename: str, evalue: str) -> NotebookNode:
    return nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def _stream_outputs(stdout: str, stderr: str = "") -> list[NotebookNode]:
    outputs = []
    if stdout:
        outputs.append(nbformat.v4.new_output("stream", name="stdout", text=stdout))
    if stderr:
        outputs.append(nbformat.v4.new_output("stream", name="stderr", text=stderr))
    return outputs


def _cell_label(cell: NotebookNode, index: int) -> str:
    return cell.metadata.get("nbgrader", {}).get("grade_id") or cell.get("id") or str(index)


class SandboxExecute(NbGraderPreprocessor):
    """Run a submission with the learner's code in a sandbox and the checks in clean hands.

    Cells run in notebook order. Every cell except graded test cells runs in the sandbox;
    instructor-locked cells also run here, so the checks have their tools; graded test cells
    run only here. See the module docstring.
    """

    timeout = Integer(60, help="seconds each cell (and each test cell's calls together) may take").tag(config=True)
    output_limit = Integer(20000, help="characters of printed output kept per cell").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict):
        cwd = resources.get("metadata", {}).get("path") or os.getcwd()
        self.cwd = cwd
        self.namespace = {"__name__": "__main__", "__builtins__": builtins, "get_ipython": _NoMagic}
        self.replay: list[tuple[str, str]] = []
        self.reserved, self.preload = self._instructor_names(nb)
        self.fetched: set[str] = set()
        self.learner = self._start()
        try:
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                self._run_cell(cell, index)
        finally:
            self.learner.kill()
        return nb, resources

    def _start(self) -> LearnerProcess:
        learner = self._new_process()
        for name, source in self.replay:  # rebuild the learner's state after a crash or a timeout
            with contextlib.suppress(SandboxDied, SandboxTimeout):
                learner.exec_cell(name, source)
            if learner.dead:
                learner = self._new_process()
        return learner

    def _new_process(self) -> LearnerProcess:
        return LearnerProcess(self.cwd, self.timeout, self.output_limit, preload=self.preload)

    def _run_cell(self, cell: NotebookNode, index: int) -> None:
        label = _cell_label(cell, index)
        meta = cell.metadata.get("nbgrader", {})
        test_cell = bool(meta.get("grade")) and not meta.get("solution")
        instructor_cell = bool(meta.get("locked")) and not meta.get("solution")
        cell.outputs = []
        if test_cell:
            cell.outputs = self._run_test_cell(cell, label)
            return
        if instructor_cell:
            with contextlib.redirect_stdout(Capture()), contextlib.redirect_stderr(Capture()):
                self._run_here(cell.source, label)  # the checks' tools, from the instructor's own cell
        try:
            reply = self.learner.exec_cell(label, cell.source)
        except SandboxTimeout:
            cell.outputs = [_error_output("CellTimeoutError", f"this cell did not finish within {self.timeout} s "
                                                             "(an endless loop?); it was stopped")]
            self.learner = self._start()
            return
        except SandboxDied:
            cell.outputs = [_error_output("DeadKernelError", "this cell stopped the Python process (sys.exit(), "
                                                            "os._exit() or a crash); later cells run in a new one")]
            self.learner = self._start()
            return
        cell.outputs = _stream_outputs(reply.get("stdout", ""), reply.get("stderr", ""))
        if reply["status"] == "ok":
            self.replay.append((label, cell.source))
        else:
            cell.outputs.append(_error_output(reply["ename"], reply["evalue"] + reply.get("learner_line", "")))

    @staticmethod
    def _instructor_names(nb: NotebookNode) -> tuple[set[str], list[str]]:
        """Names the instructor's locked cells bind (never taken from the learner's process),
        and the modules they import (imported once by the sandbox factory)."""
        names, modules = set(), ["numpy", "IPython.core.interactiveshell", "IPython.core.inputtransformer2"]
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type != "code" or not meta.get("locked") or meta.get("solution") or meta.get("grade"):
                continue
            with contextlib.suppress(SyntaxError):
                for node in ast.walk(ast.parse(_python_source(cell.source))):
                    if isinstance(node, (ast.Import, ast.ImportFrom)):
                        names.update((a.asname or a.name).split(".")[0] for a in node.names)
                        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                            modules.append(node.module)
                        elif isinstance(node, ast.Import):
                            modules.extend(a.name for a in node.names)
                    elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                        names.add(node.id)
                    elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                        names.add(node.name)
        return names, modules

    def _run_here(self, source: str, label: str) -> BaseException | None:
        """Run an instructor cell in this process; names it lacks come from the learner's process."""
        try:
            python = _python_source(source)
            code = compile(python, f"<{label}>", "exec")
        except SyntaxError as error:
            return error
        # Names this side has not bound itself come from the learner's process, fresh for each
        # cell; names bound by instructor or test cells here (e.g. a test's data reused by the
        # next test) stay as they are.
        used, stored = _names_used(python), _names_stored(python)
        wanted = [n for n in used if n not in self.reserved and not hasattr(builtins, n)
                  and (n not in self.namespace or n in self.fetched)]
        for name in wanted:
            self.namespace.pop(name, None)
            self.fetched.discard(name)
        self.learner.deadline = time.monotonic() + self.timeout
        try:
            if wanted and not self.learner.dead:
                with contextlib.suppress(SandboxDied, SandboxTimeout):
                    values = self.learner.lookup(wanted)
                    self.namespace.update(values)
                    self.fetched.update(values)
            exec(code, self.namespace)
        except BaseException as error:  # noqa: BLE001 (a check failing is an expected outcome)
            return error
        finally:
            self.learner.deadline = None
            self.fetched -= stored
        return None

    def _run_test_cell(self, cell: NotebookNode, label: str) -> list[NotebookNode]:
        stdout = Capture()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stdout):
            error = self._run_here(cell.source, label)
        printed = stdout.take()
        outputs = _stream_outputs(printed)
        if isinstance(error, NameError) and getattr(error, "name", None):
            error = NameError(f"NOT YET: `{error.name}` does not exist yet, so this check cannot run: the cell "
                              "above that creates it has not run without an error (see its message).")
        if error is not None:
            message = str(error) if isinstance(error, (AssertionError, NameError)) \
                else f"{type(error).__name__}: {error}"
            output = _error_output(type(error).__name__, message or "a check failed")
            if message and message in printed:  # the check printed it already: say it once
                output.traceback = [f"{type(error).__name__}: this check did not pass (see the message above)."]
            outputs.append(output)
        if self.learner.dead:
            self.learner = self._start()
        return outputs


# ---- integrity of locked cells -----------------------------------------------------------

def without_hidden_tests(source: str) -> str:
    lines, hidden = [], False
    for line in source.split("\n"):
        if HIDDEN_BEGIN in line:
            hidden = True
        elif HIDDEN_END in line:
            hidden = False
        elif not hidden:
            lines.append(line)
    return "\n".join(lines)


def _same_code(a: str, b: str) -> bool:
    def norm(text):
        return [line.rstrip() for line in text.strip().split("\n")]
    return norm(a) == norm(b)


class IntegrityCheck(NbGraderPreprocessor):
    """Before nbgrader restores locked cells: note which ones the learner edited, deleted or duplicated.

    Findings go to ``grading/integrity/<assignment>/<student>.json`` (read by
    ``course.py grade autograde`` and ``grade export``) and flag the submission in the gradebook.
    """

    report_dir = Unicode(INTEGRITY_DIR, help="folder for the per-learner integrity reports").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict):
        from nbgrader.api import Gradebook

        info = resources["nbgrader"]
        findings = []
        with Gradebook(info["db_url"]) as gradebook:
            source = gradebook.find_notebook(info["notebook"], info["assignment"])
            expected = {cell.name: cell for cell in source.source_cells if cell.locked}
            graded = {cell.name for cell in source.grade_cells}
            seen: dict[str, int] = {}
            for cell in nb.cells:
                grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
                if not grade_id:
                    continue
                seen[grade_id] = seen.get(grade_id, 0) + 1
                if grade_id in expected and seen[grade_id] == 1:
                    original = expected[grade_id]
                    release_source = without_hidden_tests(original.source)
                    if not (_same_code(cell.source, release_source) or _same_code(cell.source, original.source)):
                        findings.append({"cell": grade_id, "problem": "locked cell edited; the original was "
                                         "restored before grading"})
            for grade_id, count in seen.items():
                if count > 1:
                    findings.append({"cell": grade_id, "problem": f"{count} cells share this grade id; the last "
                                     "one is graded, the others run as ordinary cells"})
            for grade_id in sorted(set(expected) - set(seen)):
                kind = "test cell" if grade_id in graded else "locked cell"
                findings.append({"cell": grade_id, "problem": f"{kind} deleted; restored and graded"})
            if findings:
                with contextlib.suppress(Exception):
                    submitted = gradebook.find_submission_notebook(info["notebook"], info["assignment"],
                                                                   info["student"])
                    submitted.flagged = True
                    gradebook.db.commit()
        folder = Path(self.report_dir) / info["assignment"]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{info['student']}.json").write_text(json.dumps(
            {"assignment": info["assignment"], "student": info["student"], "notebook": info["notebook"],
             "findings": findings}, indent=1))
        for finding in findings:
            self.log.warning("%s / %s: %s: %s", info["student"], info["assignment"], finding["cell"],
                             finding["problem"])
        return nb, resources


def integrity_rows(root: Path, assignment: str | None = None) -> list[dict]:
    rows = []
    for path in sorted((Path(root) / INTEGRITY_DIR).glob(f"{assignment or '*'}/*.json")):
        report = json.loads(path.read_text())
        for finding in report["findings"]:
            rows.append({"assignment": report["assignment"], "student": report["student"], **finding})
    return rows


class DeduplicateIds(_DeduplicateIds):
    """nbgrader's DeduplicateIds (the last cell with a grade id keeps it), without its crash.

    nbgrader empties the metadata of the earlier copies, and then ``OverwriteCells`` with
    ``add_missing_cells`` fails on those cells (KeyError 'grade_id') and the learner is not
    graded at all. Here the earlier copies lose the ``nbgrader`` key entirely: ordinary cells.
    """

    def preprocess(self, nb, resources):
        nb, resources = super().preprocess(nb, resources)
        for cell in nb.cells:
            if "nbgrader" in cell.metadata and not cell.metadata["nbgrader"]:
                del cell.metadata["nbgrader"]
        return nb, resources


# ---- feedback ----------------------------------------------------------------------------

class HideHiddenTests(NbGraderPreprocessor):
    """In feedback: hidden-test code is replaced by one comment line; tracebacks keep only the message."""

    placeholder = Unicode("# (hidden tests ran here; their code is not shown)").tag(config=True)
    # nbconvert hands this option to every feedback preprocessor (as it does to nbgrader's GetGrades).
    display_data_priority = List(["text/html", "application/pdf", "text/latex", "image/svg+xml", "image/png",
                                  "image/jpeg", "text/plain"], config=True)

    def preprocess_cell(self, cell, resources, index):
        if HIDDEN_BEGIN in cell.source:
            kept, hidden = [], False
            for line in cell.source.split("\n"):
                if HIDDEN_BEGIN in line:
                    hidden = True
                    kept.append(self.placeholder)
                elif HIDDEN_END in line:
                    hidden = False
                elif not hidden:
                    kept.append(line)
            cell.source = "\n".join(kept)
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources


# ---- the instructor's steps --------------------------------------------------------------

def collect(source: Path, submitted_dir: Path, assignments: list[str]) -> list[tuple[str, str]]:
    """Copy a folder (or zip) of submissions into nbgrader's ``submitted/<student>/<assignment>/``.

    Layout accepted: ``<student>/.../<assignment>.ipynb`` (one folder per learner, as
    learning platforms export them; the notebook keeps its release name). Returns the
    (student, assignment) pairs collected.
    """
    source = Path(source)
    with contextlib.ExitStack() as stack:
        if source.suffix == ".zip":
            import tempfile

            folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            with zipfile.ZipFile(source) as archive:
                for member in archive.namelist():  # refuse paths that climb out of the folder
                    if member.startswith("/") or ".." in Path(member).parts:
                        raise ValueError(f"unsafe path in the zip: {member}")
                archive.extractall(folder)
            source = folder
        collected = []
        names = {f"{a}.ipynb": a for a in assignments}
        for notebook in sorted(source.rglob("*.ipynb")):
            relative = notebook.relative_to(source)
            if ".ipynb_checkpoints" in relative.parts or relative.name not in names:
                continue
            parts = relative.parts
            if len(parts) < 2:
                continue  # no learner folder: cannot tell whose it is
            student, assignment = re.sub(r"[^A-Za-z0-9_.@-]", "_", parts[0]), names[relative.name]
            target = Path(submitted_dir) / student / assignment
            if target.exists():
                shutil.rmtree(target)
            target.mkdir(parents=True)
            shutil.copyfile(notebook, target / relative.name)
            stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(notebook.stat().st_mtime))
            (target / "timestamp.txt").write_text(stamp)
            collected.append((student, assignment))
        return collected


def export_csv(db_url: str, course_id: str, root: Path, target) -> list[dict]:
    """One row per learner and assignment: total, maximum, each test cell, and integrity flags."""
    from nbgrader.api import Gradebook, MissingEntry

    rows, cells = [], []
    with Gradebook(db_url, course_id) as gradebook:
        flags = {}
        for row in integrity_rows(root):
            flags.setdefault((row["assignment"], row["student"]), []).append(f"{row['cell']}: {row['problem']}")
        # Sorted by name, not by the order the gradebook happened to learn them in, so
        # the same grades give the same file (however many workers graded them).
        students = sorted(gradebook.students, key=lambda s: s.id)
        for assignment in sorted(gradebook.assignments, key=lambda a: a.name):
            for notebook in assignment.notebooks:
                for cell in notebook.grade_cells:
                    if f"{assignment.name}/{cell.name}" not in cells:
                        cells.append(f"{assignment.name}/{cell.name}")
            for student in students:
                try:
                    submission = gradebook.find_submission(assignment.name, student.id)
                except MissingEntry:
                    continue
                row = {"student": student.id, "assignment": assignment.name, "score": submission.score,
                       "max_score": submission.max_score,
                       "flags": " | ".join(flags.get((assignment.name, student.id), []))}
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        row[f"{assignment.name}/{grade.name}"] = grade.score
                rows.append(row)
    columns = ["student", "assignment", "score", "max_score", *cells, "flags"]
    writer = csv.DictWriter(target, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return rows


def score_table(root: Path, assignment: str, course_id: str = "learning-from-mistakes") -> list[str]:
    """Lines for the terminal: each learner's score on ``assignment``, cell by cell."""
    from nbgrader.api import Gradebook, MissingEntry

    lines = []
    with Gradebook(f"sqlite:///{Path(root) / 'grading' / 'gradebook.db'}", course_id) as gradebook:
        for student in sorted(gradebook.students, key=lambda s: s.id):
            try:
                submission = gradebook.find_submission(assignment, student.id)
            except MissingEntry:
                continue
            cells = ", ".join(f"{g.name} {g.score:g}/{g.max_score:g}" for n in submission.notebooks for g in n.grades)
            flag = "  FLAGGED" if any(n.flagged for n in submission.notebooks) else ""
            lines.append(f"  {student.id:<24} {submission.score:g} / {submission.max_score:g}   ({cells}){flag}")
    return lines
