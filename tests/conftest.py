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
# copy of the course and its environment, the browser tests' Voilà server (those run last
# and alone: see RUNS_ALONE_AT_THE_END). Files whose
# tests grade one assignment's course are shared out one assignment at a time: the
# adversarial and round-trip tests of an assignment grade the same course (fixture
# graded_assignment), so they go together. Everything else is shared out file by file, so a
# notebook's nbval cells and a module's fixtures stay together.
SHARED_SCOPES = ("tests/browser/",)  # the security suite: SECURITY_HALVES below
# Tests that change the environment's Jupyter configuration (test_launcher.py switches the
# instructor tools on and off in the venv) and tests that depend on it (the hub's instructor
# must see formgrader, a learner's JupyterLab must not): one scope, so one worker runs them
# one after the other. Beside each other, the switch's seconds could fall in another's page load.
JUPYTER_CONFIG = "the environment's Jupyter configuration (hub, launcher, JupyterLab)"
CHANGES_JUPYTER_CONFIG = ("tests/hub/", "tests/test_launcher.py")
BY_ASSIGNMENT = ("tests/test_grading_adversarial.py", "tests/test_grading_roundtrip.py")

# Seconds each long scope took in a whole-suite run (3 workers on 2 cores, the browser
# tests left out; each scope slowed by the others). The longest go first, so the two workers end
# together: the wall time is bounded by the busier worker. A scope not listed counts 0.1 s
# a test (the quick tier's average), so the rest follow largest first. Refresh from
# test-artifacts/scope-seconds.txt, which every parallel run writes.
SCOPE_SECONDS = {   # a fresh clone's whole-suite run (test-artifacts/scope-seconds.txt), rounded
    "tests/security/ (half 1)": 350,   # confinement and protocol, isolation required
    "tests/security/ (half 2)": 315,   # environment (with the process holders) and escape
    "graded 07_mnist": 210,
    "tests/test_collect_class.py": 200,
    JUPYTER_CONFIG: 350,               # the hub 185, JupyterLab's browser tests 120, the launcher 45
    "graded 06_architecture": 165,
    "tests/test_grading_workflow.py": 155,
    "tests/test_benchmark_scripts.py": 130,
    "graded 03_chain_rule": 100,
    "graded 02_gradient_descent": 95,
    "graded 08_next_character": 85,
    "graded 05_matrix_backprop": 85,
    "graded 04_relu_gating": 80,
    "tests/test_grading_integrity_venv.py": 80,
    "graded 01_loss": 70,
    "tests/test_feedback_sanitised.py": 38,
    "tests/test_selfpaced.py": 37,
    "tests/test_feedback_once.py": 28,
}


# The security suite is the longest scope (over 500 s): in two halves, each on one worker
# with its own copy of the course (preparing one takes some 20 s), it is no longer the
# wall time's lower bound.
SECURITY_HALVES = {"test_confinement_and_protocol_attacks.py": 1, "test_isolation_required.py": 1,
                   "test_environment_and_escape_attacks.py": 2}


def xdist_scope(nodeid: str) -> str:
    path = nodeid.split("::", 1)[0]
    if path == PREHEATS_THE_BROWSER_TESTS:
        return PREHEATS_THE_BROWSER_TESTS
    if path.startswith(RUNS_ALONE_AT_THE_END) and path.rsplit("/", 1)[-1] in TIMES_NOTHING:
        return JUPYTER_CONFIG
    if path.startswith(CHANGES_JUPYTER_CONFIG):
        return JUPYTER_CONFIG
    if path.startswith("tests/security/"):
        return f"tests/security/ (half {SECURITY_HALVES.get(path.rsplit('/', 1)[-1], 1)})"
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

# The browser tests time the widgets (input -> redraw latency, frames a second): they run
# last, on one worker, once every other test has finished, so that the figures they print
# are the widgets' own and not those of a machine busy grading in the other workers.
RUNS_ALONE_AT_THE_END = "tests/browser/"
# ... all but these, which drive JupyterLab itself and time no widget: they run beside the
# grading tests (in the scope JUPYTER_CONFIG), so the machine is not half idle for their minute.
TIMES_NOTHING = ("test_jupyterlab_open.py", "test_jupyterlab_selfpaced.py", "test_feedback_in_lab.py")
# The worker that will run them gets this file as soon as nothing else is left to hand out, while
# the others finish their last tests: its first test starts Voilà, which runs the widget
# notebooks then (a minute of cells), and its second waits for them once the worker is alone.
PREHEATS_THE_BROWSER_TESTS = "tests/browser/test_nb00_voila_preheat.py"

if LoadScopeScheduling is not None:
    class CourseScheduling(LoadScopeScheduling):
        """xdist's scope scheduling with the scopes of :func:`xdist_scope`, longest first,
        and the browser tests alone at the end."""

        ordered = False

        def _split_scope(self, nodeid):
            return xdist_scope(nodeid)

        def _order(self):
            if not self.ordered:  # the queue is complete before the first unit is handed out
                last = (PREHEATS_THE_BROWSER_TESTS, RUNS_ALONE_AT_THE_END)

                def key(scope):
                    rank = last.index(scope) + 1 if scope in last else 0
                    return (rank, -scope_seconds(scope, len(self.workqueue[scope])))
                for scope in sorted(self.workqueue, key=key):
                    self.workqueue.move_to_end(scope)
                self.ordered = True

        alone = None  # the worker that will run RUNS_ALONE_AT_THE_END, once the others are gone

        def _assign_work_unit(self, node):
            self._order()
            first = next(iter(self.workqueue))
            if first not in (PREHEATS_THE_BROWSER_TESTS, RUNS_ALONE_AT_THE_END):
                return super()._assign_work_unit(node)
            # Only the browser tests are left. A worker runs its last test only once it is
            # given more or told to stop: the others are told to stop (they finish what they
            # have and leave), and this one gets the browser tests when it is the last.
            if self.alone is None:
                self.alone = node
                for other in self.nodes:
                    if other is not node and not other.shutting_down:
                        other.shutdown()
            if first == PREHEATS_THE_BROWSER_TESTS:   # at once, beside the others' last tests
                if node is self.alone:
                    super()._assign_work_unit(node)
                return
            self._start_alone_when_the_others_are_gone()

        def _start_alone_when_the_others_are_gone(self):
            if (self.alone is not None and RUNS_ALONE_AT_THE_END in self.workqueue
                    and list(self.assigned_work) == [self.alone]):
                super()._assign_work_unit(self.alone)

        def remove_node(self, node):
            crashed = super().remove_node(node)
            if node is self.alone:   # it crashed: whoever asks next takes the browser tests
                self.alone = None
            self._start_alone_when_the_others_are_gone()
            return crashed

    def pytest_xdist_make_scheduler(config, log):
        return CourseScheduling(config, log)


SCOPE_TOTALS: dict[str, float] = {}
SCOPE_CPU: dict[str, float] = {}


def cpu_seconds() -> float:
    """CPU time of this process and of every child it has waited for (nbgrader, kernels, sandboxes)."""
    import resource

    return sum(u.ru_utime + u.ru_stime for u in (resource.getrusage(resource.RUSAGE_SELF),
                                                  resource.getrusage(resource.RUSAGE_CHILDREN)))


_CPU_MARK = [None]


def pytest_collection_finish(session):
    """Start the CPU count when the tests start, so the first test's set-up is counted too."""
    _CPU_MARK[0] = cpu_seconds()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Each phase's report carries the CPU seconds the worker and its children spent since the
    last report: on 2 cores the suite's wall time is bounded by its CPU time over 2, so this is
    the figure that says which scope to make cheaper."""
    outcome = yield
    now = cpu_seconds()
    spent = now - (_CPU_MARK[0] if _CPU_MARK[0] is not None else now)
    _CPU_MARK[0] = now
    outcome.get_result().user_properties.append(("cpu_seconds", round(spent, 2)))


def pytest_runtest_logreport(report):
    """In the controller of a parallel run: add up each scope's set-up, call and teardown time."""
    scope = xdist_scope(report.nodeid)
    SCOPE_TOTALS[scope] = SCOPE_TOTALS.get(scope, 0.0) + report.duration
    cpu = dict(report.user_properties).get("cpu_seconds", 0.0)
    SCOPE_CPU[scope] = SCOPE_CPU.get(scope, 0.0) + cpu


def write_scope_seconds(config) -> None:
    """test-artifacts/scope-seconds.txt: wall and CPU seconds of each scope, longest first."""
    if getattr(config, "workerinput", None) is not None or not config.pluginmanager.hasplugin("dsession"):
        return
    if SCOPE_TOTALS:
        (ROOT / "test-artifacts").mkdir(exist_ok=True)
        lines = ["    wall       cpu  scope"]
        lines += [f"{seconds:8.1f}  {SCOPE_CPU.get(scope, 0.0):8.1f}  {scope}"
                  for scope, seconds in sorted(SCOPE_TOTALS.items(), key=lambda i: -i[1])]
        lines.append(f"{sum(SCOPE_TOTALS.values()):8.1f}  {sum(SCOPE_CPU.values()):8.1f}  (all scopes)")
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


def pytest_configure(config):
    # nbval's kernels (solutions/*.ipynb) over local sockets, like every other kernel the
    # tests start outside a sandbox: beside other workers' kernels, a TCP port could be taken.
    from kernel_sockets import use_local_sockets_for_nbval

    use_local_sockets_for_nbval()
