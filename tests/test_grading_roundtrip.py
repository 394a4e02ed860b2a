"""The whole grading loop through nbgrader's real commands, for every assignment.

For each assignment in solutions/: the solution scores full marks, the untouched
release scores 0 without crashing the run, and each typical mistake listed in
tests/mistakes/<assignment>.py loses exactly the points it should.
"""
import nbformat
import pytest

from nbgrader_course import ROOT, TempCourse, load_mistakes, read, replace_cell_source

ASSIGNMENTS = sorted(p.parent.name for p in (ROOT / "solutions").glob("*/*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_full_release_zero_each_mistake_loses_its_points(tmp_path, assignment):
    course = TempCourse(tmp_path)
    release = read(course.generate(assignment))
    solution = read(course.source_notebook(assignment))
    mistakes = load_mistakes(assignment)

    course.submit("solution", assignment, solution)
    course.submit("untouched", assignment, release)
    for answer_id, mistake in mistakes.items():
        course.submit(f"wrong-{answer_id}", assignment,
                      replace_cell_source(solution, answer_id, mistake["source"]))
    course.autograde(assignment)

    full = course.scores(assignment, "solution")
    graded = {gid: mx for gid, (score, mx) in full.items() if mx > 0}
    total = sum(graded.values())
    rows = [("solution", sum(s for s, _ in full.values()))]
    assert graded, "the assignment has no graded cells"
    assert all(full[gid][0] == mx for gid, mx in graded.items()), f"solution lost points: {full}"

    untouched = course.scores(assignment, "untouched")
    rows.append(("untouched release", sum(s for s, _ in untouched.values())))
    assert all(score == 0 for score, _ in untouched.values()), f"untouched release scored: {untouched}"

    for answer_id, mistake in mistakes.items():
        scores = course.scores(assignment, f"wrong-{answer_id}")
        rows.append((f"mistake in {answer_id}", sum(s for s, _ in scores.values())))
        for gid, max_score in graded.items():
            expected = 0 if gid in mistake["loses"] else max_score
            assert scores[gid][0] == expected, (
                f"{assignment}: with the mistake in {answer_id}, {gid} scored {scores[gid][0]}, expected {expected}")

    print(f"\n{assignment} round trip (out of {total:g}):")
    for who, score in rows:
        print(f"  {who:<40} {score:g}")
