"""The exercises of a notebook, as the learner's copy shows them.

An exercise is one graded test cell with its points; its answer cells are the answer
cells since the previous test cell (notebook 07's last test grades the whole notebook
and has none). An exercise is *started* once one of its answer cells differs from the
release; an exercise without answer cells is started with the notebook.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

DEF = re.compile(r"^def\s+([A-Za-z_]\w*)\s*\(", re.MULTILINE)
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"


@dataclass
class Exercise:
    grade_id: str                     # the test cell's id, e.g. "mse-test"
    points: float
    answers: list[str] = field(default_factory=list)   # grade_ids of its answer cells
    functions: list[str] = field(default_factory=list)  # names its answer cells define

    @property
    def name(self) -> str:
        """What the learner calls it: the function it asks for, else the test's id without "-test"."""
        return ", ".join(self.functions) if self.functions else self.grade_id.removesuffix("-test")


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _meta(cell: dict) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def read_notebook(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def exercises(notebook: dict) -> list[Exercise]:
    """The exercises of a release (or source) notebook, in order."""
    found, pending, names = [], [], []
    for cell in notebook.get("cells", []):
        meta = _meta(cell)
        if meta.get("solution") and meta.get("grade_id"):
            pending.append(meta["grade_id"])
            names += DEF.findall(_source(cell)) if cell.get("cell_type") == "code" else []
        elif meta.get("grade") and meta.get("grade_id"):
            found.append(Exercise(meta["grade_id"], float(meta.get("points") or 0), pending, names))
            pending, names = [], []
    return found


def answer_sources(notebook: dict) -> dict[str, str]:
    """grade_id -> source of every answer cell of ``notebook``."""
    return {_meta(c)["grade_id"]: _source(c) for c in notebook.get("cells", [])
            if _meta(c).get("solution") and _meta(c).get("grade_id")}


def started(exercise: Exercise, learner: dict | None, release: dict) -> bool:
    """True when the learner changed one of the exercise's answer cells (or, for an exercise
    without answer cells, any answer cell of the notebook). A deleted answer cell counts as changed."""
    if learner is None:
        return False
    theirs, ours = answer_sources(learner), answer_sources(release)
    wanted = exercise.answers or list(ours)
    return any(theirs.get(grade_id) != ours[grade_id] for grade_id in wanted if grade_id in ours)


def notebook_started(learner: dict | None, release: dict) -> bool:
    if learner is None:
        return False
    theirs, ours = answer_sources(learner), answer_sources(release)
    return any(theirs.get(grade_id) != source for grade_id, source in ours.items())


def hidden_test_lines(source_notebook: dict) -> list[str]:
    """Every line between the hidden-test markers of the instructor's notebook, stripped."""
    lines = []
    for cell in source_notebook.get("cells", []):
        hidden = False
        for line in _source(cell).split("\n"):
            if HIDDEN_BEGIN in line:
                hidden = True
            elif HIDDEN_END in line:
                hidden = False
            elif hidden and line.strip():
                lines.append(line.strip())
    return lines


def redact(text: str, hidden: set[str], visible: set[str] = frozenset()) -> str:
    """``text`` with every line that holds a hidden-test line (and is not also visible code) replaced.

    The checks' messages never quote test code; this is the guarantee that they cannot.
    """
    secret = [line for line in hidden if len(line) >= 8 and line not in visible]
    kept = []
    for line in text.split("\n"):
        if any(s in line for s in secret):
            kept.append("  (a line of the hidden tests, not shown)")
        else:
            kept.append(line)
    return "\n".join(kept)
