"""A manifest of every file that grades, and the check that none changed since it was taken.

What grades is the course's ``course_utils`` package (as imported), the course's
``nbgrader_config.py``, every Jupyter config file nbgrader would also read, the
environment's site-packages (every distribution, ``.pth`` files, the editable install's
finder), nbconvert's templates (feedback pages) and the standard library. A manifest maps
each file to its SHA-256::

    {"version": 1, "files": {"course_utils/checks/loss.py": ["9f2c…", size, mtime_ns, ctime_ns, inode], ...}}

``verify`` walks the same roots again and reports every file that changed, appeared or
disappeared. A file whose size, modification time, change time and inode are all as
recorded is not read again (the fast path: one ``lstat`` per file, about 22,000 in this
course's environment, 0.3 s of CPU); any other file is hashed. The change time
(``ctime``) cannot be set by a process, so writing a file and restoring its ``mtime``
still sends it to the slow path. Taking a manifest from nothing hashes everything
(about 1.2 GB here: half a minute or more).

``__pycache__`` folders are skipped: grading processes run with ``PYTHONPYCACHEPREFIX``
pointing at the course's private ``grading/.pycache`` (see ``course.py grade``), so Python
never reads the ``.pyc`` files beside the sources there. A ``.pyc`` anywhere else (Python
imports a lone ``module.pyc``) is a file like any other.
"""
from __future__ import annotations

import hashlib
import os
import stat as stat_module
import sys
import sysconfig
from pathlib import Path
from typing import Iterator

SKIPPED_FOLDERS = {"__pycache__"}
# The base interpreter's own site-packages is not on a venv's path; its tests are never imported.
SKIPPED_IN_STDLIB = {"site-packages", "dist-packages", "test"}
CONFIG_FILES = ("nbgrader_config.py", "nbgrader_config.json", "jupyter_config.py", "jupyter_config.json")


def grading_roots(course: Path) -> dict[str, Path]:
    """Label -> file or folder, for everything that decides a grade of ``course``.

    Labels are what a refusal names: ``course_utils/checks/loss.py``,
    ``site-packages/numpy/__init__.py``, ``nbgrader_config.py``.
    """
    import importlib.util

    from jupyter_core.paths import jupyter_config_path

    course = Path(course).resolve()
    package = Path(next(iter(importlib.util.find_spec("course_utils").submodule_search_locations)))
    paths = sysconfig.get_paths()
    roots = {"course_utils": package, "nbgrader_config.py": course / "nbgrader_config.py",
             "site-packages": Path(paths["purelib"]),
             "nbconvert-templates": Path(sys.prefix) / "share" / "jupyter" / "nbconvert",
             "stdlib": Path(paths["stdlib"])}
    if paths["platlib"] != paths["purelib"]:
        roots["platlib"] = Path(paths["platlib"])
    for folder in jupyter_config_path():
        if Path(folder).resolve() != course:
            for name in CONFIG_FILES:  # absent ones too: one that appears later is reported as new
                roots[str(Path(folder) / name)] = Path(folder) / name
    return roots


def _entries(label: str, path: Path) -> Iterator[tuple[str, str, os.stat_result]]:
    """(key, absolute path, lstat) for every file under ``path``; symbolic links are not followed."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat_module.S_ISDIR(info.st_mode):
        yield label, str(path), info
        return
    skipped = SKIPPED_FOLDERS | (SKIPPED_IN_STDLIB if label == "stdlib" else set())
    stack = [(label, str(path))]
    while stack:
        prefix, folder = stack.pop()
        with os.scandir(folder) as listing:
            for entry in listing:
                key = f"{prefix}/{entry.name}"
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in skipped:
                        stack.append((key, entry.path))
                else:
                    yield key, entry.path, entry.stat(follow_symlinks=False)


def _signature(info: os.stat_result) -> list[int]:
    return [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]


def _digest(path: str, info: os.stat_result) -> str:
    if stat_module.S_ISLNK(info.st_mode):
        return "symlink:" + os.readlink(path)
    if not stat_module.S_ISREG(info.st_mode):
        return f"special:{stat_module.S_IFMT(info.st_mode):o}"
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest() if hasattr(hashlib, "file_digest") \
            else _read_digest(handle)


def _read_digest(handle) -> str:  # Python 3.10 has no hashlib.file_digest
    digest = hashlib.sha256()
    for block in iter(lambda: handle.read(1 << 20), b""):
        digest.update(block)
    return digest.hexdigest()


def take(roots: dict[str, Path], previous: dict | None = None) -> dict:
    """Hash every file under ``roots``: the manifest (see the module docstring for its shape).

    With the ``previous`` manifest, a file whose stat is as recorded there keeps its recorded
    digest (the same fast path as :func:`verify`), so taking the manifest again after a
    small change costs about as much as a check.
    """
    known = (previous or {}).get("files", {})
    files = {}
    for label, path in roots.items():
        for key, full, info in _entries(label, path):
            recorded = known.get(key)
            signature = _signature(info)
            digest = recorded[0] if recorded and recorded[1:] == signature else _digest(full, info)
            files[key] = [digest, *signature]
    return {"version": 1, "files": dict(sorted(files.items()))}


def verify(manifest: dict, roots: dict[str, Path]) -> tuple[list[tuple[str, str, str | None, str | None]], bool]:
    """Compare the files under ``roots`` with ``manifest``.

    Returns ``(changes, refreshed)``: changes are ``(key, what, recorded, found)`` with
    ``what`` one of ``"changed"``, ``"new"``, ``"removed"`` (digests, or None), sorted by key;
    ``refreshed`` is True when files had to be re-read and proved unchanged, in which case
    their stat in ``manifest`` was updated in place so the next check takes the fast path again.
    """
    files = manifest["files"]
    changes, seen, refreshed = [], set(), False
    for label, path in roots.items():
        for key, full, info in _entries(label, path):
            seen.add(key)
            recorded = files.get(key)
            if recorded is None:
                changes.append((key, "new", None, _digest(full, info)))
            elif recorded[1:] != _signature(info):
                found = _digest(full, info)
                if found != recorded[0]:
                    changes.append((key, "changed", recorded[0], found))
                else:
                    files[key] = [found, *_signature(info)]
                    refreshed = True
    changes += [(key, "removed", files[key][0], None) for key in files if key not in seen]
    return sorted(changes), refreshed
