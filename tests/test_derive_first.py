"""Derive first: no exercise's answer is printed before its test, outside a hint.

For every graded function, the non-trivial expressions of its solution (the right-hand
sides of assignments and the values returned between ``### BEGIN SOLUTION`` and
``### END SOLUTION``) must not appear, whitespace ignored, in the release notebook's
markdown or code up to and including that exercise's test cell, once the collapsible
``<details>`` blocks (the hint ladders a learner opens on purpose) are taken out.
Each exercise also has its three-step hint ladder in its own markdown cell.
"""
import re

import nbformat
import pytest

from nbgrader_course import ROOT

SOURCES = sorted((ROOT / "solutions").glob("*/*.ipynb"))
SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
DETAILS = re.compile(r"<details>.*?</details>", re.S)
STRING = re.compile(r"(\"[^\"]*\"|'[^']*')")
# An expression is a formula worth hiding if it computes something: an operator or a NumPy call.
COMPUTES = re.compile(r"[+\-*/@<>]|\bnp\.(?!zeros|array|asarray|arange|empty|float|int)\w+\(")
ASSIGNMENT = re.compile(r"^\s*[\w\[\]\"'{}., ]+?\s*(?:[+\-*/@]?=)\s*(?!=)(.+)$")
INDEXING = re.compile(r"^\w+\[[^\]]*\]$")  # caches[k - 1]: picking an entry, not a formula
LADDER = ("Hint 1: the idea", "Hint 2:", "Hint 3: the formula")


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def solution_expressions(code: str) -> list[str]:
    """The computing expressions of one solution block, whitespace removed."""
    found = []
    for line in code.splitlines():
        line = line.split("#")[0].rstrip()
        if not line.strip() or line.strip().startswith(("def ", "for ", "if ", "else", "elif ")):
            continue
        match = re.match(r"^\s*return\s+(.+)$", line) or ASSIGNMENT.match(line)
        if not match:
            continue
        expression = re.sub(r"^lambda[^:]*:", "", match.group(1).strip()).strip()
        for part in _top_level_parts(expression):
            if COMPUTES.search(STRING.sub("", part)) and len(_squeeze(part)) >= 4 and not INDEXING.match(part):
                found.append(_squeeze(part))
    return found


def _top_level_parts(expression: str) -> list[str]:
    """A returned tuple's elements (split at commas outside brackets), or the expression itself."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(expression):
        depth += char in "([{"
        depth -= char in ")]}"
        if char == "," and depth == 0:
            parts.append(expression[start:i])
            start = i + 1
    parts.append(expression[start:])
    return [p.strip() for p in parts if p.strip()]


def exercises(nb):
    """(answer cell, index of its test cell) for every answer cell that has a test after it."""
    cells = nb.cells
    for i, cell in enumerate(cells):
        if cell.metadata.get("nbgrader", {}).get("solution") and cell.cell_type == "code":
            test = next((j for j in range(i + 1, len(cells)) if cells[j].metadata.get("nbgrader", {}).get("grade")), None)
            if test is not None:
                yield cell, test


def visible_before(release, test_index: int) -> str:
    """What a learner reads up to and including the test cell, without the <details> blocks."""
    return _squeeze(DETAILS.sub("", "\n".join(c.source for c in release.cells[:test_index + 1])))


def _pairs():
    for source in SOURCES:
        yield pytest.param(source, id=source.parent.name)


@pytest.mark.parametrize("source", list(_pairs()))
def test_no_solution_expression_is_visible_before_its_test(source):
    src = nbformat.read(source, as_version=4)
    release = nbformat.read(ROOT / "notebooks" / source.relative_to(ROOT / "solutions"), as_version=4)
    release_index = {c.id: i for i, c in enumerate(release.cells)}
    leaks = []
    for answer, test_index in exercises(src):
        test_id = src.cells[test_index].id
        shown = visible_before(release, release_index[test_id])
        for block in SOLUTION.findall(answer.source):
            leaks += [f"{answer.id}: {expr}" for expr in solution_expressions(block) if expr in shown]
    assert not leaks, f"{source.name}: solution expressions printed before their test, outside <details>: {leaks}"


@pytest.mark.parametrize("source", list(_pairs()))
def test_every_exercise_has_a_three_step_hint_ladder_after_its_stub(source):
    src = nbformat.read(source, as_version=4)
    missing = []
    for answer, _ in exercises(src):
        position = next(i for i, c in enumerate(src.cells) if c.id == answer.id)
        ladder = src.cells[position + 1] if position + 1 < len(src.cells) else None
        if ladder is None or ladder.cell_type != "markdown" or \
                not all(f"<summary>{step}" in ladder.source for step in LADDER):
            missing.append(answer.id)
    assert not missing, f"{source.name}: no hint ladder right after {missing}"


def test_expression_finder_sees_returns_assignments_and_lambdas():
    block = ("h = w1 * x\nreturn h, y_hat\nparams[key] -= lr * grads[key]\n"
             "table['x']['backward'] = lambda dz: dz * 2\nout = np.zeros(3)\nkeep = name\n"
             "return dz * w, f(a, b - 1), dz\nA, W = caches[k - 1]\n")
    assert solution_expressions(block) == ["w1*x", "lr*grads[key]", "dz*2", "dz*w", "f(a,b-1)"]


def test_details_blocks_are_excluded_and_whitespace_ignored():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("A <details>w - lr * g</details> B w  -  lr*dw")])
    shown = visible_before(nb, 0)
    assert "w-lr*g" not in shown and "w-lr*dw" in shown
