"""Shared fixtures and paths for the test suite."""
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))  # so tests can import helpers like nbgrader_course


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def graded_assignment(request, tmp_path_factory):
    """assignment -> its course, released and graded once per session (tests/graded_assignment.py)."""
    from graded_assignment import build, wanted_by

    built = {}

    def get(assignment: str):
        if assignment not in built:
            adversarial, roundtrip = wanted_by(request.session, assignment)
            built[assignment] = build(assignment, tmp_path_factory.mktemp(f"graded-{assignment}"),
                                      adversarial=adversarial, roundtrip=roundtrip)
        return built[assignment]
    return get


# ---- parallel runs (pytest-xdist) ----------------------------------------------------
# Tests that share an expensive session fixture stay on one worker: the security suite's
# copy of the course and its environment, the browser tests' Voilà server. Files whose
# tests grade one assignment's course are shared out one assignment at a time: the
# adversarial and round-trip tests of an assignment grade the same course (fixture
# graded_assignment), so they go together. Everything else is shared out file by file, so a
# notebook's nbval cells and a module's fixtures stay together.
SHARED_SCOPES = ("tests/security/", "tests/browser/", "tests/hub/")
BY_ASSIGNMENT = ("tests/test_grading_adversarial.py", "tests/test_grading_roundtrip.py")

# Seconds each long scope took in a whole-suite run (`python3 course.py test`, 2 workers on
# 2 cores, each slowed by the other). The longest go first, so the two workers end
# together: the wall time is bounded by the busier worker. A scope not listed counts 0.1 s
# a test (the quick tier's average), so the rest follow largest first. Refresh from
# test-artifacts/scope-seconds.txt, which every parallel run writes.
SCOPE_SECONDS = {
    "tests/security/": 527,
    "tests/browser/": 232,
    "graded 07_mnist": 222,
    "tests/test_grading_workflow.py": 162,
    "tests/hub/": 97,
    "graded 06_architecture": 76,
    "graded 08_next_character": 71,
    "graded 02_gradient_descent": 64,
    "tests/test_collect_class.py": 57,
    "tests/test_benchmark_scripts.py": 52,
    "graded 03_chain_rule": 49,
    "graded 04_relu_gating": 46,
    "graded 01_loss": 41,
    "tests/test_launcher.py": 34,
    "graded 05_matrix_backprop": 29,
    "tests/test_grading_integrity_venv.py": 29,
    "tests/test_release.py": 17,
    "tests/test_feedback_once.py": 12,
    "tests/test_selfpaced.py": 11,
    "tests/test_feedback_sanitised.py": 11,
}


def xdist_scope(nodeid: str) -> str:
    path = nodeid.split("::", 1)[0]
    shared = next((scope for scope in SHARED_SCOPES if path.startswith(scope)), None)
    if shared:
        return shared
    if path in BY_ASSIGNMENT and nodeid.endswith("]"):
        return f"graded {nodeid.rsplit('[', 1)[1][:-1]}"
    return path


def scope_seconds(scope: str, tests: int) -> float:
    return SCOPE_SECONDS.get(scope, 0.1 * tests)


try:
    from xdist.scheduler import LoadScopeScheduling
except ImportError:  # xdist not installed: the suite runs in one process
    LoadScopeScheduling = None

if LoadScopeScheduling is not None:
    class CourseScheduling(LoadScopeScheduling):
        """xdist's scope scheduling with the scopes of :func:`xdist_scope`, longest first."""

        ordered = False

        def _split_scope(self, nodeid):
            return xdist_scope(nodeid)

        def _assign_work_unit(self, node):
            if not self.ordered:  # the queue is complete before the first unit is handed out
                for scope in sorted(self.workqueue, key=lambda s: -scope_seconds(s, len(self.workqueue[s]))):
                    self.workqueue.move_to_end(scope)
                self.ordered = True
            super()._assign_work_unit(node)

    def pytest_xdist_make_scheduler(config, log):
        return CourseScheduling(config, log)


SCOPE_TOTALS: dict[str, float] = {}


def pytest_runtest_logreport(report):
    """In the controller of a parallel run: add up each scope's set-up, call and teardown time."""
    scope = xdist_scope(report.nodeid)
    SCOPE_TOTALS[scope] = SCOPE_TOTALS.get(scope, 0.0) + report.duration


def write_scope_seconds(config) -> None:
    if getattr(config, "workerinput", None) is not None or not config.pluginmanager.hasplugin("dsession"):
        return
    if SCOPE_TOTALS:
        (ROOT / "test-artifacts").mkdir(exist_ok=True)
        lines = [f"{seconds:8.1f}  {scope}" for scope, seconds in sorted(SCOPE_TOTALS.items(), key=lambda i: -i[1])]
        (ROOT / "test-artifacts" / "scope-seconds.txt").write_text("\n".join(lines) + "\n")


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Under xdist the browser figures were measured in a worker: print them here once."""
    if getattr(config, "workerinput", None) is not None or not config.pluginmanager.hasplugin("dsession"):
        return
    write_scope_seconds(config)
    sys.path.insert(0, str(Path(__file__).resolve().parent / "browser"))
    from browser_harness import merge_worker_latencies, write_latency_report

    if merge_worker_latencies():
        write_latency_report(terminalreporter)


def pytest_sessionstart(session):
    if getattr(session.config, "workerinput", None) is None:  # the controller, or a serial run
        shutil.rmtree(ROOT / "test-artifacts" / "browser" / "latency-parts", ignore_errors=True)
