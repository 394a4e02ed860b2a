"""What the launcher keeps about a learner's workspace; standard library only (``course.py`` uses it).

``<workspace>/.course/state.json`` records, for each notebook copied from the release,
the SHA-256 of the release file it was copied from and of the copy as placed. From that:

- *started*: the file is no longer the copy as placed (the learner saved something);
- *newer in the course*: the release file is no longer the one it was copied from. An
  untouched copy is simply replaced; a started one is left alone and named in one line;
- the notebook *last worked on*: the started notebook saved most recently.

A copy is placed with ``metadata.language_info`` completed for the Python that runs the
learner's kernel (its ``version``): JupyterLab writes what the kernel reports there, and
a notebook that already says the same opens unmodified (no "Save changes?" on close).
"""
from __future__ import annotations

import hashlib
import json
import shutil
import sys
import time
from pathlib import Path

STATE = Path(".course") / "state.json"
PROGRESS_NOTEBOOK = "progress.ipynb"
# What ipykernel reports as ``language_info``, but for the version (the release stores these;
# course_utils/release.py); the version is added when a copy is placed.
LANGUAGE_INFO = {"codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py",
                 "mimetype": "text/x-python", "name": "python", "nbconvert_exporter": "python",
                 "pygments_lexer": "ipython3"}
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def kernel_language_info() -> dict:
    """``language_info`` as the learner's kernel (this interpreter) reports it."""
    return {**LANGUAGE_INFO, "version": sys.version.split()[0]}


def sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_state(workspace: Path) -> dict:
    try:
        state = json.loads((Path(workspace) / STATE).read_text())
    except (OSError, ValueError):
        return {"placed": {}}
    if not isinstance(state, dict) or not isinstance(state.get("placed"), dict):
        return {"placed": {}}
    return state


def save_state(workspace: Path, state: dict) -> None:
    path = Path(workspace) / STATE
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(state, indent=1, sort_keys=True))
    partial.replace(path)


def placed_bytes(source: Path) -> bytes:
    """What a learner gets for the release file ``source``: notebooks with the kernel's Python version."""
    data = Path(source).read_bytes()
    if Path(source).suffix != ".ipynb":
        return data
    try:
        notebook = json.loads(data)
        info = notebook.setdefault("metadata", {}).setdefault("language_info", {"name": "python"})
    except (ValueError, AttributeError):
        return data
    if not isinstance(info, dict) or info.get("name") != "python":
        return data
    info.update(kernel_language_info())  # the kernel is this interpreter (course.py runs in the venv)
    return (json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def place(source: Path, target: Path, state: dict, relative: str) -> None:
    """Copy release file ``source`` to ``target`` (through a temporary name) and record both hashes."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.write_bytes(placed_bytes(source))
    partial.replace(target)
    state["placed"][relative] = {"release": sha(source), "placed": sha(target)}


def _course_cells(notebook: dict) -> dict:
    """Sources of the cells the learner does not write (text, setup, tests), by cell id."""
    cells = {}
    for index, cell in enumerate(notebook.get("cells", [])):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if isinstance(meta, dict) and meta.get("solution"):
            continue
        source = cell.get("source", "")
        cells[cell.get("id", index)] = "".join(source) if isinstance(source, list) else source
    return cells


def is_started(workspace: Path, relative: str, state: dict) -> bool:
    path = Path(workspace) / relative
    record = state["placed"].get(relative)
    if not path.exists():
        return False
    if record is None:
        return True  # placed before the launcher kept records: treat it as the learner's work
    return sha(path) != record["placed"]


def is_outdated(release: Path, workspace: Path, relative: str, state: dict) -> bool:
    """True when the course's notebook changed since the learner's copy was made from it."""
    record = state["placed"].get(relative)
    if record is not None:
        return sha(Path(release) / relative) != record["release"]
    try:  # no record: compare the course's own cells
        theirs = json.loads((Path(workspace) / relative).read_text(encoding="utf-8"))
        ours = json.loads((Path(release) / relative).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return _course_cells(theirs) != _course_cells(ours)


def refresh_untouched(release: Path, workspace: Path, state: dict) -> list[str]:
    """Replace every untouched copy whose release changed; return their relative paths."""
    updated = []
    for relative, record in sorted(state["placed"].items()):
        source = Path(release) / relative
        if source.exists() and not is_started(workspace, relative, state) and (Path(workspace) / relative).exists() \
                and sha(source) != record["release"]:
            place(source, Path(workspace) / relative, state, relative)
            updated.append(relative)
    return updated


def outdated_started(release: Path, workspace: Path, state: dict) -> list[str]:
    """Started notebooks with a newer version in the course (relative paths)."""
    found = []
    for source in sorted(Path(release).glob("*/*.ipynb")):
        relative = str(source.relative_to(release))
        if (Path(workspace) / relative).exists() and is_started(workspace, relative, state) \
                and is_outdated(release, workspace, relative, state):
            found.append(relative)
    return found


def last_worked_on(release: Path, workspace: Path, state: dict) -> str | None:
    """The started notebook saved last (relative path), or None when none is started."""
    started = [str(p.relative_to(release)) for p in sorted(Path(release).glob("*/*.ipynb"))
               if is_started(workspace, str(p.relative_to(release)), state)]
    if not started:
        return None
    return max(started, key=lambda r: (Path(workspace) / r).stat().st_mtime)


def reset(release: Path, workspace: Path, name: str, now: float | None = None) -> tuple[Path, Path | None]:
    """A fresh copy of notebook ``name`` (e.g. ``03_chain_rule``); the learner's file kept beside it.

    Returns (the fresh notebook, the backup or None when there was no file).
    """
    relative = f"{name}/{name}.ipynb"
    source = Path(release) / relative
    if not source.exists():
        raise FileNotFoundError(name)
    target = Path(workspace) / relative
    backup = None
    if target.exists():
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
        backup = target.with_name(f"{name}.backup-{stamp}.ipynb")
        n = 1
        while backup.exists():
            n += 1
            backup = target.with_name(f"{name}.backup-{stamp}-{n}.ipynb")
        shutil.copy2(target, backup)  # the learner's file, byte for byte, before anything is replaced
    state = load_state(workspace)
    place(source, target, state, relative)
    save_state(workspace, state)
    return target, backup


def progress_notebook() -> dict:
    """The workspace's ``progress.ipynb``: one cell that shows the progress table."""
    cells = [
        {"cell_type": "markdown", "id": "progress-intro", "metadata": {}, "source": [
            "# Your progress\n",
            "\n",
            "Run the cell below (Shift+Enter) to grade your **saved** notebooks with the course's hidden tests, "
            "the same tests an instructor would use. Save first (Ctrl+S): the grader reads your files. "
            "It takes a few seconds for each notebook you changed since the last run.\n",
            "\n",
            "From a terminal, `python3 course.py progress` prints the same table; "
            "`python3 course.py solution NN_name` shows a worked solution once your answer passes."]},
        {"cell_type": "code", "execution_count": None, "id": "progress-show", "metadata": {}, "outputs": [],
         "source": ["from course_utils.selfpaced.progress import show_progress\n", "show_progress()"]},
    ]
    return {"cells": cells, "metadata": {"kernelspec": KERNELSPEC, "language_info": kernel_language_info()},
            "nbformat": 4, "nbformat_minor": 5}


def ensure_progress_notebook(workspace: Path) -> Path:
    path = Path(workspace) / PROGRESS_NOTEBOOK
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(progress_notebook(), indent=1, sort_keys=True) + "\n")
    return path
