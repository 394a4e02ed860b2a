"""Collecting a class's hand-ins into nbgrader's ``submitted/<student>/<assignment>/``."""
from __future__ import annotations

import contextlib
import re
import shutil
import time
import zipfile
from pathlib import Path


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
