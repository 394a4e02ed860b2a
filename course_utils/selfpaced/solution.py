"""A worked solution, for a learner whose own answer passes (or who asks to see it anyway).

The reference answer is the instructor's answer cell (``solutions/``) without nbgrader's
markers; the explanation is the exercise's own hint ladder (idea, what to line up,
formula), which the notebook shows collapsed, written out as text. Nothing of the test
cells is shown.
"""
from __future__ import annotations

import html
import re
from pathlib import Path

from course_utils.selfpaced.exercises import Exercise, exercises, read_notebook

DETAILS = re.compile(r"<details>\s*<summary>(.*?)</summary>(.*?)</details>", re.DOTALL)
TAG = re.compile(r"<[^>]+>")


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _grade_id(cell: dict) -> str | None:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta.get("grade_id") if isinstance(meta, dict) else None


def find(notebook: dict, wanted: str) -> Exercise | None:
    """The exercise whose function (or test id, with or without "-test") is ``wanted``."""
    for exercise in exercises(notebook):
        if wanted in exercise.functions or wanted in (exercise.grade_id, exercise.grade_id.removesuffix("-test")):
            return exercise
    return None


def reference_answer(source: dict, exercise: Exercise) -> str:
    """The instructor's answer cells of ``exercise``, as a learner would type them."""
    parts = []
    for cell in source.get("cells", []):
        if _grade_id(cell) in exercise.answers:
            lines = [line for line in _source(cell).split("\n")
                     if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line]
            parts.append("\n".join(lines).strip("\n"))
    return "\n\n".join(parts)


def explanation(source: dict, exercise: Exercise) -> str:
    """The exercise's hints written out ("The idea: ..."), else the paragraph that sets the exercise."""
    cells = source.get("cells", [])
    ids = [_grade_id(c) for c in cells]
    if not exercise.answers or exercise.answers[0] not in ids:
        return ""
    first, test = ids.index(exercise.answers[0]), ids.index(exercise.grade_id)
    hints = []
    for cell in cells[first:test]:
        if cell.get("cell_type") == "markdown":
            for summary, body in DETAILS.findall(_source(cell)):
                title = re.sub(r"^Hint \d+:\s*", "", TAG.sub("", summary)).strip()
                hints.append(f"{title[:1].upper()}{title[1:]}: {html.unescape(TAG.sub('', body)).strip()}")
    if hints:
        return "\n".join(hints)
    before = cells[first - 1] if first > 0 and cells[first - 1].get("cell_type") == "markdown" else None
    return html.unescape(TAG.sub("", _source(before))).strip() if before else ""


def text(root: Path, name: str, exercise: Exercise) -> str:
    source = read_notebook(Path(root) / "solutions" / name / f"{name}.ipynb")
    points = f"{exercise.points:g} point{'' if exercise.points == 1 else 's'}"
    lines = [f"== {exercise.name} ({name}, {points}) ==", ""]
    words = explanation(source, exercise)
    if words:
        lines += ["Why it works:", *[f"  {line}" for line in words.split("\n")], ""]
    code = reference_answer(source, exercise)
    lines += ["Reference solution:", *[f"    {line}" for line in code.split("\n")]] if code else \
        ["This exercise has no answer cell of its own: it grades the notebook's functions together "
         "(see the solutions of the other exercises)."]
    return "\n".join(lines)


def release_exercises(root: Path, name: str) -> list[Exercise]:
    return exercises(read_notebook(Path(root) / "notebooks" / name / f"{name}.ipynb"))
