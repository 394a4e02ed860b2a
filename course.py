#!/usr/bin/env python3
"""One entry point for learners, instructors and maintainers.

    python3 course.py open        # set up, then JupyterLab on notebook 01 in your workspace
    python3 course.py progress    # grade your saved notebooks with the course's hidden tests
    python3 course.py solution NN_name [function]   # a worked solution, once your answer passes
    python3 course.py reset NN_name                  # a fresh copy of a notebook (yours kept beside it)
    python3 course.py test        # set up, then the whole test suite (extra args go to pytest)
    python3 course.py test --quick   # the quick tier: every module and notebook, about a minute
    python3 course.py release     # regenerate notebooks/ from solutions/ (maintainers)
    python3 course.py instructor on|off   # show or hide nbgrader's instructor tools
    python3 course.py grade release|collect|autograde|feedback|export   # an instructor's grading steps
    python3 course.py grade trust       # after changing course_utils/ or the environment on purpose

Only the standard library is used here, because this file runs before anything is
installed: it creates a virtual environment (``.venv`` or ``$COURSE_VENV``), installs
the course into it when ``pyproject.toml`` changed, and re-runs itself inside it.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("COURSE_VENV", ROOT / ".venv")).resolve()
WORKSPACE = Path(os.environ.get("COURSE_WORKSPACE", ROOT / "workspace")).resolve()
RELEASE = ROOT / "notebooks"
FIRST_NOTEBOOK = Path("01_loss") / "01_loss.ipynb"

# Debian packages the full test suite uses when it can install them (root + apt):
# a browser for the widget tests, full-size Fashion-MNIST in the MNIST file format, and
# bubblewrap for confined grading.
# bubblewrap confines learners' code during grading (course_utils/grading/confine.py).
SYSTEM_PACKAGES = {"/usr/bin/chromium": "chromium",
                   "/usr/share/datasets/fashion-mnist": "dataset-fashion-mnist",
                   "/usr/bin/bwrap": "bubblewrap"}
# JupyterHub's proxy, from npm, for the classroom test (tests/hub/test_hub_classroom.py).
PROXY_PACKAGE = "configurable-http-proxy@5"
PROXY_PREFIX = Path.home() / ".cache" / "learning-from-mistakes" / "configurable-http-proxy"

# nbgrader's instructor tools; learners do not need to see them.
INSTRUCTOR_LAB_EXTENSIONS = ["@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment"]
INSTRUCTOR_SERVER_EXTENSIONS = ["nbgrader.server_extensions.formgrader"]
# Studying alone (`open`) there is no exchange: nbgrader's Assignment List, Course List and
# its menu would only fail, and JupyterLab's news pop-up is noise. Switched off for `open`
# only, through a configuration folder of its own (JUPYTER_CONFIG_PATH), so the same
# environment still serves a class (classroom/) with nbgrader's menus.
SELF_PACED_LAB_DISABLED = ["@jupyter/nbgrader:assignment-list", "@jupyter/nbgrader:course-list",
                           "@jupyter/nbgrader:menu", "@jupyterlab/apputils-extension:announcements"]
# Voilà (installed with the test extras) turns traitlets' deprecation warnings on and then
# reads a deprecated setting: a warning at every start, for a page learners do not use here.
SELF_PACED_SERVER_DISABLED = ["nbgrader.server_extensions.assignment_list", "nbgrader.server_extensions.course_list",
                              "voila.server_extension"]
SELF_PACED_CONFIG = VENV / "etc" / "learning-from-mistakes" / "self-paced"


def say(message: str) -> None:
    print(f"[course] {message}", flush=True)


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def inside_venv() -> bool:
    return Path(sys.prefix).resolve() == VENV


def ensure_environment(extras: list[str]) -> None:
    """Create the venv and install the course with ``extras`` unless already done.

    A stamp file records the hash of pyproject.toml and the extras installed, so a
    second run costs nothing and a changed pin triggers a reinstall.
    """
    if not venv_python().exists():
        say(f"creating a virtual environment in {VENV}")
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / ".course-installed"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    installed = stamp.read_text().split() if stamp.exists() else []
    if installed[:1] == [digest] and set(extras) <= set(installed[1:]):
        return
    # Extras installed earlier stay installed (pip never removes them): keep them listed.
    wanted = sorted(set(extras) | set(installed[1:]))
    spec = f"{ROOT}[{','.join(wanted)}]" if wanted else str(ROOT)
    say(f"installing the course and its dependencies ({', '.join(wanted) or 'base'}); the first time takes about a minute")
    run([str(venv_python()), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "--editable", spec])
    stamp.write_text(" ".join([digest, *wanted]))
    if (ROOT / "grading").is_dir():  # an instructor's course: what grades is what was just installed
        say("recording the grading environment's manifest (grading/environment-manifest.json)")
        empty_bytecode_cache(ROOT)
        run([str(venv_python()), "-m", "course_utils.grading.trust", str(ROOT)],
            env=dict(os.environ, PYTHONPYCACHEPREFIX=str(ROOT / "grading" / ".pycache")))


def empty_bytecode_cache(course: Path) -> None:
    """Empty grading's private ``PYTHONPYCACHEPREFIX`` before a process that trusts the environment starts.

    Compiled files are not in the manifest (trust.py): the ones a trusting command finds must
    all come from the sources it hashes. Emptied before that process imports anything, the cache
    fills again from those sources as it runs, so the next grading step starts warm (some 7 s
    sooner than from an empty cache: nbgrader's import compiles about a thousand modules).
    """
    shutil.rmtree(course / "grading" / ".pycache", ignore_errors=True)


def run(command: list[str], **kwargs) -> None:
    result = subprocess.run(command, **kwargs)
    if result.returncode != 0:
        sys.exit(result.returncode)


def reexec_in_venv(pycache_prefix: Path | None = None) -> None:
    """Continue this same command with the venv's interpreter (and ``PYTHONPYCACHEPREFIX``, if given).

    Grading passes a private ``pycache_prefix``: Python then reads and writes compiled files
    only there, never in a ``__pycache__`` beside the sources (which the integrity manifest
    skips), from the first import on.
    """
    prefix_missing = pycache_prefix is not None and os.environ.get("PYTHONPYCACHEPREFIX") != str(pycache_prefix)
    if not inside_venv() or prefix_missing:
        if pycache_prefix is not None:
            os.environ["PYTHONPYCACHEPREFIX"] = str(pycache_prefix)
            os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # the private cache is only useful if it fills
        # Commands of the venv (nbgrader runs `alembic`, jupyter its helpers) come first.
        os.environ["PATH"] = f"{venv_python().parent}{os.pathsep}{os.environ.get('PATH', '')}"
        os.environ["VIRTUAL_ENV"] = str(VENV)
        os.execv(str(venv_python()), [str(venv_python()), str(Path(__file__).resolve()), *sys.argv[1:]])


def jupyter(*args: str) -> list[str]:
    return [str(venv_python()), "-m", "jupyter", *args]


def set_instructor_tools(enabled: bool) -> None:
    """Show or hide nbgrader's instructor tools in the venv's Jupyter configuration.

    The same functions ``jupyter labextension enable|disable|unlock --level=sys_prefix`` and
    ``jupyter server extension enable|disable --sys-prefix`` call, called here in the venv's
    own interpreter (the callers have re-executed into it): the whole switch takes 3.5 s
    instead of 14 (five Jupyter start-ups).
    """
    from jupyter_server.extension.serverextension import toggle_server_extension_python
    from jupyterlab.commands import disable_extension, enable_extension, unlock_extension

    for extension in INSTRUCTOR_LAB_EXTENSIONS:
        (enable_extension if enabled else disable_extension)(extension, level="sys_prefix")
        # JupyterLab's first run after a disable "migrates" it to a lock, which an
        # instructor's own `labextension enable --level=user` (the hub) could not undo.
        unlock_extension(extension, level="sys_prefix")
    for extension in INSTRUCTOR_SERVER_EXTENSIONS:
        toggle_server_extension_python(extension, enabled=enabled, sys_prefix=True)


def instructor_tools_hidden() -> bool:
    """True when the venv's Jupyter config already hides every instructor tool.

    Reading the two config files costs nothing; asking `jupyter` four times costs
    seconds at every launch.
    """
    config = VENV / "etc" / "jupyter"
    try:
        page = json.loads((config / "labconfig" / "page_config.json").read_text())
        disabled = page.get("disabledExtensions", {})
        if any(page.get("lockedExtensions", {}).get(ext) for ext in INSTRUCTOR_LAB_EXTENSIONS):
            return False  # locked by an older launcher: unlock them
        servers = {}
        for name in INSTRUCTOR_SERVER_EXTENSIONS:
            path = config / "jupyter_server_config.d" / f"{name}.json"
            servers[name] = json.loads(path.read_text())["ServerApp"]["jpserver_extensions"][name]
    except (OSError, ValueError, KeyError):
        return False
    return all(disabled.get(ext) for ext in INSTRUCTOR_LAB_EXTENSIONS) and not any(servers.values())


# ---- open -------------------------------------------------------------------------

def sync_workspace(release: Path, workspace: Path) -> list[Path]:
    """Copy release notebooks the learner does not have yet; never touch existing ones.

    Returns the relative paths that were added. Every other file already in the
    workspace (the learner's work) is left exactly as it is. Each copy is recorded in
    ``<workspace>/.course/state.json`` (see course_utils/selfpaced/workspace.py).
    """
    from course_utils.selfpaced import workspace as state_file

    state = state_file.load_state(workspace)
    added = []
    for source in sorted(release.rglob("*")):
        if not source.is_file() or ".ipynb_checkpoints" in source.parts:
            continue
        relative = source.relative_to(release)
        target = workspace / relative
        if target.exists():
            # A copy placed before records were kept, still as released: record it now.
            if str(relative) not in state["placed"] and target.read_bytes() in (
                    source.read_bytes(), state_file.placed_bytes(source)):
                state["placed"][str(relative)] = {"release": state_file.sha(source), "placed": state_file.sha(target)}
            continue
        # Written to a temporary name first so an interrupted copy never looks like work.
        state_file.place(source, target, state, str(relative))
        added.append(relative)
    state_file.save_state(workspace, state)
    return added


def self_paced_config() -> Path:
    """The configuration folder `open` adds: nbgrader's class menus and the news pop-up off."""
    labconfig = SELF_PACED_CONFIG / "labconfig"
    labconfig.mkdir(parents=True, exist_ok=True)
    page = {"disabledExtensions": {name: True for name in SELF_PACED_LAB_DISABLED}}
    server = {"ServerApp": {"jpserver_extensions": {name: False for name in SELF_PACED_SERVER_DISABLED}}}
    for path, content in ((labconfig / "page_config.json", page),
                          (SELF_PACED_CONFIG / "jupyter_server_config.json", server)):
        text = json.dumps(content, indent=2) + "\n"
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
    return SELF_PACED_CONFIG


def server_address(jupyter_args: list[str]) -> tuple[str, int, str, list[str]]:
    """(host, port, token, arguments to add) for the address `open` prints before JupyterLab starts.

    What the learner passed (``--port``, ``--ip``, ``--IdentityProvider.token``) is used as
    given; otherwise a free port from 8888 on and a fresh token are chosen here and passed on.
    """
    import secrets
    import socket

    def given(*names: str) -> str | None:
        for i, arg in enumerate(jupyter_args):
            for name in names:
                if arg.startswith(f"{name}="):
                    return arg.split("=", 1)[1]
                if arg == name and i + 1 < len(jupyter_args):
                    return jupyter_args[i + 1]
        return None

    extra = []
    host = given("--ip", "--ServerApp.ip") or "localhost"
    port_text = given("--port", "--ServerApp.port")
    token = given("--IdentityProvider.token", "--ServerApp.token")
    if port_text is None:
        for port in range(8888, 8988):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) != 0:
                    break
        extra += [f"--ServerApp.port={port}", "--ServerApp.port_retries=0"]
    else:
        port = int(port_text)
    if token is None:
        token = secrets.token_hex(24)
        extra.append(f"--IdentityProvider.token={token}")
    return host, port, token, extra


def kernel_encryption() -> list[str]:
    """Encrypt the server's traffic with its kernels where both sides can.

    Without it every kernel start prints that the kernel runs over TCP without encryption.
    (Local sockets instead of TCP would do too, but their paths are limited to 107 characters.)
    """
    try:
        import zmq
        from jupyter_client.manager import KernelManager
    except ImportError:
        return []
    if not zmq.has("curve") or "transport_encryption" not in KernelManager.class_trait_names():
        return []
    return ["--KernelManager.transport_encryption=auto"]


def command_open(args: argparse.Namespace) -> None:
    ensure_environment([])
    reexec_in_venv()
    from course_utils.selfpaced import workspace as state_file

    if not instructor_tools_hidden():
        set_instructor_tools(enabled=False)
    fresh = not WORKSPACE.exists()
    added = sync_workspace(RELEASE, WORKSPACE)
    notebooks = [p for p in added if p.suffix == ".ipynb"]
    state = state_file.load_state(WORKSPACE)
    updated = state_file.refresh_untouched(RELEASE, WORKSPACE, state)
    state_file.save_state(WORKSPACE, state)
    state_file.ensure_progress_notebook(WORKSPACE)
    if fresh:
        say(f"your workspace is {WORKSPACE} ({len(notebooks)} notebooks); your work is saved there")
    elif notebooks:
        say(f"added {len(notebooks)} new notebook(s) to your workspace: {', '.join(map(str, notebooks))}")
    else:
        say(f"your workspace {WORKSPACE} is up to date; your notebooks were left as they are")
    if updated:
        say(f"updated {len(updated)} notebook(s) you had not started to the course's newer version: "
            f"{', '.join(Path(r).parent.name for r in updated)}")
    newer = state_file.outdated_started(RELEASE, WORKSPACE, state)
    if newer:
        names = [Path(r).parent.name for r in newer]
        say(f"newer version in the course of {', '.join(names)}: `python3 course.py reset {names[0]}` gets it "
            "(your file is kept beside it with a timestamp)")
    landing = state_file.last_worked_on(RELEASE, WORKSPACE, state) or str(FIRST_NOTEBOOK)
    host, port, token, extra_args = server_address(args.jupyter_args)
    url = f"http://{host}:{port}/lab/tree/{Path(landing).as_posix()}" + (f"?token={token}" if token else "")
    say(f"JupyterLab opens {landing} at {url}")
    if "--no-browser" in args.jupyter_args:
        say("open that address in your browser; Ctrl+C here stops JupyterLab")
    os.environ["COURSE_WORKSPACE"] = str(WORKSPACE)  # show_progress() in a notebook finds the workspace
    # The Jupyter configuration folders: this one's settings win over the environment's.
    extra = os.environ.get("JUPYTER_CONFIG_PATH")
    os.environ["JUPYTER_CONFIG_PATH"] = os.pathsep.join([str(self_paced_config()), *([extra] if extra else [])])
    # A note at every kernel start a learner cannot act on: the debugger's frozen modules.
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    command = jupyter("lab", f"--ServerApp.root_dir={WORKSPACE}",
                      f"--LabApp.default_url=/lab/tree/{Path(landing).as_posix()}",
                      # Only errors reach the terminal; the address is the line above.
                      "--ServerApp.log_level=ERROR", "--LabApp.log_level=ERROR",
                      # jupyter_server's default ping timeout is longer than its interval: a warning at
                      # every kernel connection.
                      "--ServerApp.websocket_ping_timeout=30",
                      *extra_args, *kernel_encryption())
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    command += args.jupyter_args
    os.execv(command[0], command)


# ---- studying alone: progress, solution, reset ---------------------------------------

def command_progress(args: argparse.Namespace) -> None:
    ensure_environment([])
    reexec_in_venv()
    import time

    from course_utils.grading.confine import availability
    from course_utils.selfpaced.progress import text_lines, workspace_progress, write_html

    if not WORKSPACE.exists():
        say(f"no workspace yet at {WORKSPACE}: `python3 course.py open` makes it")
    confined, reason = availability()
    if not confined:
        say(f"your code runs without the operating system's confinement here ({reason.split(';')[0]}); "
            "it is your own code, so the grades are the same")
    start = time.perf_counter()
    try:
        rows = workspace_progress(ROOT, WORKSPACE, [notebook_name(n) for n in args.notebooks] or None, jobs=args.jobs,
                                  isolation="bubblewrap" if confined else "none")
    except RuntimeError as error:
        say(f"grading failed: {error}")
        sys.exit(1)
    seconds = time.perf_counter() - start
    if WORKSPACE.exists() and not args.notebooks:  # progress.html is always the whole course
        page = write_html(rows, WORKSPACE / "progress.html")
        say(f"graded in {seconds:.1f} s with the course's hidden tests; the table is also in {page} "
            "(and in progress.ipynb in JupyterLab)")
    else:
        say(f"graded in {seconds:.1f} s with the course's hidden tests")
    for line in text_lines(rows):
        print(line)


def command_solution(args: argparse.Namespace) -> None:
    ensure_environment([])
    reexec_in_venv()
    from course_utils.selfpaced import solution
    from course_utils.selfpaced.progress import NOT_STARTED, PASSED, workspace_progress

    name = notebook_name(args.notebook)
    wanted = solution.release_exercises(ROOT, name)
    if args.function:
        found = next((e for e in wanted if e.name == args.function or args.function in e.functions
                      or args.function in (e.grade_id, e.grade_id.removesuffix("-test"))), None)
        if found is None:
            sys.exit(f"{name} has no exercise {args.function!r}; its exercises: {', '.join(e.name for e in wanted)}")
        wanted = [found]
    say(f"checking your {name} with the course's tests first ...")
    row = workspace_progress(ROOT, WORKSPACE, [name])[0]
    status = {r.exercise.grade_id: r.status for r in row.results}
    waiting = [e for e in wanted if status.get(e.grade_id) != PASSED]
    shown = [e for e in wanted if e not in waiting]
    if waiting:
        listing = ", ".join(f"{e.name} ({'not started' if status.get(e.grade_id) == NOT_STARTED else 'not passed yet'})"
                            for e in waiting)
        say(f"your answer has not passed all the tests yet: {listing}")
        if args.yes:
            shown = wanted
        elif not sys.stdin.isatty():
            say(f"not shown: {', '.join(e.name for e in waiting)}; pass --yes to see it anyway "
                "(trying once more is how it sticks)")
            if not shown:
                sys.exit(1)
        else:
            answer = input("Show the reference solution anyway? Trying once more is how it sticks. [y/N] ")
            if answer.strip().lower() in ("y", "yes"):
                shown = wanted
            else:
                say("not shown; `python3 course.py progress` says what the checks found")
    for exercise in shown:
        print()
        print(solution.text(ROOT, name, exercise))


def notebook_name(given: str) -> str:
    """``03_chain_rule`` from ``03_chain_rule``, ``03``, ``03_chain_rule.ipynb`` or a path; exit if unknown."""
    stem = Path(given).stem if given.endswith(".ipynb") else Path(given).name
    names = sorted(p.parent.name for p in RELEASE.glob("*/*.ipynb"))
    matches = [n for n in names if n == stem] or [n for n in names if n.startswith(stem)]
    if len(matches) != 1:
        sys.exit(f"[course] no single notebook called {given!r}; the notebooks: {', '.join(names)}")
    return matches[0]


def command_reset(args: argparse.Namespace) -> None:
    ensure_environment([])
    reexec_in_venv()
    from course_utils.selfpaced.workspace import reset

    name = notebook_name(args.notebook)
    fresh, backup = reset(RELEASE, WORKSPACE, name)
    if backup is not None:
        say(f"your {name} is kept as {backup.relative_to(WORKSPACE)}; {fresh.relative_to(WORKSPACE)} is a fresh copy "
            "of the course's current version")
    else:
        say(f"{fresh.relative_to(WORKSPACE)} is a fresh copy of the course's current version")
    say("if JupyterLab has the notebook open, close it without saving and open it again")


# ---- test -------------------------------------------------------------------------

def install_system_packages() -> None:
    """Install the Debian packages the browser and data tests use, where we can."""
    missing = [pkg for path, pkg in SYSTEM_PACKAGES.items() if not Path(path).exists()]
    if os.environ.get("COURSE_BROWSER") == "playwright":  # the browser comes from Playwright instead
        missing = [pkg for pkg in missing if pkg != "chromium"]
    if not missing:
        return
    can_apt = shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0
    if os.environ.get("COURSE_NO_SYSTEM_PACKAGES") or not can_apt:
        say(f"not installing {', '.join(missing)}: tests that need them will be skipped")
        return
    say(f"installing Debian packages: {', '.join(missing)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    quiet = dict(stdout=subprocess.DEVNULL, env=env)
    run(["apt-get", "update", "-qq"], **quiet)
    run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], **quiet)


def install_proxy() -> None:
    """JupyterHub's configurable-http-proxy into a cache folder, where npm is at hand."""
    if (PROXY_PREFIX / "node_modules" / ".bin" / "configurable-http-proxy").exists():
        return
    is_root = hasattr(os, "geteuid") and os.geteuid() == 0  # the test makes system accounts
    if os.environ.get("COURSE_NO_SYSTEM_PACKAGES") or not is_root or not shutil.which("npm"):
        say("not installing configurable-http-proxy (needs root and npm): the JupyterHub test will be skipped")
        return
    say(f"installing {PROXY_PACKAGE} with npm into {PROXY_PREFIX}")
    PROXY_PREFIX.mkdir(parents=True, exist_ok=True)
    run(["npm", "install", "--prefix", str(PROXY_PREFIX), "--no-audit", "--no-fund", "--silent", PROXY_PACKAGE],
        stdout=subprocess.DEVNULL)


# The quick tier: every course_utils module's unit tests and every notebook run once by
# nbval, without nbgrader round trips, browsers or the hub (about a minute on 2 cores).
QUICK_TIER = ["-m", "not slow and not browser and not hub"]


def pytest_command(pytest_args: list[str]) -> list[str]:
    """pytest's arguments for ``course.py test [--quick] [pytest args]``.

    Bare ``test`` and ``test --quick`` share the tests out over the cores (pytest-xdist,
    scheduled by tests/conftest.py) and print the ten slowest tests; with arguments of your
    own, pytest runs exactly them in one process (so ``-s``, ``--pdb`` and ``-k`` behave).
    """
    quick = "--quick" in pytest_args
    own = [arg for arg in pytest_args if arg != "--quick"]
    command = [*QUICK_TIER] if quick else []
    if not own:
        # One worker more than cores: much of the suite waits on other processes (nbgrader,
        # kernels, sandboxes, a cell's timeout); two workers kept 1.2 of 2 cores busy.
        workers = min((os.cpu_count() or 1) + 1, 4)
        command += ["-n", str(workers), "--durations=10"] if workers > 1 else ["--durations=10"]
    return command + own


def install_playwright_browser() -> None:
    """Playwright's own Chromium, where the platform allows it (COURSE_BROWSER=playwright)."""
    with_deps = ["--with-deps"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    say("installing Playwright's Chromium (COURSE_BROWSER=playwright)")
    run([str(venv_python()), "-m", "playwright", "install", *with_deps, "chromium"], stdout=subprocess.DEVNULL)


def command_test(args: argparse.Namespace) -> None:
    ensure_environment(["test", "browser", "hub"])
    if not inside_venv():
        install_system_packages()
        install_proxy()
        if os.environ.get("COURSE_BROWSER") == "playwright":
            install_playwright_browser()
    reexec_in_venv()
    os.chdir(ROOT)
    command = pytest_command(args.pytest_args)
    if "-n" in command:  # one BLAS thread per worker: two workers on two cores, not four threads
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(name, "1")
    result = subprocess.run([str(venv_python()), "-m", "pytest", *command])
    sys.exit(result.returncode)


# ---- release, instructor ------------------------------------------------------------

def command_release(args: argparse.Namespace) -> None:
    ensure_environment([])
    reexec_in_venv()
    os.chdir(ROOT)
    from course_utils.release import normalize_sources, generate_release

    changed = normalize_sources(ROOT / "solutions")
    for path in changed:
        say(f"normalized {path.relative_to(ROOT)} (outputs and run metadata removed)")
    for assignment in generate_release(ROOT, ROOT / "notebooks", args.assignments):
        say(f"generated notebooks/{assignment}")


def command_instructor(args: argparse.Namespace) -> None:
    ensure_environment([])
    reexec_in_venv()
    set_instructor_tools(enabled=args.state == "on")
    say(f"nbgrader's formgrader and create-assignment tools are now {'shown' if args.state == 'on' else 'hidden'}"
        " (restart JupyterLab to see the change)")


# ---- grade: the instructor's workflow ---------------------------------------------

def nbgrader_each(course: Path, command: str, assignments: list[str], done, failed) -> None:
    """``nbgrader <command> <assignment> --force`` for each assignment, in ONE process
    (course_utils/grading/nbgrader_each.py: nbgrader's start-up paid once, not per assignment).

    nbgrader's messages go to the terminal; each assignment then gets the sentence
    ``done(assignment)`` or ``failed(assignment)``, and the command exits 1 if any failed.
    """
    if not assignments:
        return
    result = subprocess.run([str(venv_python()), "-m", "course_utils.grading.nbgrader_each", command, *assignments,
                             "--", "--force", "--log-level=WARN"], cwd=course, stdout=subprocess.PIPE, text=True)
    outcomes = {}
    for line in result.stdout.splitlines():
        words = line.split()
        if len(words) == 4 and words[:2] == ["nbgrader_each", command]:
            outcomes[words[2]] = words[3] == "ok"
    # An assignment the runner never reported on (it crashed first) did not succeed.
    succeeded = {a: outcomes.get(a, False) and result.returncode in (0, 1) for a in assignments}
    for assignment, ok in succeeded.items():
        say(done(assignment) if ok else failed(assignment) + " (its messages are above)")
    if not all(succeeded.values()):
        sys.exit(1)


def nbgrader_status(course: Path, *args: str, log: Path) -> int:
    """Run nbgrader from the course folder, its output into ``log``; return its exit status."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as handle:
        return subprocess.run([str(venv_python()), "-m", "nbgrader", *args], cwd=course,
                              stdout=handle, stderr=subprocess.STDOUT).returncode


def course_assignments(course: Path) -> list[str]:
    return sorted(p.parent.name for p in (course / "solutions").glob("*/*.ipynb"))


def submitted_assignments(course: Path) -> list[str]:
    return sorted({p.name for p in (course / "grading" / "submitted").glob("*/*") if p.is_dir()})


def refuse_unless_trusted(course: Path, lead: str) -> None:
    """Stop here, with one sentence, unless the grading environment and the gradebook are as trusted."""
    from course_utils.grading.trust import Refused, check_all

    try:
        check_all(course, lead)
    except Refused as refusal:
        say(str(refusal))
        sys.exit(3)


def command_grade(args: argparse.Namespace) -> None:
    course = Path(args.course).resolve()
    ensure_environment([])
    prefix = course / "grading" / ".pycache"
    if args.step in ("release", "trust") and os.environ.get("PYTHONPYCACHEPREFIX") != str(prefix):
        empty_bytecode_cache(course)  # before the process that will use it starts (reexec_in_venv)
    reexec_in_venv(pycache_prefix=prefix)
    # nbgrader runs the `alembic` command of its own environment: it must be on PATH.
    if not os.environ.get("PATH", "").startswith(str(venv_python().parent)):
        os.environ["PATH"] = f"{venv_python().parent}{os.pathsep}{os.environ.get('PATH', '')}"
    grading = course / "grading"
    grading.mkdir(exist_ok=True)  # sqlite will not create the gradebook's folder
    if args.step == "release":
        nbgrader_each(course, "generate_assignment", args.assignments or course_assignments(course),
                      lambda a: f"released notebooks/{a} and registered it in the gradebook",
                      lambda a: f"nbgrader could not release {a}")
        command_grade_trust(course)
    elif args.step == "trust":
        command_grade_trust(course)
    elif args.step == "collect":
        from course_utils.grading.collect import collect

        if not args.path:
            sys.exit("grade collect needs the folder or .zip of submissions")
        if not Path(args.path).exists():
            sys.exit(f"grade collect: {args.path} does not exist")
        report = collect(Path(args.path), grading / "submitted", args.assignments or course_assignments(course),
                         course=course, layout=args.layout)
        for line in report.lines():
            print(line)
        sys.exit(0 if report.learners else 1)
    elif args.step == "autograde":
        from course_utils.grading import integrity_rows, score_table
        from course_utils.grading.confine import availability
        from course_utils.grading.intake import prepare, record_zero, ungraded
        from course_utils.grading.isolation_marks import unconfined_rows

        assignments = args.assignments or submitted_assignments(course)
        refuse_unless_trusted(course, "grading refused")
        extra: tuple[str, ...] = ()
        if args.unsafe_no_isolation:
            say("grading WITHOUT isolation (--unsafe-no-isolation): learners' code can reach this machine; "
                "every grade is marked isolation=none in the CSV")
            extra = ("--SandboxExecute.isolation=none",)
        else:
            confined, reason = availability()
            if not confined:
                say(f"grading refused: learners' code cannot be confined here: {reason}")
                sys.exit(2)
        # Files that cannot be graded are kept from nbgrader and get a row with 0 and the reason.
        unreadable = {assignment: prepare(course, assignment) for assignment in assignments}
        broke = []
        if args.jobs > 1:
            # One pool of workers for every assignment at once (no waiting between
            # assignments): see course_utils.grading.parallel.py.
            from course_utils.grading.parallel import autograde_parallel

            log = grading / "logs" / "autograde-parallel.log"
            say(f"autograding {', '.join(assignments)} with {args.jobs} workers ...")
            skip = [(a, learner) for a, found in unreadable.items() for learner in found]
            try:
                autograde_parallel(course, assignments, args.jobs, log, python=str(venv_python()), extra=extra,
                                   skip=skip)
                failed = False
            except RuntimeError as error:
                say(str(error))
                failed = True
        for assignment in assignments:
            if args.jobs <= 1:
                log = grading / "logs" / f"autograde-{assignment}.log"
                exclude = ",".join(unreadable[assignment])
                failed = nbgrader_status(course, "autograde", assignment, "--force", *extra,
                                         *([f"--CourseDirectory.student_id_exclude={exclude}"] if exclude else []),
                                         log=log) != 0
            missed = ungraded(course, assignment, unreadable[assignment])
            given = [p.parent.name for p in (grading / "submitted").glob(f"*/{assignment}") if p.is_dir()]
            if failed and missed and len(missed) == len(given) - len(unreadable[assignment]):
                broke.append(assignment)  # nobody graded: grading itself broke, not one learner's file
                say(f"nbgrader graded no submission of {assignment}: see {log}")
                continue
            reasons = {**unreadable[assignment],
                       **{learner: f"nbgrader could not grade it (see {log})" for learner in missed}}
            if reasons:
                record_zero(course, assignment, reasons)
            say(f"autograded {assignment} (nbgrader's log: {log})")
            for line in score_table(course, assignment):
                print(line)
            for row in integrity_rows(course, assignment):
                say(f"FLAGGED {row['student']} / {row['assignment']}: {row['cell']}: {row['problem']}")
            unconfined = unconfined_rows(course, assignment, sorted(given))
            for row in unconfined:
                say(f"FLAGGED {row['student']} / {row['assignment']}: graded without isolation: {row['reason']}")
            if unconfined:  # code that ran unconfined could have written compiled files there
                shutil.rmtree(grading / ".pycache", ignore_errors=True)
        # A change made while grading would hold in every later run: catch it now.
        refuse_unless_trusted(course, "the grades just made are not trusted")
        if broke:
            sys.exit(1)
    elif args.step == "feedback":
        refuse_unless_trusted(course, "feedback refused")
        nbgrader_each(course, "generate_feedback", args.assignments or submitted_assignments(course),
                      lambda a: f"feedback for {a}: {grading / 'feedback'}/<learner>/{a}/*.html",
                      lambda a: f"nbgrader could not write the feedback for {a}")
    elif args.step == "export":
        from course_utils.grading import export_csv

        refuse_unless_trusted(course, "export refused")
        target = Path(args.output or grading / "grades.csv")
        with open(target, "w", newline="") as handle:
            rows = export_csv(f"sqlite:///{grading / 'gradebook.db'}", "learning-from-mistakes", course, handle)
        say(f"{len(rows)} row(s) written to {target}")


def command_grade_trust(course: Path) -> None:
    """Record the grading environment as it is now (course_utils, nbgrader_config.py, site-packages)."""
    from course_utils.grading.trust import take_manifest

    say("recording the grading environment (the first time, every installed file is hashed: about half a minute)")
    path = take_manifest(course)
    say(f"trusted the grading environment as it is now: {path.relative_to(course)}; later grading steps "
        "refuse to run if any of its files changes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("open", help="open the course in JupyterLab")
    p.add_argument("jupyter_args", nargs=argparse.REMAINDER, help="passed on to jupyter lab")
    p.set_defaults(func=command_open)
    p = sub.add_parser("progress", help="grade your saved notebooks with the course's hidden tests")
    p.add_argument("notebooks", nargs="*", help="only these notebooks (default: all)")
    p.add_argument("--jobs", type=int, default=None, help="notebooks graded at the same time (default: 2 at most)")
    p.set_defaults(func=command_progress)
    p = sub.add_parser("solution", help="a worked solution, once your own answer passes")
    p.add_argument("notebook", help="e.g. 03_chain_rule")
    p.add_argument("function", nargs="?", help="one exercise, e.g. chain_backward (default: all of the notebook)")
    p.add_argument("--yes", action="store_true", help="show it even if your answer does not pass yet (no prompt)")
    p.set_defaults(func=command_solution)
    p = sub.add_parser("reset", help="a fresh copy of a notebook; yours is kept beside it with a timestamp")
    p.add_argument("notebook", help="e.g. 03_chain_rule")
    p.set_defaults(func=command_reset)
    p = sub.add_parser("test", help="run the whole test suite (--quick: the quick tier)")
    p.add_argument("pytest_args", nargs=argparse.REMAINDER, help="passed on to pytest")
    p.set_defaults(func=command_test)
    p = sub.add_parser("release", help="regenerate notebooks/ from solutions/")
    p.add_argument("assignments", nargs="*", help="assignment folders (default: all)")
    p.set_defaults(func=command_release)
    p = sub.add_parser("instructor", help="show or hide nbgrader's instructor tools")
    p.add_argument("state", choices=["on", "off"])
    p.set_defaults(func=command_instructor)
    p = sub.add_parser("grade", help="an instructor's grading steps, in order",
                       description="release: register the assignments in the gradebook and regenerate notebooks/; "
                                   "collect PATH: copy a folder or .zip of submissions in (one folder per learner, "
                                   "a Canvas or Moodle download); "
                                   "autograde: grade every submission (--jobs N: N learners at a time); "
                                   "feedback: one HTML page per learner, without hidden tests; "
                                   "export: grades as CSV (default grading/grades.csv); "
                                   "trust: record the grading environment again after a change you made on purpose "
                                   "(release does it too; every other step refuses to run if it changed).")
    p.add_argument("step", choices=["release", "collect", "autograde", "feedback", "export", "trust"])
    p.add_argument("path", nargs="?", help="collect: the folder or .zip of submissions")
    p.add_argument("--assignment", dest="assignments", action="append", help="only this assignment (repeatable)")
    p.add_argument("--from", dest="layout", choices=["folders", "canvas", "moodle", "pattern"],
                   help="collect: read the hand-in as this layout (default: recognised from the names)")
    p.add_argument("--jobs", type=int, default=1, help="autograde: learners graded at the same time")
    p.add_argument("--unsafe-no-isolation", action="store_true",
                   help="autograde: grade where bubblewrap cannot confine learners' code (marked in the CSV)")
    p.add_argument("--output", help="export: the CSV file to write")
    p.add_argument("--course", default=str(ROOT), help=argparse.SUPPRESS)  # tests grade a copy of the course
    p.set_defaults(func=command_grade)
    # Options after `open` or `test` belong to jupyter lab or pytest (e.g. `--port 8890`, `-k loss`).
    args, passthrough = parser.parse_known_args()
    if passthrough and args.command not in ("open", "test"):
        parser.error(f"unrecognized arguments: {' '.join(passthrough)}")
    if args.command == "open":
        args.jupyter_args = passthrough + args.jupyter_args
    if args.command == "test":
        args.pytest_args = passthrough + args.pytest_args
    args.func(args)


if __name__ == "__main__":
    main()
