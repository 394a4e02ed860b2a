"""Autograde learners in parallel (``python3 course.py grade autograde --jobs N``).

nbgrader grades learners one after another in one process. Here the learners of an
assignment are dealt round-robin to N workers; each worker is an ordinary
``nbgrader autograde`` that sees only its learners (a folder of links into
``grading/submitted``) and writes to its own copy of the gradebook, so no two processes
ever write the same sqlite file. When all workers are done, their grades, comments and
flags are copied into the real gradebook by this one process. The grading itself is the
same code as the sequential run, so the scores are the same.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

# Thread pools of numerical libraries, sized to the worker's share of the cores: N
# workers that each let OpenBLAS start one thread per core oversubscribe the machine,
# and a learner's training cell can then miss its per-cell timeout.
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def worker_environment(jobs: int, cores: int | None = None) -> dict:
    """os.environ with each worker's BLAS/OpenMP threads = cores // jobs (an explicit setting wins)."""
    env = dict(os.environ)
    threads = str(max(1, (cores or os.cpu_count() or 1) // max(1, jobs)))
    for name in THREAD_VARIABLES:
        env.setdefault(name, threads)
    return env


GRADE_FIELDS = ("auto_score", "manual_score", "extra_credit", "needs_manual_grade")
COMMENT_FIELDS = ("auto_comment", "manual_comment")


def plan(students: list[str], jobs: int) -> list[list[str]]:
    """Deal the learners round-robin to at most ``jobs`` non-empty groups."""
    jobs = max(1, min(jobs, len(students)))
    return [students[k::jobs] for k in range(jobs)]


def autograde_parallel(course: Path, assignment: str, jobs: int, log: Path, python: str = sys.executable,
                       extra: tuple[str, ...] = ()) -> None:
    """``nbgrader autograde assignment --force`` over ``jobs`` workers; ``extra`` goes to each worker."""
    import os

    # nbgrader runs the `alembic` command of its own environment: it must be on PATH.
    env = dict(worker_environment(jobs), PATH=f"{Path(python).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    course = Path(course).resolve()
    grading = course / "grading"
    submitted = grading / "submitted"
    students = sorted(p.parent.name for p in submitted.glob(f"*/{assignment}") if p.is_dir())
    if not students:
        return
    work = grading / ".parallel" / assignment
    shutil.rmtree(work, ignore_errors=True)
    workers = []
    for k, group in enumerate(plan(students, jobs)):
        folder = work / f"worker{k}"
        for student in group:
            (folder / "submitted" / student).mkdir(parents=True)
            (folder / "submitted" / student / assignment).symlink_to(submitted / student / assignment,
                                                                     target_is_directory=True)
        shutil.copyfile(grading / "gradebook.db", folder / "gradebook.db")
        output = open(folder / "autograde.log", "w")
        command = [python, "-m", "nbgrader", "autograde", assignment, "--force",
                   f"--CourseDirectory.submitted_directory={folder / 'submitted'}",
                   f"--CourseDirectory.db_url=sqlite:///{folder / 'gradebook.db'}", *extra]
        workers.append((folder, group, output, subprocess.Popen(command, cwd=course, stdout=output, env=env,
                                                                  stderr=subprocess.STDOUT)))
    failed = []
    for folder, group, output, process in workers:
        if process.wait() != 0:
            failed.append(folder.name)
        output.close()
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("".join((folder / "autograde.log").read_text() for folder, *_ in workers))
    for folder, group, *_ in workers:
        merge(f"sqlite:///{folder / 'gradebook.db'}", f"sqlite:///{grading / 'gradebook.db'}", assignment, group)
    shutil.rmtree(work, ignore_errors=True)
    if failed:
        raise RuntimeError(f"autograde failed in {', '.join(failed)}: see {log}")


def merge(worker_url: str, main_url: str, assignment: str, students: list[str]) -> None:
    """Copy the workers' results for ``students`` into the main gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(worker_url) as worker, Gradebook(main_url) as main:
        for student in students:
            try:
                theirs = worker.find_submission(assignment, student)
            except MissingEntry:
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
