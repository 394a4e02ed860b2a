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


# ---- parallel runs (pytest-xdist) ----------------------------------------------------
# Tests that share an expensive session fixture stay on one worker: the security suite's
# copy of the course and its environment, the browser tests' Voilà server. Files whose
# tests share nothing across assignments are shared out one assignment at a time (each
# assignment's module fixture builds and grades its own course). Everything else is shared
# out file by file, so a notebook's nbval cells and a module's fixtures stay together.
SHARED_SCOPES = ("tests/security/", "tests/browser/", "tests/hub/")
SPLIT_BY_ASSIGNMENT = ("tests/test_grading_adversarial.py", "tests/test_grading_roundtrip.py")

# Seconds each long scope took on one worker of a whole-suite run on 2 cores (the other
# worker busy too). The longest go first, so the two workers end together: the wall time
# is bounded by the longest worker. A scope not listed counts one second a test, so the
# rest follow the largest files first. Refresh from test-artifacts/scope-seconds.txt,
# which every parallel run writes.
SCOPE_SECONDS = {
    "tests/security/": 420,
    "tests/browser/": 300,
    "tests/test_grading_workflow.py": 145,
    "tests/hub/": 80,
    "tests/test_grading_adversarial.py[01_loss]": 40,
    "tests/test_grading_adversarial.py[02_gradient_descent]": 60,
    "tests/test_grading_adversarial.py[03_chain_rule]": 50,
    "tests/test_grading_adversarial.py[04_relu_gating]": 60,
    "tests/test_grading_adversarial.py[05_matrix_backprop]": 40,
    "tests/test_grading_adversarial.py[06_architecture]": 50,
    "tests/test_grading_adversarial.py[07_mnist]": 190,
    "tests/test_grading_adversarial.py[08_next_character]": 80,
    "tests/test_grading_roundtrip.py[06_architecture]": 34,
    "tests/test_grading_roundtrip.py[07_mnist]": 45,
}


def xdist_scope(nodeid: str) -> str:
    path = nodeid.split("::", 1)[0]
    shared = next((scope for scope in SHARED_SCOPES if path.startswith(scope)), None)
    if shared:
        return shared
    if path in SPLIT_BY_ASSIGNMENT and nodeid.endswith("]"):
        return f"{path}[{nodeid.rsplit('[', 1)[1]}"
    return path


def scope_seconds(scope: str, tests: int) -> float:
    return SCOPE_SECONDS.get(scope, float(tests))


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
