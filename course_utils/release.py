"""Turn the instructor source (``solutions/``) into the learner release (``notebooks/``).

The contract: ``notebooks/`` is byte for byte what nbgrader's ``generate_assignment``
makes from normalized sources. Normalizing removes everything that depends on who ran
a notebook last (outputs, execution counts, timing metadata, the Python version), so
the release is the same on every machine.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat

from course_utils.selfpaced.workspace import LANGUAGE_INFO

# Notebook metadata we keep; everything else (language_info's version, widget state,
# editor settings) is run-specific and dropped.
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
RUN_SPECIFIC_CELL_METADATA = ("execution", "collapsed", "scrolled", "ExecuteTime")


def assignments(source_dir: Path) -> list[str]:
    """Names of the assignment folders in ``source_dir`` (each holds one notebook)."""
    return sorted(p.parent.name for p in source_dir.glob("*/*.ipynb"))


def normalized(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Return ``nb`` without outputs and run-specific metadata (a new object)."""
    nb = nbformat.from_dict(nb)
    nb.metadata = nbformat.from_dict({"kernelspec": KERNELSPEC, "language_info": {"name": "python"}})
    for cell in nb.cells:
        for key in RUN_SPECIFIC_CELL_METADATA:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.pop("attachments", None) if cell.cell_type == "code" else None
    return nb


def normalize_sources(source_dir: Path) -> list[Path]:
    """Normalize every source notebook in place; return the paths that changed."""
    changed = []
    for path in sorted(source_dir.glob("*/*.ipynb")):
        before = path.read_text(encoding="utf-8")
        after = nbformat.writes(normalized(nbformat.reads(before, as_version=4))) + "\n"
        if after != before:
            path.write_text(after, encoding="utf-8")
            changed.append(path)
    return changed


def generate_release(course_root: Path, release_dir: Path, names: list[str] | None = None) -> list[str]:
    """Run nbgrader's ``generate_assignment`` for each assignment into ``release_dir``.

    nbgrader reads ``nbgrader_config.py`` only from the working directory, so it runs
    from ``course_root``. ``--force`` is required: without it nbgrader skips existing
    folders and still exits 0. No gradebook is touched (``--no-db``).
    """
    names = names or assignments(course_root / "solutions")
    # One nbgrader process for every assignment (course_utils/grading/nbgrader_each.py).
    subprocess.run(
        [sys.executable, "-m", "course_utils.grading.nbgrader_each", "generate_assignment", *names, "--",
         "--force", "--no-db", f"--CourseDirectory.release_directory={Path(release_dir).resolve()}",
         "--log-level=WARN"],
        cwd=course_root, check=True, stdout=subprocess.DEVNULL)
    for name in names:
        for path in sorted((Path(release_dir) / name).glob("*.ipynb")):
            complete_metadata(path)
    return names


def complete_metadata(path: Path) -> None:
    """Give a learner's notebook the ``language_info`` its kernel reports, but for the Python version.

    JupyterLab writes the kernel's ``language_info`` into an open notebook; a notebook that
    already says the same stays unmodified. The version depends on the learner's machine:
    ``course.py open`` adds it when it copies the notebook into the workspace
    (:mod:`course_utils.selfpaced.workspace`), so the release stays the same everywhere.
    """
    nb = nbformat.read(path, as_version=4)
    nb.metadata["language_info"] = nbformat.from_dict(LANGUAGE_INFO)
    nbformat.write(nb, path)
