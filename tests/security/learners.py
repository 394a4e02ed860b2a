"""Learners' notebooks for the security tests, built from notebook 01 (4 points, 3 test cells).

    honest(course)            every answer cell holds the solution: 4 / 4
    blank(course)             the release as handed out: 0 / 4
    flagged(course)           the release with a test cell edited (FLAGGED; still 0 / 4)
    attacker(course, code)    the release with ``code`` at the top of the first answer cell
                              (the stubs stay): its code earns 0 / 4 (every_answer=True: at
                              the end of every answer cell)
"""
from __future__ import annotations

import copy

FULL_MARKS = 4.0


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _source(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def answer_ids(notebook: dict) -> list[str]:
    return [_meta(c)["grade_id"] for c in notebook["cells"] if _meta(c).get("solution") and c["cell_type"] == "code"]


def solution_sources(course) -> dict[str, str]:
    return {_meta(c)["grade_id"]: _source(c) for c in course.solution_notebook()["cells"]
            if _meta(c).get("solution")}


def with_cell(notebook: dict, grade_id: str, source: str) -> dict:
    notebook = copy.deepcopy(notebook)
    for cell in notebook["cells"]:
        if _meta(cell).get("grade_id") == grade_id:
            cell["source"] = source
            return notebook
    raise KeyError(grade_id)


def blank(course) -> dict:
    return course.release_notebook()


def honest(course) -> dict:
    notebook = course.release_notebook()
    for grade_id, source in solution_sources(course).items():
        notebook = with_cell(notebook, grade_id, source)
    return notebook


def flagged(course) -> dict:
    notebook = course.release_notebook()
    test_id = next(_meta(c)["grade_id"] for c in notebook["cells"] if _meta(c).get("grade") and c["cell_type"] == "code")
    return with_cell(notebook, test_id, "assert True  # I edited the check")


def attacker(course, code: str, markdown: str | None = None, every_answer: bool = False) -> dict:
    """The release notebook with ``code`` run first in its first answer cell (the stub stays).

    ``every_answer``: ``code`` runs at the end of every answer cell instead, after the stub it
    holds, so what the code defines is what the following test cell sees.
    """
    notebook = course.release_notebook()
    stubs = {c["metadata"]["nbgrader"]["grade_id"]: _source(c) for c in notebook["cells"]
             if _meta(c).get("solution") and c["cell_type"] == "code"}
    for grade_id in (answer_ids(notebook) if every_answer else answer_ids(notebook)[:1]):
        stub = stubs[grade_id]
        notebook = with_cell(notebook, grade_id, stub + "\n\n" + code if every_answer else code + "\n\n" + stub)
    if markdown is not None:
        notebook["cells"].insert(1, {"cell_type": "markdown", "id": "learner-notes", "metadata": {},
                                     "source": markdown})
    return notebook


def honest_class(course) -> dict[str, dict]:
    """Honest learners graded before and after the attackers (nbgrader grades by name)."""
    return {"a-honest-correct": honest(course), "a-honest-blank": blank(course), "a-flagged": flagged(course),
            "z-honest-correct": honest(course), "z-honest-blank": blank(course)}


HONEST_CORRECT = ("a-honest-correct", "z-honest-correct")
HONEST_BLANK = ("a-honest-blank", "z-honest-blank", "a-flagged")
