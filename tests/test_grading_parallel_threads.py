"""Parallel grading gives each worker its share of the cores for BLAS/OpenMP threads."""
import pytest

from course_utils.grading_parallel import THREAD_VARIABLES, worker_environment


@pytest.mark.parametrize("cores,jobs,threads", [(2, 2, "1"), (8, 2, "4"), (2, 4, "1"), (4, 1, "4")])
def test_each_worker_gets_cores_divided_by_jobs_threads(monkeypatch, cores, jobs, threads):
    for name in THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    env = worker_environment(jobs, cores)
    assert all(env[name] == threads for name in THREAD_VARIABLES)


def test_an_explicit_thread_setting_of_the_instructor_wins(monkeypatch):
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "3")
    assert worker_environment(2, 2)["OPENBLAS_NUM_THREADS"] == "3"
