"""Learner workspaces for the self-paced tests: notebooks answered with the reference solutions.

    answered("01_loss")                        # every exercise of 01 answered right
    answered("02_gradient_descent", ["numerical-derivative-answer", "gradient-step-answer"])
    workspace(tmp_path, {"01_loss": None, "02_gradient_descent": [...]})  # the rest untouched
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _source(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def solution_code(source: str) -> str:
    """An answer cell of solutions/ as a learner who got it right would type it (no markers)."""
    return "\n".join(line for line in source.split("\n")
                     if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line)


def answered(assignment: str, grade_ids: list[str] | None = None) -> dict:
    """The release notebook with the listed answer cells (default: all) replaced by the reference answer."""
    release = json.loads((ROOT / "notebooks" / assignment / f"{assignment}.ipynb").read_text())
    source = json.loads((ROOT / "solutions" / assignment / f"{assignment}.ipynb").read_text())
    reference = {c["metadata"]["nbgrader"]["grade_id"]: _source(c) for c in source["cells"]
                 if c["metadata"].get("nbgrader", {}).get("solution")}
    for cell in release["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("solution") and (grade_ids is None or meta["grade_id"] in grade_ids):
            cell["source"] = solution_code(reference[meta["grade_id"]])
    return release


def workspace(where: Path, answers: dict[str, list[str] | None]) -> Path:
    """A workspace holding every release notebook; those in ``answers`` answered as listed."""
    shutil.copytree(ROOT / "notebooks", where, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    for assignment, grade_ids in answers.items():
        path = where / assignment / f"{assignment}.ipynb"
        path.write_text(json.dumps(answered(assignment, grade_ids), indent=1))
    return where
