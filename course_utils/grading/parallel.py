"""Autograde a class in parallel (``python3 course.py grade autograde --jobs N``).

nbgrader grades submissions one after another in one process, and the usual way to
grade a course, one ``nbgrader autograde <assignment>`` per assignment, pays nbgrader's
start-up (about 2.5 s) once per assignment. Here every submission of every requested
assignment is dealt to N workers before any grading starts:

- each worker is one ordinary ``nbgrader autograde`` process that sees only its share
  (a private ``submitted`` folder of links into ``grading/submitted``) and grades all of
  it, across assignments, with no barrier between assignments, so a worker that draws
  short notebooks simply goes on with the next one;
- each worker writes to its own copy of the gradebook, so no two processes ever write
  the same sqlite file;
- when all workers are done, this one process copies their grades, comments and flags
  into the real gradebook.

The grading itself is the same code as the sequential run (same preprocessors, same
sandbox, same timeouts), so the scores are the same; ``tests/test_grading_workflow.py``
and ``benchmarks/autograde.py`` compare them.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterable

# Thread pools of numerical libraries, sized to the worker's share of the cores: N
# workers that each let OpenBLAS start one thread per core oversubscribe the machine,
# and a learner's training cell can then miss its per-cell timeout.
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

GRADE_FIELDS = ("auto_score", "manual_score", "extra_credit", "needs_manual_grade")
COMMENT_FIELDS = ("auto_comment", "manual_comment")


def worker_environment(jobs: int, cores: int | None = None) -> dict:
    """os.environ with each worker's BLAS/OpenMP threads = cores // jobs (an explicit setting wins)."""
    env = dict(os.environ)
    threads = str(max(1, (cores or os.cpu_count() or 1) // max(1, jobs)))
    for name in THREAD_VARIABLES:
        env.setdefault(name, threads)
    return env


def submissions(submitted: Path, assignments: Iterable[str]) -> list[tuple[str, str]]:
    """Every (assignment, student) with a folder ``submitted/<student>/<assignment>``, sorted."""
    wanted = set(assignments)
    return sorted((p.name, p.parent.name) for p in Path(submitted).glob("*/*") if p.is_dir() and p.name in wanted)


def plan(pairs: list[tuple[str, str]], jobs: int) -> list[list[tuple[str, str]]]:
    """Deal the (assignment, student) pairs round-robin to at most ``jobs`` non-empty shares.

    The pairs come sorted by assignment, so every worker gets an equal share (to within
    one submission) of each assignment: the long notebooks are split as evenly as the
    short ones, whatever the size of the class.
    """
    jobs = max(1, min(jobs, len(pairs)))
    return [pairs[k::jobs] for k in range(jobs)]


def autograde_parallel(course: Path, assignments: str | Iterable[str], jobs: int, log: Path,
                       python: str = sys.executable, extra: tuple[str, ...] = (),
                       skip: Iterable[tuple[str, str]] = ()) -> list[tuple[str, str]]:
    """``nbgrader autograde <a> --force`` for each of ``assignments``, over ``jobs`` workers.

    ``extra`` is passed to each worker's nbgrader; the workers' logs are joined into
    ``log``; the (assignment, student) pairs in ``skip`` are not handed to nbgrader (see
    :mod:`course_utils.grading.intake`). Returns the (assignment, student) pairs that were graded. Raises
    ``RuntimeError`` (after merging what was graded) when a worker reports an error.
    """
    if isinstance(assignments, str):
        assignments = [assignments]
    # nbgrader runs the `alembic` command of its own environment: it must be on PATH.
    env = dict(worker_environment(jobs), PATH=f"{Path(python).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    course = Path(course).resolve()
    grading = course / "grading"
    submitted = grading / "submitted"
    pairs = [pair for pair in submissions(submitted, assignments) if pair not in set(skip)]
    if not pairs:
        return []
    work = grading / ".parallel"
    shutil.rmtree(work, ignore_errors=True)
    workers = []
    for k, share in enumerate(plan(pairs, jobs)):
        folder = work / f"worker{k}"
        for assignment, student in share:
            (folder / "submitted" / student).mkdir(parents=True, exist_ok=True)
            (folder / "submitted" / student / assignment).symlink_to(submitted / student / assignment,
                                                                     target_is_directory=True)
        shutil.copyfile(grading / "gradebook.db", folder / "gradebook.db")
        output = open(folder / "autograde.log", "w")
        # "*" is a file glob for nbgrader (it matches assignment folders with glob.glob),
        # and this worker's submitted folder holds exactly its share.
        command = [python, "-m", "nbgrader", "autograde", "*", "--force",
                   f"--CourseDirectory.submitted_directory={folder / 'submitted'}",
                   f"--CourseDirectory.db_url=sqlite:///{folder / 'gradebook.db'}", *extra]
        workers.append((folder, share, output, subprocess.Popen(command, cwd=course, stdout=output, env=env,
                                                                  stderr=subprocess.STDOUT)))
    failed = []
    for folder, share, output, process in workers:
        if process.wait() != 0:
            failed.append(folder.name)
        output.close()
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("".join((folder / "autograde.log").read_text() for folder, *_ in workers))
    for folder, share, *_ in workers:
        merge(f"sqlite:///{folder / 'gradebook.db'}", f"sqlite:///{grading / 'gradebook.db'}", share)
    shutil.rmtree(work, ignore_errors=True)
    if failed:
        raise RuntimeError(f"autograde failed in {', '.join(failed)}: see {log}")
    return pairs


def merge(worker_url: str, main_url: str, pairs: Iterable[tuple[str, str]]) -> None:
    """Copy a worker's results for its (assignment, student) pairs into the main gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(worker_url) as worker, Gradebook(main_url) as main:
        for assignment, student in pairs:
            try:
                theirs = worker.find_submission(assignment, student)
            except MissingEntry:  # nbgrader could not grade it: its log says why
                continue
            main.update_or_create_student(student)
            main.update_or_create_submission(assignment, student, timestamp=theirs.timestamp)
            for notebook in theirs.notebooks:
                ours = main.find_submission_notebook(notebook.name, assignment, student)
                ours.flagged = notebook.flagged
                ours.late_submission_penalty = notebook.late_submission_penalty
                for grade in notebook.grades:
                    target = main.find_grade(grade.name, notebook.name, assignment, student)
                    for field in GRADE_FIELDS:
                        setattr(target, field, getattr(grade, field))
                for comment in notebook.comments:
                    target = main.find_comment(comment.name, notebook.name, assignment, student)
                    for field in COMMENT_FIELDS:
                        setattr(target, field, getattr(comment, field))
        main.db.commit()
