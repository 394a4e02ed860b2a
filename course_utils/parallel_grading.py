"""Autograde a class on every core, with nbgrader's own command and one gradebook written safely.

Contract: :func:`autograde_parallel` leaves the course exactly as running
``nbgrader autograde ASSIGNMENT --force`` for each assignment would (same autograded
notebooks, same gradebook rows, same integrity reports), only sooner: the learners are
split into ``jobs`` groups, and each group is graded by its own ``nbgrader autograde``
process at the same time as the others.

Why that is safe:

- every worker runs nbgrader's real command with the course's ``nbgrader_config.py``,
  on its own learners only (``--CourseDirectory.student_id_exclude`` lists the others),
  so each learner's files are written by exactly one process;
- a worker never opens the course's gradebook: it writes into its own copy (sqlite does
  not like several writers). When all workers are done, their rows for their own
  learners are copied into the course gradebook in ONE transaction, replacing that
  learner's previous rows for the assignment, so a crash leaves the old gradebook;
- a lock file keeps two parallel runs on the same course apart.

    cd COURSE && python -m course_utils.parallel_grading 01_loss 02_gradient_descent --jobs 2
    cd COURSE && python -m course_utils.parallel_grading            # every assignment submitted
"""
from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

# The gradebook tables that hold a learner's submission, parents first. Everything else
# (assignments, notebooks, cells) is the course's definition and is never touched here.
SUBMISSION_TABLES = ("submitted_assignment", "submitted_notebook", "grade", "comment")


@dataclass
class CourseDirs:
    """Where the course keeps submissions and the gradebook (from ``nbgrader_config.py``)."""
    root: Path
    submitted: Path
    db: Path

    @classmethod
    def read(cls, root: Path) -> "CourseDirs":
        from traitlets.config import Config

        root = Path(root).resolve()
        config = Config()
        config_file = root / "nbgrader_config.py"
        if config_file.exists():
            code = compile(config_file.read_text(encoding="utf-8"), str(config_file), "exec")
            with _working_directory(root):
                exec(code, {"get_config": lambda: config, "__file__": str(config_file)})  # noqa: S102
        course = config.get("CourseDirectory", {})
        submitted = root / course.get("submitted_directory", "submitted")
        db_url = course.get("db_url", "sqlite:///gradebook.db")
        if not db_url.startswith("sqlite:///"):
            raise ValueError(f"parallel grading needs an sqlite gradebook; this course uses {db_url}")
        db = Path(db_url[len("sqlite:///"):])
        return cls(root, submitted, db if db.is_absolute() else root / db)


@dataclass
class WorkerResult:
    students: list[str]
    seconds: float = 0.0
    returncodes: list[int] = field(default_factory=list)
    log: str = ""


@contextlib.contextmanager
def _working_directory(path: Path):
    before = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


@contextlib.contextmanager
def course_lock(dirs: CourseDirs):
    """Hold an exclusive lock for the course's gradebook, or fail at once if another run has it."""
    lock_path = dirs.db.with_name(dirs.db.name + ".parallel-lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RuntimeError(f"another parallel grading run holds {lock_path}; wait for it to finish") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def submitted_students(dirs: CourseDirs, assignments: list[str]) -> list[str]:
    """Learners with a submission folder for at least one of ``assignments``."""
    if not dirs.submitted.is_dir():
        return []
    return sorted(p.name for p in dirs.submitted.iterdir()
                  if p.is_dir() and any((p / a).is_dir() for a in assignments))


def split_students(students: list[str], dirs: CourseDirs, assignments: list[str], jobs: int) -> list[list[str]]:
    """``jobs`` groups with about the same number of notebooks each (largest first, greedy)."""
    def load(student):
        return sum(len(list((dirs.submitted / student / a).glob("*.ipynb"))) for a in assignments)

    groups: list[list[str]] = [[] for _ in range(max(1, min(jobs, len(students))))]
    sizes = [0] * len(groups)
    for student in sorted(students, key=lambda s: (-load(s), s)):
        i = sizes.index(min(sizes))
        groups[i].append(student)
        sizes[i] += load(student)
    return [g for g in groups if g]


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy of an sqlite file (sqlite's backup API, not a byte copy)."""
    with contextlib.closing(sqlite3.connect(source)) as src, contextlib.closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def _columns(con: sqlite3.Connection, schema: str, table: str) -> list[str]:
    return [row[1] for row in con.execute(f"PRAGMA {schema}.table_info({table})")]


def merge_worker_database(main_db: Path, worker_db: Path, students: list[str], assignments: list[str]) -> int:
    """Copy the worker's gradebook rows for ``students`` x ``assignments`` into ``main_db``.

    The course's existing rows for those submissions are replaced, in one transaction.
    Returns the number of submissions copied.
    """
    con = sqlite3.connect(main_db, timeout=120, isolation_level=None)
    try:
        con.execute("ATTACH DATABASE ? AS w", (str(worker_db),))
        con.execute("BEGIN IMMEDIATE")
        try:
            con.execute("CREATE TEMP TABLE pairs (assignment_name TEXT, student_id TEXT)")
            con.executemany("INSERT INTO temp.pairs VALUES (?, ?)", [(a, s) for a in assignments for s in students])
            # The worker's gradebook began as a copy of this one: the course definition
            # (assignment, notebook and cell ids) must still be the same.
            for table in ("assignment", "notebook", "base_cell"):
                differ = con.execute(f"SELECT count(*) FROM (SELECT id FROM w.{table} EXCEPT "
                                     f"SELECT id FROM main.{table})").fetchone()[0]
                if differ:
                    raise RuntimeError(f"the worker's gradebook has {differ} {table} rows the course does not")
            picked = {}
            for schema in ("main", "w"):
                con.execute(f"CREATE TEMP TABLE sa_{schema} AS SELECT sa.id AS id FROM {schema}.submitted_assignment sa "
                            f"JOIN {schema}.assignment a ON a.id = sa.assignment_id "
                            f"JOIN temp.pairs p ON p.assignment_name = a.name AND p.student_id = sa.student_id")
                con.execute(f"CREATE TEMP TABLE sn_{schema} AS SELECT id FROM {schema}.submitted_notebook "
                            f"WHERE assignment_id IN (SELECT id FROM temp.sa_{schema})")
                picked[schema] = {
                    "submitted_assignment": f"id IN (SELECT id FROM temp.sa_{schema})",
                    "submitted_notebook": f"id IN (SELECT id FROM temp.sn_{schema})",
                    "grade": f"notebook_id IN (SELECT id FROM temp.sn_{schema})",
                    "comment": f"notebook_id IN (SELECT id FROM temp.sn_{schema})",
                }
            for table in reversed(SUBMISSION_TABLES):  # children first
                con.execute(f"DELETE FROM main.{table} WHERE {picked['main'][table]}")
            columns = ", ".join(_columns(con, "main", "student"))
            con.execute(f"INSERT OR REPLACE INTO main.student ({columns}) SELECT {columns} FROM w.student "
                        f"WHERE id IN (SELECT student_id FROM temp.pairs)")
            for table in SUBMISSION_TABLES:  # parents first
                columns = ", ".join(_columns(con, "main", table))
                con.execute(f"INSERT INTO main.{table} ({columns}) SELECT {columns} FROM w.{table} "
                            f"WHERE {picked['w'][table]}")
            copied = con.execute("SELECT count(*) FROM temp.sa_w").fetchone()[0]
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        return copied
    finally:
        for table in ("pairs", "sa_main", "sa_w", "sn_main", "sn_w"):
            with contextlib.suppress(sqlite3.Error):
                con.execute(f"DROP TABLE IF EXISTS temp.{table}")
        with contextlib.suppress(sqlite3.Error):
            con.execute("DETACH DATABASE w")
        con.close()


def _nbgrader_env() -> dict:
    # nbgrader runs the `alembic` command of its own environment: put it on PATH.
    return dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")


def _run_worker(dirs: CourseDirs, assignments: list[str], students: list[str], everyone: list[str],
                db: Path, extra_args: list[str]) -> WorkerResult:
    result = WorkerResult(students)
    others = sorted(set(everyone) - set(students))
    start = time.perf_counter()
    logs = []
    mine = [a for a in assignments if any((dirs.submitted / s / a).is_dir() for s in students)]
    for assignment in mine:
        command = [sys.executable, "-m", "nbgrader", "autograde", assignment, "--force",
                   f"--CourseDirectory.db_url=sqlite:///{db}", *extra_args]
        if others:
            command.append(f"--CourseDirectory.student_id_exclude={','.join(others)}")
        done = subprocess.run(command, cwd=dirs.root, env=_nbgrader_env(), capture_output=True, text=True)
        result.returncodes.append(done.returncode)
        logs.append(f"$ nbgrader autograde {assignment} (learners {students[0]}..{students[-1]}): "
                    f"exit {done.returncode}\n{done.stdout}{done.stderr}")
    result.seconds = time.perf_counter() - start
    result.log = "\n".join(logs)
    return result


def autograde_parallel(root: Path, assignments: list[str] | None = None, jobs: int | None = None,
                       extra_args: list[str] | None = None) -> list[WorkerResult]:
    """Grade every submitted learner of ``assignments`` with ``jobs`` nbgrader processes at once.

    ``assignments`` defaults to every assignment folder in the course's source
    directory that has submissions; ``jobs`` to the number of cores. Raises
    ``RuntimeError`` (after merging what was graded) if any nbgrader run failed, as
    ``nbgrader autograde`` exits non-zero then too.
    """
    dirs = CourseDirs.read(Path(root))
    if not dirs.db.exists():
        raise FileNotFoundError(f"no gradebook at {dirs.db}: run `nbgrader generate_assignment` for each assignment first")
    if assignments is None:
        assignments = sorted({p.name for p in dirs.submitted.glob("*/*") if p.is_dir()})
    students = submitted_students(dirs, assignments)
    if not students:
        return []
    groups = split_students(students, dirs, assignments, jobs or os.cpu_count() or 1)
    with course_lock(dirs), tempfile.TemporaryDirectory(prefix="parallel-grading-") as scratch:
        databases = []
        for i, _ in enumerate(groups):
            db = Path(scratch) / f"worker{i}.db"
            copy_database(dirs.db, db)
            databases.append(db)
        with ThreadPoolExecutor(max_workers=len(groups)) as pool:
            futures = [pool.submit(_run_worker, dirs, assignments, group, students, db, list(extra_args or []))
                       for group, db in zip(groups, databases)]
            results = [f.result() for f in futures]
        for result, db in zip(results, databases):
            merge_worker_database(dirs.db, db, result.students, assignments)
    failed = [r for r in results if any(r.returncodes)]
    if failed:
        raise RuntimeError("nbgrader reported errors (grades of what it did grade are saved):\n"
                           + "\n".join(r.log[-4000:] for r in failed))
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignments", nargs="*", help="assignment names (default: every one with submissions)")
    parser.add_argument("--jobs", type=int, default=None, help="nbgrader processes at once (default: cores)")
    parser.add_argument("--course", type=Path, default=Path.cwd(), help="course folder (default: here)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    results = autograde_parallel(args.course, args.assignments or None, args.jobs)
    learners = sum(len(r.students) for r in results)
    print(f"graded {learners} learners with {len(results)} nbgrader processes at once "
          f"in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
