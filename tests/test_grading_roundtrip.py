"""The whole grading loop through nbgrader's real commands, for every assignment.

For each assignment in solutions/: the solution scores full marks, the untouched
release scores 0 without crashing the run, and each typical mistake listed in
tests/mistakes/<assignment>.py loses exactly the points it should. The course is the one
test_grading_adversarial.py grades (tests/graded_assignment.py): released once, every
learner of both files graded in one autograde run.
"""
import pytest

from nbgrader_course import ROOT

ASSIGNMENTS = sorted(p.parent.name for p in (ROOT / "solutions").glob("*/*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_full_release_zero_each_mistake_loses_its_points(graded_assignment, assignment):
    shared = graded_assignment(assignment)
    course, mistakes = shared.course, shared.mistakes
    assert mistakes, f"{assignment}: no typical mistakes were graded"

    full = course.scores(assignment, "control")  # the solution
    graded = {gid: mx for gid, (score, mx) in full.items() if mx > 0}
    total = sum(graded.values())
    rows = [("solution", sum(s for s, _ in full.values()))]
    assert graded, "the assignment has no graded cells"
    assert all(full[gid][0] == mx for gid, mx in graded.items()), f"solution lost points: {full}"

    untouched = course.scores(assignment, "stub-untouched")  # the release as handed out
    rows.append(("untouched release", sum(s for s, _ in untouched.values())))
    assert all(score == 0 for score, _ in untouched.values()), f"untouched release scored: {untouched}"

    for answer_id, mistake in mistakes.items():
        scores = course.scores(assignment, shared.mistake_learner(answer_id))
        rows.append((f"mistake in {answer_id}", sum(s for s, _ in scores.values())))
        for gid, max_score in graded.items():
            expected = 0 if gid in mistake["loses"] else max_score
            assert scores[gid][0] == expected, (
                f"{assignment}: with the mistake in {answer_id}, {gid} scored {scores[gid][0]}, expected {expected}")

    print(f"\n{assignment} round trip (out of {total:g}):")
    for who, score in rows:
        print(f"  {who:<40} {score:g}")
