"""One course per assignment, released and graded once for every test that grades it.

test_grading_adversarial.py (bad and dishonest submissions) and test_grading_roundtrip.py
(the solution, the untouched release, each typical mistake of tests/mistakes/) start the
same way: a copy of the course, ``generate_assignment``, the solution and the untouched
release submitted, nbgrader's autograde. Here that happens once per assignment, with the
learners of both files (those the session will run) in ONE autograde run over two workers:

    shared = graded_assignment("01_loss")        # the session fixture of tests/conftest.py
    shared.course.scores("01_loss", "control")   # the solution
    shared.course.scores("01_loss", "stub-untouched")
    shared.course.scores("01_loss", "wrong-mse-answer")   # a typical mistake (round trip)
    shared.adversarial                           # tests/adversarial.py's learners, control first

The scheduler in tests/conftest.py keeps both files' tests of one assignment on one worker.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from adversarial import Learner, learners
from nbgrader_course import TempCourse, load_mistakes, read, replace_cell_source

ADVERSARIAL_FILE = "test_grading_adversarial.py"
ROUNDTRIP_FILE = "test_grading_roundtrip.py"

# Seconds each cell may take. The endless loop of tests/adversarial.py costs this once for
# every test cell that reaches the looping function (up to four), so it is most of a run's
# time. 07 trains for about 4 s on a quiet machine (twice that on a busy one): 30 s. Every
# cell of the other notebooks runs in under 1.5 s on a quiet machine (06's longest, 1.3 s): 10 s.
TIMEOUTS = {"07_mnist": 30}
DEFAULT_TIMEOUT = 10


@dataclass
class GradedAssignment:
    assignment: str
    course: TempCourse
    solution: nbformat.NotebookNode
    release: nbformat.NotebookNode
    adversarial: list = field(default_factory=list)  # Learner, when an adversarial test runs
    mistakes: dict = field(default_factory=dict)     # answer_id -> mistake, when the round trip runs

    @staticmethod
    def mistake_learner(answer_id: str) -> str:
        return f"wrong-{answer_id}"


def wanted_by(session, assignment: str) -> tuple[bool, bool]:
    """Whether the session runs an adversarial test, and a round-trip test, of ``assignment``."""
    files = {item.path.name for item in session.items if item.nodeid.endswith(f"[{assignment}]")}
    return ADVERSARIAL_FILE in files, ROUNDTRIP_FILE in files


def build(assignment: str, where: Path, adversarial: bool = True, roundtrip: bool = True) -> GradedAssignment:
    """Release ``assignment`` in a fresh course, submit the learners asked for, grade them all at once."""
    course = TempCourse(where)
    release = read(course.generate(assignment))
    solution = read(course.source_notebook(assignment))
    shared = GradedAssignment(assignment, course, solution, release)
    if adversarial:
        shared.adversarial = learners(assignment, solution, release)  # the control and the release first
        everyone = list(shared.adversarial)
    else:
        everyone = [Learner("control", solution), Learner("stub-untouched", release)]
    if roundtrip:
        shared.mistakes = load_mistakes(assignment)
        for answer_id, mistake in shared.mistakes.items():
            everyone.append(Learner(shared.mistake_learner(answer_id),
                                    replace_cell_source(solution, answer_id, mistake["source"])))
    for learner in everyone:
        course.submit(learner.name, assignment, learner.notebook)
    course.autograde_parallel(assignment, jobs=2, timeout=TIMEOUTS.get(assignment, DEFAULT_TIMEOUT))
    if adversarial:
        course.nbgrader("generate_feedback", assignment, "--force")
    return shared
