"""How parallel grading shares out the work (the grading itself is compared with the
sequential run in test_grading_workflow.py)."""
import pytest

from course_utils.grading.parallel import THREAD_VARIABLES, plan, submissions, worker_environment


@pytest.mark.parametrize("cores,jobs,threads", [(2, 2, "1"), (8, 2, "4"), (2, 4, "1"), (4, 1, "4")])
def test_each_worker_gets_cores_divided_by_jobs_threads(monkeypatch, cores, jobs, threads):
    for name in THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    env = worker_environment(jobs, cores)
    assert all(env[name] == threads for name in THREAD_VARIABLES)


def test_an_explicit_thread_setting_of_the_instructor_wins(monkeypatch):
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "3")
    assert worker_environment(2, 2)["OPENBLAS_NUM_THREADS"] == "3"


def test_submissions_lists_only_the_requested_assignments_that_were_handed_in(tmp_path):
    for student, assignment in [("bo", "01_loss"), ("al", "01_loss"), ("al", "07_mnist"), ("al", "99_other")]:
        (tmp_path / student / assignment).mkdir(parents=True)
    (tmp_path / "al" / "notes.txt").write_text("a file, not a submission")
    assert submissions(tmp_path, ["01_loss", "07_mnist"]) == [("01_loss", "al"), ("01_loss", "bo"),
                                                              ("07_mnist", "al")]


@pytest.mark.parametrize("learners,jobs", [(1, 2), (3, 2), (30, 2), (7, 3)])
def test_every_submission_goes_to_exactly_one_worker_and_each_assignment_is_split_evenly(learners, jobs):
    pairs = sorted((a, f"learner{i:02d}") for a in ("01_loss", "06_architecture", "07_mnist")
                   for i in range(learners))
    shares = plan(pairs, jobs)
    assert len(shares) == min(jobs, len(pairs)) and all(shares)
    assert sorted(p for share in shares for p in share) == pairs
    for assignment in ("01_loss", "06_architecture", "07_mnist"):
        counts = [sum(a == assignment for a, _ in share) for share in shares]
        assert max(counts) - min(counts) <= 1, (assignment, counts)
