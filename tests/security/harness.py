"""A throwaway copy of the whole course, with its own environment, graded by ``course.py grade``.

    template = prepare_template(ROOT, tmp / "template")   # once per session: copy, own .venv, grade release
    course = CourseCopy.clone(template, tmp_path / "course")  # per test: cp -a, seconds
    course.collect({"honest-correct": notebook, ...})
    before = course.snapshot()
    result = course.grade("autograde")                     # python3 <copy>/course.py grade autograde
    assert course.snapshot().changes_since(before) == []

The copy's ``.venv`` is a ``cp -a`` of the developer's, with the editable install of
``course_utils`` (and every script's ``#!`` line) pointed at the copy, so an attack that writes
into "the course's environment" writes into the copy's and nothing else.
"""
from __future__ import annotations

import compileall
import csv
import hashlib
import importlib.util
import json
import os
import py_compile
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ASSIGNMENT = "01_loss"
IGNORED_TOP = {".git", ".venv", "grading", "workspace", "test-artifacts", ".hypothesis", ".pytest_cache",
               "node_modules"}


# ---- building the copy --------------------------------------------------------------------

def _repoint(venv: Path, old_root: Path, new_root: Path) -> None:
    """Point the venv's editable install and script headers at ``new_root`` instead of ``old_root``."""
    site = next((venv / "lib").glob("python3*/site-packages"))
    candidates = [*site.glob("__editable__*"), *site.glob("*.pth"), *site.glob("*.dist-info/direct_url.json"),
                  *site.glob("*.egg-link"), *(venv / "bin").iterdir(), venv / "pyvenv.cfg"]
    old, new = str(old_root).encode(), str(new_root).encode()
    for path in candidates:
        if not path.is_file() or path.is_symlink() or path.stat().st_size > 1 << 20:
            continue
        data = path.read_bytes()
        if old in data:
            path.write_bytes(data.replace(old, new))
            if path.suffix == ".py":  # fresh bytecode now, or the first grading run writes it
                py_compile.compile(str(path), cfile=importlib.util.cache_from_source(str(path)), doraise=True)
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import course_utils; print(course_utils.__file__)"],
                           capture_output=True, text=True, cwd="/").stdout.strip()
    if not where.startswith(str(new_root) + os.sep):
        raise RuntimeError(f"the copy's environment imports course_utils from {where!r}, not from {new_root}")


def prepare_template(repo: Path, target: Path, env: dict) -> "CourseCopy":
    """The course at ``repo`` copied to ``target`` with its own environment, released once."""
    target.mkdir(parents=True)
    for entry in repo.iterdir():
        if entry.name in IGNORED_TOP:
            continue
        if entry.is_dir():
            shutil.copytree(entry, target / entry.name, symlinks=True,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        else:
            shutil.copy2(entry, target / entry.name, follow_symlinks=False)
    subprocess.run(["cp", "-a", str(repo / ".venv"), str(target / ".venv")], check=True)
    _repoint(target / ".venv", repo.resolve(), target.resolve())
    shutil.rmtree(target / "grading", ignore_errors=True)  # none of the developer's grading state
    course = CourseCopy(target, env)
    # Bytecode for everything the grader imports, so a grading run writes none of its own
    # (a changed file in the environment then means something wrote it).
    # In this process, not `python -m compileall -j 2`: the copy's interpreter is this one (its
    # venv was copied from it), cp -a kept the sources' times, so only stale files compile and
    # the walk over 39,000 files takes some 0.6 s instead of the subprocess's 8 s.
    for folder in (target / "course_utils", next((target / ".venv" / "lib").glob("python3*/site-packages"))):
        compileall.compile_dir(str(folder), quiet=2)
    result = course.grade("release", "--assignment", ASSIGNMENT)
    if result.returncode != 0:
        raise RuntimeError(f"grade release failed in the template:\n{result.stdout}\n{result.stderr}")
    return course


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str
    seconds: float = 0.0   # wall time of the command (shown in the report, never asserted)

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


class CourseCopy:
    def __init__(self, root: Path, env: dict):
        self.root = Path(root).resolve()
        self.env = dict(env, COURSE_VENV=str(self.root / ".venv"))

    @classmethod
    def clone(cls, template: "CourseCopy", target: Path) -> "CourseCopy":
        subprocess.run(["cp", "-a", str(template.root), str(target)], check=True)
        _repoint(Path(target) / ".venv", template.root, Path(target).resolve())
        course = cls(target, template.env)
        course.trust()
        return course

    def trust(self) -> None:
        """Where the course checks its grading environment against a manifest: record the copy's.

        Re-pointing the copy's environment changed a few of its files on purpose; an instructor
        does the same after changing the environment (``grade trust``).
        """
        if '"trust"' not in (self.root / "course.py").read_text():
            return
        result = self.grade("trust")
        if result.returncode != 0:
            raise RuntimeError(f"grade trust failed in {self.root}:\n{result.output}")

    @property
    def python(self) -> Path:
        return self.root / ".venv" / "bin" / "python"

    @property
    def gradebook(self) -> Path:
        return self.root / "grading" / "gradebook.db"

    def grade(self, step: str, *args: str, env: dict | None = None, timeout: float = 1800) -> Result:
        command = [shutil.which("python3", path=self.env["PATH"]) or "python3", str(self.root / "course.py"),
                   "grade", step, *args]
        start = time.monotonic()
        done = subprocess.run(command, cwd=self.root, env=dict(self.env, **(env or {})), capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        return Result(done.returncode, done.stdout, done.stderr, time.monotonic() - start)

    # -- learners
    def release_notebook(self) -> dict:
        return json.loads((self.root / "notebooks" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())

    def solution_notebook(self) -> dict:
        return json.loads((self.root / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())

    def collect(self, learners: dict[str, dict], where: Path) -> Result:
        for name, notebook in learners.items():
            folder = where / name
            folder.mkdir(parents=True)
            (folder / f"{ASSIGNMENT}.ipynb").write_text(json.dumps(notebook))
        result = self.grade("collect", str(where), "--assignment", ASSIGNMENT)
        if result.returncode != 0:
            # Graded anyway (placed where collect puts them) so the attacks still run; the
            # failure is reported as a broken promise of the run.
            for name in learners:
                target = self.root / "grading" / "submitted" / name / ASSIGNMENT
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy(where / name / f"{ASSIGNMENT}.ipynb", target)
        return result

    def autograded(self, student: str) -> Path:
        return self.root / "grading" / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"

    def feedback_page(self, student: str) -> Path:
        return self.root / "grading" / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html"

    def printed(self, student: str) -> str:
        """Everything the learner's own cells printed while graded (test cells left out)."""
        path = self.autograded(student)
        if not path.exists():
            return ""
        cells = [c for c in json.loads(path.read_text())["cells"]
                 if not c.get("metadata", {}).get("nbgrader", {}).get("grade")]
        return "\n".join("".join(o.get("text", "")) for c in cells for o in c.get("outputs", []))

    def attack_notes(self, student: str) -> list[str]:
        """Lines ``ATTACK ...`` the learner's code printed while graded: what it managed to do."""
        if not self.autograded(student).exists():
            return ["(no autograded notebook)"]
        return [line for line in self.printed(student).splitlines() if line.startswith("ATTACK ")]

    def grades(self) -> dict[str, dict[str, float]]:
        """student -> {cell: score, "total": score}, read with plain sqlite (nbgrader's score rule)."""
        with sqlite3.connect(f"file:{self.gradebook}?mode=ro", uri=True) as db:
            rows = db.execute(
                "SELECT sa.student_id, bc.name, COALESCE(g.manual_score, g.auto_score, 0) + "
                "COALESCE(g.extra_credit, 0) FROM grade g JOIN submitted_notebook sn ON g.notebook_id = sn.id "
                "JOIN submitted_assignment sa ON sn.assignment_id = sa.id JOIN base_cell bc ON g.cell_id = bc.id"
            ).fetchall()
        table: dict[str, dict[str, float]] = {}
        for student, cell, score in rows:
            table.setdefault(student, {})[cell] = float(score)
        for cells in table.values():
            cells["total"] = sum(cells.values())
        return table

    def csv_rows(self, path: Path) -> list[dict]:
        with open(path, newline="") as handle:
            return list(csv.DictReader(handle))

    # -- what must not change
    def snapshot(self) -> "Snapshot":
        return Snapshot.take(self)


def _file_state(path: Path, content: bool):
    info = path.lstat()
    if path.is_symlink():
        return ("link", os.readlink(path))
    if not path.is_file():
        return ("other", info.st_mode)
    if content:
        return ("file", info.st_mode, hashlib.sha256(path.read_bytes()).hexdigest())
    # ctime moves on every write, chmod or utime: no need to read 700 MB of environment.
    return ("file", info.st_mode, info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)


@dataclass
class Snapshot:
    files: dict
    schema: list

    @classmethod
    def take(cls, course: CourseCopy) -> "Snapshot":
        files = {}
        for folder, dirs, names in os.walk(course.root):
            here = Path(folder)
            relative = here.relative_to(course.root)
            if relative.parts[:1] in (("grading",),):
                dirs[:] = []
                continue
            for name in names + [d for d in dirs if (here / d).is_symlink()]:
                in_venv = relative.parts[:1] == (".venv",)
                files[str(relative / name)] = _file_state(here / name, content=not in_venv)
        schema = []
        if course.gradebook.exists():
            with sqlite3.connect(f"file:{course.gradebook}?mode=ro", uri=True) as db:
                schema = sorted(db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall(),
                                key=repr)
        return cls(files, schema)

    def changes_since(self, before: "Snapshot") -> list[str]:
        changes = [f"changed {p}" for p in sorted(set(self.files) & set(before.files))
                   if self.files[p] != before.files[p]]
        changes += [f"added {p}" for p in sorted(set(self.files) - set(before.files))]
        changes += [f"removed {p}" for p in sorted(set(before.files) - set(self.files))]
        changes += [f"gradebook schema: new {row[0]} {row[1]}" for row in self.schema if row not in before.schema]
        changes += [f"gradebook schema: lost {row[0]} {row[1]}" for row in before.schema if row not in self.schema]
        return changes


# ---- processes ------------------------------------------------------------------------------

def processes_mentioning(*needles: str) -> list[tuple[int, str]]:
    """(pid, command line) of every process whose command line or environment holds a needle."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if any(n.encode() in cmdline or n.encode() in environ for n in needles):
            found.append((int(entry.name), cmdline.replace(b"\0", b" ").decode(errors="replace")[:200]))
    return found


def end_processes(pids: list[int]) -> None:
    """Kill processes this test's grading run left behind (each found by its own marker)."""
    for pid in pids:
        try:
            os.kill(pid, 9)
        except (ProcessLookupError, PermissionError):
            pass


def wait_for_settle(seconds: float) -> None:
    """Time for a detached process to do what it waited for (no assertion on time)."""
    time.sleep(seconds)


def grading_state(course: CourseCopy) -> dict:
    """Hashes of every file under grading/ (gradebook rows included): a later change is tampering."""
    state = {}
    for path in sorted((course.root / "grading").rglob("*")):
        if path.is_file() and not path.is_symlink() and path.name != "gradebook.db":
            state[str(path.relative_to(course.root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    state["gradebook grades"] = repr(sorted(course.grades().items()))
    return state


def visible_words(html: str) -> str:
    return re.sub(r"\s+", " ", html)
