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
# copy of the course and its environment, the browser tests' Voilà server. Everything else
# is shared out file by file, so a notebook's nbval cells and a module's fixtures stay
# together.
SHARED_SCOPES = ("tests/security/", "tests/browser/", "tests/hub/")


def xdist_scope(nodeid: str) -> str:
    path = nodeid.split("::", 1)[0]
    return next((scope for scope in SHARED_SCOPES if path.startswith(scope)), path)


try:
    from xdist.scheduler import LoadScopeScheduling
except ImportError:  # xdist not installed: the suite runs in one process
    LoadScopeScheduling = None

if LoadScopeScheduling is not None:
    class CourseScheduling(LoadScopeScheduling):
        """xdist's scope scheduling with the scopes of :func:`xdist_scope`."""

        def _split_scope(self, nodeid):
            return xdist_scope(nodeid)

    def pytest_xdist_make_scheduler(config, log):
        return CourseScheduling(config, log)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Under xdist the browser figures were measured in a worker: print them here once."""
    if getattr(config, "workerinput", None) is not None or not config.pluginmanager.hasplugin("dsession"):
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent / "browser"))
    from browser_harness import merge_worker_latencies, write_latency_report

    if merge_worker_latencies():
        write_latency_report(terminalreporter)


def pytest_sessionstart(session):
    if getattr(session.config, "workerinput", None) is None:  # the controller, or a serial run
        shutil.rmtree(ROOT / "test-artifacts" / "browser" / "latency-parts", ignore_errors=True)
