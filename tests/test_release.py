"""notebooks/ is exactly nbgrader's release of solutions/, and leaks nothing."""
import re

import nbformat
import pytest

from course_utils.release import assignments, generate_release, normalized
from nbgrader_course import ROOT

SOURCES = sorted((ROOT / "solutions").glob("*/*.ipynb"))
RELEASES = sorted((ROOT / "notebooks").glob("*/*.ipynb"))
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)
SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
DETAILS = re.compile(r"<details>.*?</details>", re.S)


def _nbgrader(cell):
    return cell.metadata.get("nbgrader", {})


def test_every_source_has_a_release_and_no_release_is_orphaned():
    assert [p.relative_to(ROOT / "solutions") for p in SOURCES] == \
           [p.relative_to(ROOT / "notebooks") for p in RELEASES]


@pytest.mark.slow
def test_release_is_exactly_what_nbgrader_generates(tmp_path):
    generate_release(ROOT, tmp_path)
    for name in assignments(ROOT / "solutions"):
        committed = {p.relative_to(ROOT / "notebooks"): p.read_bytes() for p in (ROOT / "notebooks" / name).rglob("*") if p.is_file()}
        fresh = {p.relative_to(tmp_path): p.read_bytes() for p in (tmp_path / name).rglob("*") if p.is_file()}
        assert committed.keys() == fresh.keys(), f"{name}: files differ; run `python3 course.py release`"
        for path in fresh:
            assert committed[path] == fresh[path], f"notebooks/{path} drifted from solutions/; run `python3 course.py release`"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.parent.name)
def test_source_is_normalized(source):
    text = source.read_text(encoding="utf-8")
    assert text == nbformat.writes(normalized(nbformat.reads(text, as_version=4))) + "\n", \
        f"{source.name} has outputs or run metadata; run `python3 course.py release`"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.parent.name)
def test_source_cells_have_fixed_ids_and_unique_grade_ids(source):
    nb = nbformat.read(source, as_version=4)
    nbformat.validate(nb)
    ids = [c.id for c in nb.cells]
    assert len(ids) == len(set(ids))
    assert all(not re.fullmatch(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}|[0-9a-f]{8}", i) for i in ids), \
        "give cells readable fixed ids, not random ones"
    grade_ids = [_nbgrader(c)["grade_id"] for c in nb.cells if _nbgrader(c)]
    assert len(grade_ids) == len(set(grade_ids))
    assert all(re.fullmatch(r"[a-zA-Z0-9_\-]+", g) for g in grade_ids)
    graded = [c for c in nb.cells if _nbgrader(c).get("grade")]
    assert graded and all(_nbgrader(c)["locked"] and _nbgrader(c)["points"] > 0 for c in graded)
    assert any(HIDDEN.search(c.source) for c in graded), "no hidden tests"
    for cell in nb.cells:
        if _nbgrader(cell).get("solution"):
            assert SOLUTION.search(cell.source), f"answer cell {cell.id} has no solution markers"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.parent.name)
def test_release_leaks_no_solution_hidden_test_or_output(source):
    release = ROOT / "notebooks" / source.relative_to(ROOT / "solutions")
    text = release.read_text(encoding="utf-8")
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in text
    nb = nbformat.read(release, as_version=4)
    # A hint ladder's <details> blocks in markdown show the formula on purpose, to a learner who opens them.
    released_code = "\n".join(DETAILS.sub("", c.source) if c.cell_type == "markdown" else c.source for c in nb.cells)
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in nb.cells if c.cell_type == "code")
    src = nbformat.read(source, as_version=4)
    secret_lines = set()
    for cell in src.cells:
        for block in HIDDEN.findall(cell.source) + SOLUTION.findall(cell.source):
            secret_lines |= {line.strip() for line in block.splitlines() if len(line.strip()) > 12}
    # A secret line may legitimately also appear in visible code (e.g. a shared import).
    visible = {line.strip() for c in src.cells for line in SOLUTION.sub("", HIDDEN.sub("", c.source)).splitlines()}
    leaked = [line for line in secret_lines - visible if line in released_code]
    assert not leaked, f"{release.name} contains solution or hidden-test lines: {leaked[:3]}"
    for cell in nb.cells:
        if _nbgrader(cell).get("solution") and cell.cell_type == "code":
            assert "raise NotImplementedError()" in cell.source


@pytest.mark.slow
def test_one_assignment_failing_stops_neither_the_others_nor_the_report(tmp_path):
    """course.py releases and writes feedback for every assignment in one nbgrader process
    (course_utils/grading/nbgrader_each.py): an assignment nbgrader cannot handle is reported
    as failed, the next one is still done, and the whole says it failed."""
    import shutil
    import subprocess
    import sys

    shutil.copytree(ROOT / "solutions", tmp_path / "solutions")
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    result = subprocess.run([sys.executable, "-m", "course_utils.grading.nbgrader_each", "generate_assignment",
                             "00_missing", "01_loss", "--", "--force", "--no-db", "--log-level=WARN"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result
    assert result.stdout.splitlines() == ["nbgrader_each generate_assignment 00_missing failed",
                                          "nbgrader_each generate_assignment 01_loss ok"], result
    assert "00_missing" in result.stderr  # nbgrader's own message says what was wrong
    assert (tmp_path / "notebooks" / "01_loss" / "01_loss.ipynb").exists()
