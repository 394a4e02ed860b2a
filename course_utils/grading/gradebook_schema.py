"""The gradebook holds nbgrader's schema and nothing else: no triggers, views, extra tables or columns.

A trigger on the grade table keeps rewriting scores in every later run, and a view or an
extra column is a place to hide one; nbgrader itself never creates any of them. The
reference is the schema of a gradebook that ``nbgrader.api.Gradebook`` creates in an
empty folder, compared object by object with ``sqlite_master`` (whitespace aside).
"""
from __future__ import annotations

import os
import re
import sqlite3
import sys
import tempfile
from pathlib import Path

Schema = dict[tuple[str, str], str]  # (type, name) -> SQL text ("" for sqlite's own indexes)


def read_schema(db: Path) -> Schema:
    """Every object in ``sqlite_master`` of ``db`` (opened read-only), with whitespace-normalised SQL."""
    connection = sqlite3.connect(f"{Path(db).resolve().as_uri()}?mode=ro", uri=True)
    try:
        rows = connection.execute("SELECT type, name, sql FROM sqlite_master").fetchall()
    finally:
        connection.close()
    return {(kind, name): re.sub(r"\s+", " ", sql or "").strip() for kind, name, sql in rows}


def reference_schema() -> Schema:
    """The schema of a gradebook nbgrader creates from nothing."""
    from nbgrader.api import Gradebook

    # nbgrader asks the `alembic` command of its own environment for the schema version.
    scripts = str(Path(sys.executable).parent)
    if scripts not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = f"{scripts}{os.pathsep}{os.environ.get('PATH', '')}"
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "gradebook.db"
        with Gradebook(f"sqlite:///{db}"):
            pass
        return read_schema(db)


def schema_problems(db: Path, reference: Schema) -> list[str]:
    """What ``db`` holds beyond (or instead of) ``reference``, one phrase each; [] when they agree.

    A gradebook that does not exist yet has no problem: nbgrader creates it.
    """
    if not Path(db).exists():
        return []
    found = read_schema(db)
    problems = []
    for (kind, name), sql in sorted(found.items()):
        if (kind, name) not in reference:
            problems.append(f"it has a {kind} {name!r} that nbgrader never creates")
        elif sql != reference[(kind, name)]:
            problems.append(f"its {kind} {name!r} is not defined as nbgrader defines it")
    for kind, name in sorted(set(reference) - set(found)):
        problems.append(f"its {kind} {name!r} is missing")
    return problems
