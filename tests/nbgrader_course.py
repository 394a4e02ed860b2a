"""A throwaway copy of the course for grading tests, driven through nbgrader's real CLI.

    course = TempCourse(tmp_path)               # copies solutions/ and nbgrader_config.py
    course.generate("01_loss")                  # generate_assignment, with the gradebook
    course.submit("alice", "01_loss", notebook) # put a notebook in grading/submitted/alice/01_loss/
    course.autograde("01_loss")                 # nbgrader autograde --force, every learner
    course.autograde_parallel("01_loss", jobs=2) # the same over two workers
    course.scores("01_loss", "alice")           # {grade_id: (score, max_score)}
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
COURSE_ID = "learning-from-mistakes"


def isolation_args(cli: str = "nbgrader") -> tuple[str, ...]:
    """Grading tests confine learners' code where bubblewrap works, and say so otherwise.

    Only tests/security and tests/test_grading_confine.py need the confinement itself (they
    skip without it); the other grading tests check scores, which are the same either way.
    """
    from course_utils.grading.confine import availability

    if availability()[0]:
        return ()
    return ("--SandboxExecute.isolation=none",) if cli == "nbgrader" else ("--unsafe-no-isolation",)


class TempCourse:
    def __init__(self, where: Path):
        self.root = Path(where) / "course"
        self.root.mkdir(parents=True)
        shutil.copytree(ROOT / "solutions", self.root / "solutions")
        shutil.copy(ROOT / "nbgrader_config.py", self.root)
        (self.root / "grading").mkdir()  # sqlite will not create the db's folder

    def nbgrader(self, *args: str, timeout: float = 1800) -> subprocess.CompletedProcess:
        # nbgrader runs the `alembic` command of its own environment: put it on PATH.
        env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
        result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=self.root, env=env,
                                capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def generate(self, assignment: str) -> Path:
        self.nbgrader("generate_assignment", assignment, "--force")
        return self.release_notebook(assignment)

    def release_notebook(self, assignment: str) -> Path:
        return next((self.root / "notebooks" / assignment).glob("*.ipynb"))

    def source_notebook(self, assignment: str) -> Path:
        return next((self.root / "solutions" / assignment).glob("*.ipynb"))

    def submit(self, student: str, assignment: str, notebook: nbformat.NotebookNode, name: str | None = None) -> Path:
        folder = self.root / "grading" / "submitted" / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / (name or self.release_notebook(assignment).name)
        nbformat.write(notebook, target)
        return target

    def autograde(self, assignment: str, *extra: str) -> subprocess.CompletedProcess:
        return self.nbgrader("autograde", assignment, "--force", *isolation_args(), *extra)

    def autograde_parallel(self, assignment: str, jobs: int = 2, timeout: int | None = None) -> None:
        """The same grading over ``jobs`` workers (``course.py grade autograde --jobs N``)."""
        from course_utils.grading.parallel import autograde_parallel

        extra = ((f"--SandboxExecute.timeout={timeout}",) if timeout else ()) + isolation_args()
        autograde_parallel(self.root, assignment, jobs, self.root / "grading" / "autograde.log", extra=extra)

    def scores(self, assignment: str, student: str) -> dict[str, tuple[float, float]]:
        """Score of every graded cell of the learner's submission: grade_id -> (score, max)."""
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{self.root / 'grading' / 'gradebook.db'}", COURSE_ID) as gradebook:
            submission = gradebook.find_submission(assignment, student)
            result = {}
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    result[grade.name] = (grade.score, grade.max_score)
            return result


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def replace_cell_source(notebook: nbformat.NotebookNode, grade_id: str, source: str) -> nbformat.NotebookNode:
    """A copy of ``notebook`` with the cell ``grade_id``'s source replaced."""
    notebook = nbformat.from_dict(notebook)
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            cell.source = source
            return notebook
    raise KeyError(f"no cell with grade_id {grade_id!r}")


def load_mistakes(assignment: str) -> dict:
    """The typical mistakes for an assignment, from tests/mistakes/<assignment>.py."""
    import importlib.util

    path = Path(__file__).resolve().parent / "mistakes" / f"{assignment}.py"
    spec = importlib.util.spec_from_file_location(f"mistakes_{assignment}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.MISTAKES
