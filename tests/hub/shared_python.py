"""The course's environment as every account on the machine can run it.

    bin_dir = shared_environment(state)   # folder holding python3 and the course's commands

The hub runs each person's JupyterLab, kernel and grading as that person, so the Python
of the course's environment must be readable by every account. A venv made from a
Python under a private home (pyenv in /root, say) is not: another account's process
then silently loads the system's libpython and standard library instead, of another
patch release, and fails in odd places (nbconvert's HTML export, for one). Then this
copies that Python's interpreter, shared library and standard library (without its
tests and site-packages) into ``state``, points it at the venv's site-packages with a
``.pth`` file, links the venv's ``share`` and ``etc`` (Jupyter's extensions and their
settings) and gives every command of the venv a copy whose first line names the new
interpreter. Where the venv's Python is readable already, the venv is used as it is.
"""
from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from pathlib import Path

LEAVE_OUT = shutil.ignore_patterns("site-packages", "test", "idlelib", "tkinter", "turtledemo", "ensurepip")


def readable_by_everyone(path: Path) -> bool:
    return all(p.stat().st_mode & 0o005 == 0o005 for p in [path, *path.parents])


def shared_environment(state: Path) -> Path:
    venv = Path(sys.prefix)
    base = Path(sys.base_prefix)
    if readable_by_everyone(base) and readable_by_everyone(venv):
        return venv / "bin"
    copy = state / "python"
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    (copy / "bin").mkdir(parents=True)
    (copy / "lib").mkdir()
    real = copy / "bin" / f".{version}-interpreter"
    shutil.copy2(Path(sys._base_executable).resolve(), real)
    libdir = Path(sysconfig.get_config_var("LIBDIR") or base / "lib")
    for library in libdir.glob(f"lib{version}*.so*"):
        shutil.copy2(library, copy / "lib", follow_symlinks=True)
    shutil.copytree(base / "lib" / version, copy / "lib" / version, ignore=LEAVE_OUT, symlinks=True)
    site = copy / "lib" / version / "site-packages"
    site.mkdir()
    venv_site = Path(sysconfig.get_paths()["purelib"])
    (site / "course-environment.pth").write_text(f"import site; site.addsitedir({str(venv_site)!r})\n")
    for shared in ("share", "etc"):
        if (venv / shared).exists():
            (copy / shared).symlink_to(venv / shared)
    # The interpreter's RUNPATH names the private folder: say where its library is now.
    # Exported, so kernels and grading processes started from it inherit it.
    python = copy / "bin" / version
    python.write_text(f'#!/bin/sh\nLD_LIBRARY_PATH="{copy / "lib"}${{LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}}" '
                      f'exec "{real}" "$@"\n')
    for name in ("python", "python3"):
        (copy / "bin" / name).symlink_to(version)
    shebangs = {f"#!{venv / 'bin' / name}" for name in ("python", "python3", version)}
    for script in (venv / "bin").iterdir():
        target = copy / "bin" / script.name
        if target.exists() or target.is_symlink() or not script.is_file():
            continue
        try:
            first, rest = script.read_text().split("\n", 1)
        except (UnicodeDecodeError, ValueError):
            continue
        if first.strip() in shebangs:
            target.write_text(f"#!{python}\n{rest}")
    for path in [copy, *copy.rglob("*")]:
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() or os.access(path, os.X_OK) or path.parent.name == "bin" else 0o644)
    return copy / "bin"
