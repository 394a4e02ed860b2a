"""Which grades were made inside the operating system's isolation, and which were not.

The execute step writes one small file per graded submission,
``grading/isolation/<assignment>/<student>.json``::

    {"isolation": "bubblewrap"}                       # the learner's code ran confined
    {"isolation": "none", "reason": "grade autograde --unsafe: ..."}

Here those files are read back for the CSV's ``isolation`` column and the terminal: a
grade without a file says ``unknown`` (graded before isolation existed, or the file was lost).
"""
from __future__ import annotations

import json
from pathlib import Path

ISOLATION_DIR = Path("grading") / "isolation"
CONFINED = "bubblewrap"


def isolation_of(root: Path, assignment: str, student: str) -> tuple[str, str]:
    """``(isolation, reason)`` for one submission: ``("bubblewrap", "")``, ``("none", why)`` or ``("unknown", why)``."""
    path = Path(root) / ISOLATION_DIR / assignment / f"{student}.json"
    try:
        record = json.loads(path.read_text())
    except FileNotFoundError:
        return "unknown", "no record of how it was graded"
    except ValueError:
        return "unknown", f"{path.name} is not valid JSON"
    kind = record.get("isolation") if isinstance(record, dict) else None
    if kind == CONFINED:
        return CONFINED, ""
    if kind == "none":
        return "none", str(record.get("reason") or "no reason recorded")
    return "unknown", f"unrecognised isolation record {kind!r}"


def unconfined_rows(root: Path, assignment: str, students: list[str]) -> list[dict]:
    """The submissions of ``students`` on ``assignment`` graded without isolation (``none``), in order."""
    rows = []
    for student in students:
        kind, reason = isolation_of(root, assignment, student)
        if kind == "none":
            rows.append({"student": student, "assignment": assignment, "reason": reason})
    return rows
