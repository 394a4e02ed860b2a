"""SandboxExecute: nbgrader's execute step with the learner's code and the checks apart.

Every cell except graded test cells runs in the learner's sandbox; instructor-locked
cells also run here, in the grader, so the checks have their tools; graded test cells
run only here, with names fetched from the sandbox as plain data or proxies
(see :mod:`course_utils.grading`).
"""
from __future__ import annotations

import ast
import builtins
import contextlib
import json
import os
import time

import nbformat
from nbformat.notebooknode import NotebookNode
from traitlets import Enum, Integer

from nbgrader.preprocessors import NbGraderPreprocessor

from course_utils.grading import confine
from course_utils.grading.learner_process import LearnerProcess, SandboxDied, SandboxMisbehaved, SandboxTimeout

ISOLATION_DIR = "grading/isolation"
MISBEHAVED = ("the process running your code sent the grader something it did not ask for ({why}); "
              "nothing it sent is trusted, so this cell scores 0")
from course_utils.grading.protocol import Capture
from course_utils.feedback import CheckFailed

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


def _capped(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n... output trimmed: {len(text) - limit} more characters are not shown ...\n"


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
    isolation = Enum(["bubblewrap", "none"], "bubblewrap",
                     help="bubblewrap: learners' code runs confined by the operating system (see "
                          "course_utils/grading/confine.py); none: not confined, and every grade is marked so. "
                          "`course.py grade autograde --unsafe-no-isolation` sets none").tag(config=True)
    memory_limit = Integer(confine.Limits.memory, help="bytes of address space per learner process").tag(config=True)
    process_limit = Integer(confine.Limits.processes, help="processes a learner's code may run").tag(config=True)
    file_size_limit = Integer(confine.Limits.file_size, help="bytes per file a learner's code may write").tag(
        config=True)

    def preprocess(self, nb: NotebookNode, resources: dict):
        cwd = resources.get("metadata", {}).get("path") or os.getcwd()
        self.cwd = cwd
        self.confined = self.isolation == "bubblewrap"
        if self.confined:
            available, reason = confine.availability()
            if not available:
                raise RuntimeError(f"grading refused: {reason}")
        self.limits = confine.Limits(memory=self.memory_limit, processes=self.process_limit,
                                     file_size=self.file_size_limit)
        self._record_isolation(resources)
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
        return LearnerProcess(self.cwd, self.timeout, self.output_limit, preload=self.preload,
                              confined=self.confined, limits=self.limits)

    def _record_isolation(self, resources: dict) -> None:
        """``grading/isolation/<assignment>/<student>.json``: how this submission was confined (read by export)."""
        info = resources.get("nbgrader", {})
        if not info.get("assignment") or not info.get("student"):
            return
        folder = os.path.join(ISOLATION_DIR, info["assignment"])
        os.makedirs(folder, exist_ok=True)
        record = {"isolation": "bubblewrap"} if self.confined else \
            {"isolation": "none", "reason": "graded with --unsafe-no-isolation (SandboxExecute.isolation = none)"}
        with open(os.path.join(folder, f"{info['student']}.json"), "w") as handle:
            json.dump(record, handle)

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
        except SandboxMisbehaved as error:
            cell.outputs = [_error_output("ProtocolError", MISBEHAVED.format(why=error))]
            self.learner = self._start()
            return
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
        # The sandbox keeps output_limit characters itself, but its reply is a claim: cut again here.
        cell.outputs = _stream_outputs(_capped(reply.get("stdout", ""), self.output_limit),
                                       _capped(reply.get("stderr", ""), self.output_limit))
        if reply["status"] == "ok":
            self.replay.append((label, cell.source))
        else:
            cell.outputs.append(_error_output(str(reply.get("ename") or "Error")[:100],
                                              _capped(reply.get("evalue", "") + reply.get("learner_line", ""),
                                                      self.output_limit)))

    @staticmethod
    def _instructor_names(nb: NotebookNode) -> tuple[set[str], list[str]]:
        """Names the instructor's locked cells bind (never taken from the learner's process),
        and the modules they import (imported once by the sandbox factory).

        Test cells count for their imports only (``from course_utils.checks... import check_x``
        is always the grader's own); the data a test cell makes stays its own through
        ``self.fetched`` (see :meth:`_run_here`).
        """
        names, modules = set(), ["numpy", "IPython.core.interactiveshell", "IPython.core.inputtransformer2"]
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type != "code" or not meta.get("locked") or meta.get("solution"):
                continue
            with contextlib.suppress(SyntaxError):
                for node in ast.walk(ast.parse(_python_source(cell.source))):
                    if meta.get("grade") and not isinstance(node, (ast.Import, ast.ImportFrom)):
                        continue
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
                try:
                    values = self.learner.lookup(wanted)
                    self.namespace.update(values)
                    self.fetched.update(values)
                except SandboxMisbehaved as error:
                    return RuntimeError(MISBEHAVED.format(why=error))
                except (SandboxDied, SandboxTimeout):
                    pass  # the names stay missing: the check says which one
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
            message = str(error) if isinstance(error, (AssertionError, NameError, RuntimeError)) \
                else f"{type(error).__name__}: {error}"
            output = _error_output(type(error).__name__, message or "a check failed")
            render = getattr(type(error), "_render_traceback_", None)
            if isinstance(error, CheckFailed) and render is not None:
                output.traceback = list(render(error))  # the message alone, as IPython shows it
            elif message and message in printed:  # the check printed it already: say it once
                output.traceback = [f"{type(error).__name__}: this check did not pass (see the message above)."]
            outputs.append(output)
        if self.learner.dead:
            self.learner = self._start()
        return outputs
