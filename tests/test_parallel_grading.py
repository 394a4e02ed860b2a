"""course_utils.parallel_grading: workers' gradebooks merge into the course's without losing anyone."""
import os
import sqlite3
import sys
import threading
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from course_utils import parallel_grading as pg
from nbgrader_course import TempCourse, load_mistakes, read, replace_cell_source

COURSE = "test-course"
# nbgrader's own add_submission makes SQLAlchemy warn about its session; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")


@pytest.fixture(autouse=True)
def alembic_on_path(monkeypatch):
    # A new gradebook runs nbgrader's `alembic` command: the one of this environment.
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")


def make_gradebook(path, students=("ann", "bob")):
    """A gradebook with one assignment of two graded cells and a submission per student."""
    with Gradebook(f"sqlite:///{path}", COURSE) as gb:
        gb.add_assignment("hw")
        gb.add_notebook("hw", "hw")
        for name, points in (("part-a", 1.0), ("part-b", 2.0)):
            gb.add_grade_cell(name, "hw", "hw", max_score=points, cell_type="code")
        for student in students:
            gb.add_student(student)
            gb.add_submission("hw", student)
            for name in ("part-a", "part-b"):
                grade = gb.find_grade(name, "hw", "hw", student)
                grade.auto_score = 0.0
        gb.db.commit()


def set_score(path, student, cell, score, manual=None):
    with Gradebook(f"sqlite:///{path}", COURSE) as gb:
        try:
            gb.find_submission("hw", student)
        except Exception:
            gb.update_or_create_student(student)
            gb.add_submission("hw", student)
        grade = gb.find_grade(cell, "hw", "hw", student)
        grade.auto_score = score
        if manual is not None:
            grade.manual_score = manual
        gb.db.commit()


def all_scores(path):
    with Gradebook(f"sqlite:///{path}", COURSE) as gb:
        return {(s.student.id, g.name): (g.auto_score, g.manual_score)
                for s in gb.assignment_submissions("hw") for nb in s.notebooks for g in nb.grades}


def row_counts(path):
    with sqlite3.connect(path) as con:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("student", *pg.SUBMISSION_TABLES)}


def test_merge_replaces_the_workers_learners_and_leaves_everyone_else_alone(tmp_path):
    main, worker = tmp_path / "main.db", tmp_path / "worker.db"
    make_gradebook(main)
    pg.copy_database(main, worker)
    set_score(worker, "ann", "part-a", 1.0)     # graded by this worker
    set_score(worker, "cat", "part-b", 2.0)     # a learner new to the course
    set_score(worker, "bob", "part-a", 1.0)     # NOT this worker's learner: must not leak in
    copied = pg.merge_worker_database(main, worker, ["ann", "cat"], ["hw"])
    assert copied == 2
    scores = all_scores(main)
    assert scores[("ann", "part-a")] == (1.0, None)
    assert scores[("cat", "part-b")] == (2.0, None)
    assert scores[("bob", "part-a")] == (0.0, None)
    counts = row_counts(main)
    assert counts["submitted_assignment"] == 3 and counts["grade"] == 6 and counts["comment"] == 0


def test_merge_is_idempotent_and_keeps_manual_scores_the_worker_kept(tmp_path):
    main, worker = tmp_path / "main.db", tmp_path / "worker.db"
    make_gradebook(main)
    set_score(main, "ann", "part-b", 0.0, manual=1.5)  # an instructor's manual grade
    pg.copy_database(main, worker)
    set_score(worker, "ann", "part-a", 1.0)
    for _ in range(2):
        pg.merge_worker_database(main, worker, ["ann"], ["hw"])
    assert all_scores(main)[("ann", "part-b")] == (0.0, 1.5)
    assert all_scores(main)[("ann", "part-a")] == (1.0, None)
    assert row_counts(main)["grade"] == 4


def test_merge_refuses_a_worker_gradebook_of_another_course_definition_and_changes_nothing(tmp_path):
    main, worker = tmp_path / "main.db", tmp_path / "worker.db"
    make_gradebook(main)
    make_gradebook(worker)  # same names, but fresh ids: not a copy of the course's gradebook
    set_score(worker, "ann", "part-a", 1.0)
    before = all_scores(main)
    with pytest.raises(RuntimeError, match="does not"):
        pg.merge_worker_database(main, worker, ["ann"], ["hw"])
    assert all_scores(main) == before


def test_a_second_parallel_run_on_the_same_course_is_refused(tmp_path):
    dirs = pg.CourseDirs(tmp_path, tmp_path / "submitted", tmp_path / "grading" / "gradebook.db")
    inside = threading.Event()
    with pg.course_lock(dirs):
        with pytest.raises(RuntimeError, match="another parallel grading run"):
            with pg.course_lock(dirs):
                inside.set()
    assert not inside.is_set()
    with pg.course_lock(dirs):  # released again
        pass


@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_learners_are_split_into_balanced_disjoint_groups(tmp_path, jobs):
    counts = {"a": 3, "b": 1, "c": 2, "d": 2, "e": 1}
    for student, n in counts.items():
        for k in range(n):
            folder = tmp_path / "submitted" / student / f"as{k}"
            folder.mkdir(parents=True)
            (folder / f"as{k}.ipynb").write_text("{}")
    dirs = pg.CourseDirs(tmp_path, tmp_path / "submitted", tmp_path / "gradebook.db")
    assignments = ["as0", "as1", "as2"]
    groups = pg.split_students(pg.submitted_students(dirs, assignments), dirs, assignments, jobs)
    assert len(groups) == jobs
    assert sorted(s for g in groups for s in g) == sorted(counts)
    loads = [sum(counts[s] for s in g) for g in groups]
    assert max(loads) - min(loads) <= max(counts.values())


def test_course_dirs_are_read_from_the_courses_nbgrader_config(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text(
        'c = get_config()\nc.CourseDirectory.submitted_directory = "x/sub"\n'
        'c.CourseDirectory.db_url = "sqlite:///x/gb.db"\n')
    dirs = pg.CourseDirs.read(tmp_path)
    assert dirs.submitted == tmp_path.resolve() / "x" / "sub"
    assert dirs.db == tmp_path.resolve() / "x" / "gb.db"


@pytest.mark.slow
def test_parallel_autograde_gives_the_same_scores_as_sequential_nbgrader(tmp_path):
    assignment = "01_loss"
    courses = {}
    for mode in ("sequential", "parallel"):
        course = TempCourse(tmp_path / mode)
        release = read(course.generate(assignment))
        solution = read(course.source_notebook(assignment))
        course.submit("full", assignment, solution)
        course.submit("untouched", assignment, release)
        for answer_id, mistake in load_mistakes(assignment).items():
            course.submit(f"wrong-{answer_id}", assignment, replace_cell_source(solution, answer_id, mistake["source"]))
        courses[mode] = course
    courses["sequential"].autograde(assignment)
    results = pg.autograde_parallel(courses["parallel"].root, [assignment], jobs=2)
    assert len(results) == 2 and all(r.returncodes == [0] for r in results)
    students = ["full", "untouched", *(f"wrong-{a}" for a in load_mistakes(assignment))]
    for student in students:
        assert courses["parallel"].scores(assignment, student) == courses["sequential"].scores(assignment, student)
        assert (courses["parallel"].root / "grading" / "autograded" / student / assignment / f"{assignment}.ipynb").exists()
    assert sum(s for s, _ in courses["parallel"].scores(assignment, "full").values()) > 0
