"""A learner's own notebooks graded the way the instructor grades them, hidden tests included.

:func:`grade` builds a private nbgrader course in a temporary folder (the instructor's
source notebooks of the assignments asked for, the course's ``nbgrader_config.py``, an
empty gradebook), hands in a *copy* of each learner notebook, and runs nbgrader's own
``generate_assignment`` and ``autograde``: the same preprocessors, the same
:class:`~course_utils.grading.SandboxExecute` (learner cells confined by bubblewrap where
it works, :mod:`course_utils.grading.confine`), the same restored hidden tests. What
leaves it is, per test cell, the score and the check's message; the folder, with the
hidden tests, is deleted before :func:`grade` returns.

Several notebooks are shared among ``jobs`` worker processes, each with its own private
course (``python -m course_utils.selfpaced.grader``); a notebook's cost is dominated by
its slowest cells (training in 06 and 07), so the costly ones are dealt first.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

LEARNER = "you"
COURSE_ID = "learning-from-mistakes"
# Rough seconds to grade each notebook, to deal the slow ones first (measured on 2 cores).
COST = {"07_mnist": 20, "06_architecture": 8, "08_next_character": 6}


def _message(cell: dict) -> str:
    """The check's words from a graded test cell's outputs (the error's message, else what it printed)."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return str(output.get("evalue") or output.get("ename") or "this check did not pass")
    printed = "".join("".join(o.get("text", "")) for o in cell.get("outputs", []) if o.get("output_type") == "stream")
    return printed.strip() or "this check did not pass"


def _api(course: Path, isolation: str):
    from traitlets.config.loader import PyFileConfigLoader
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    config.CourseDirectory.root = str(course)
    config.CourseDirectory.db_url = f"sqlite:///{course / 'grading' / 'gradebook.db'}"
    config.SandboxExecute.isolation = isolation
    return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)


def empty_gradebook() -> Path:
    """An empty gradebook of this nbgrader, made once per environment and copied for each run.

    nbgrader stamps a new gradebook with its schema version by running ``alembic heads`` in
    a subprocess, which takes about 2 s; a copy of an empty one costs nothing. It holds only
    nbgrader's tables (no assignment, no test).
    """
    import nbgrader
    from nbgrader.api import Gradebook

    path = Path(sys.prefix) / "var" / "learning-from-mistakes" / f"empty-gradebook-{nbgrader.__version__}.db"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
        partial.unlink(missing_ok=True)
        Gradebook(f"sqlite:///{partial}", COURSE_ID).close()
        partial.replace(path)
    return path


def grade_here(root: Path, notebooks: dict[str, Path], isolation: str) -> dict:
    """Grade ``{assignment: learner notebook}`` in this process; see :func:`grade` for the result."""
    from nbgrader.api import Gradebook, MissingEntry

    from course_utils.grading.intake import prepare

    root = Path(root).resolve()
    results: dict[str, dict] = {}
    here = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="course-progress-") as folder:
        course = Path(folder) / "course"
        (course / "grading").mkdir(parents=True)
        shutil.copyfile(empty_gradebook(), course / "grading" / "gradebook.db")
        shutil.copy(root / "nbgrader_config.py", course)
        for name, path in notebooks.items():
            shutil.copytree(root / "solutions" / name, course / "solutions" / name)
            target = course / "grading" / "submitted" / LEARNER / name / Path(path).name
            target.parent.mkdir(parents=True)
            shutil.copyfile(path, target)  # the learner's file itself is never written
        os.chdir(course)  # nbgrader's relative folders (grading/isolation, ...) are the private course's
        try:
            api = _api(course, isolation)
            for name in notebooks:
                made = api.generate_assignment(name, force=True, create=True)
                if not made["success"]:
                    raise RuntimeError(f"could not prepare {name} for grading:\n{made.get('log', '')[-2000:]}")
            for name in notebooks:
                refused = prepare(course, name).get(LEARNER)
                if refused:
                    results[name] = {"unreadable": refused.removeprefix("cannot be graded: ")}
                    continue
                done = api.autograde(name, LEARNER, force=True, create=True)
                graded = course / "grading" / "autograded" / LEARNER / name / Path(notebooks[name]).name
                if not graded.exists():
                    results[name] = {"unreadable": "nbgrader could not grade it"
                                     + (f" ({done['error'].strip().splitlines()[-1]})" if done.get("error") else "")}
                    continue
                cells = {}
                graded_nb = json.loads(graded.read_text(encoding="utf-8"))
                by_id = {c.get("metadata", {}).get("nbgrader", {}).get("grade_id"): c for c in graded_nb["cells"]}
                with Gradebook(f"sqlite:///{course / 'grading' / 'gradebook.db'}", COURSE_ID) as gradebook:
                    submission = gradebook.find_submission(name, LEARNER)
                    for nb in submission.notebooks:
                        for g in nb.grades:
                            score = float(g.score or 0)
                            cells[g.name] = {"score": score, "max": float(g.max_score),
                                             "message": "" if score >= g.max_score else _message(by_id.get(g.name, {}))}
                results[name] = {"cells": cells}
        except MissingEntry as error:
            raise RuntimeError(f"grading lost a submission: {error}") from None
        finally:
            os.chdir(here)
    return results


def plan(names: list[str], jobs: int) -> list[list[str]]:
    """Deal assignment names to at most ``jobs`` workers, costly ones first, each to the least loaded."""
    shares = [[] for _ in range(max(1, min(jobs, len(names))))]
    loads = [0.0] * len(shares)
    for name in sorted(names, key=lambda n: -COST.get(n, 3)):
        k = loads.index(min(loads))
        shares[k].append(name)
        loads[k] += COST.get(name, 3)
    return [share for share in shares if share]


def grade(root: Path, notebooks: dict[str, Path], isolation: str, jobs: int = 1) -> dict:
    """Grade each learner notebook with the hidden tests.

    Returns ``{assignment: {"cells": {grade_id: {"score", "max", "message"}}}}``, or
    ``{assignment: {"unreadable": reason}}`` for a file nbgrader cannot grade.
    """
    if not notebooks:
        return {}
    # A worker process costs about 2.5 s of imports: worth it only beside a long notebook.
    if sum(COST.get(name, 3) for name in notebooks) < 2 * max(COST.values()):
        jobs = 1
    shares = plan(sorted(notebooks), jobs)
    if len(shares) == 1:
        return grade_here(root, notebooks, isolation)
    env = dict(os.environ)
    threads = str(max(1, (os.cpu_count() or 1) // len(shares)))
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(variable, threads)
    workers = []
    for share in shares:
        request = json.dumps({"root": str(root), "isolation": isolation,
                              "notebooks": {n: str(notebooks[n]) for n in share}})
        # Replies and logs go to files: a worker never waits on a full pipe while another is read.
        reply, log = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")
        process = subprocess.Popen([sys.executable, "-m", "course_utils.selfpaced.grader"], stdin=subprocess.PIPE,
                                   stdout=reply, stderr=log, text=True, env=env)
        process.stdin.write(request)
        process.stdin.close()
        workers.append((process, reply, log))
    results, failed = {}, []
    for process, reply, log in workers:
        status = process.wait()
        reply.seek(0)
        log.seek(0)
        if status != 0:
            failed.append(log.read()[-2000:])
        else:
            results.update(json.loads(reply.read()))
        reply.close()
        log.close()
    if failed:
        raise RuntimeError("a grading worker failed:\n" + "\n".join(failed))
    return results


def _worker() -> None:
    request = json.loads(sys.stdin.read())
    notebooks = {name: Path(path) for name, path in request["notebooks"].items()}
    results = grade_here(Path(request["root"]), notebooks, request["isolation"])
    sys.stdout.write(json.dumps(results))


if __name__ == "__main__":
    _worker()
