"""The learner's way in: `python3 course.py open`, JupyterLab, notebook 01, Run All, the widget.

One test walks the whole path: the launcher creates a fresh workspace and opens notebook
01 in JupyterLab; the learner types the three answers, runs every cell from the Run menu,
drags the loss meter's slider and saves; a second launch leaves the work as it was.
"""
from __future__ import annotations

import json
import re
import secrets
import sys
import time
from pathlib import Path

import pytest

from browser_harness import ARTIFACTS, ROOT, Server, Widget, free_port, jupyter_env
from course_utils.selfpaced.workspace import placed_bytes

NOTEBOOK = "01_loss/01_loss.ipynb"
ANSWERS = {  # what the learner types into each answer cell
    "def squared_error": "def squared_error(y_hat, y):\n    return (y - y_hat) ** 2  # my answer",
    "def mse": "def mse(y_hat, y):\n    return float(np.mean(squared_error(y_hat, y)))",
    "def mse_grad": "def mse_grad(y_hat, y):\n    return 2 * (y_hat - y) / y_hat.size",
}
NO_NEWS = {"fetchNews": "false", "checkForUpdates": False}


def launch(home: Path, workspace: Path) -> Server:
    """`python3 course.py open` with extra jupyter arguments, as the README says."""
    port, token = free_port(), secrets.token_hex(16)
    env = jupyter_env(home, COURSE_WORKSPACE=str(workspace), COURSE_VENV=sys.prefix)
    settings = Path(env["JUPYTERLAB_SETTINGS_DIR"]) / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "notification.jupyterlab-settings").write_text(json.dumps(NO_NEWS))
    command = [sys.executable, str(ROOT / "course.py"), "open", "--no-browser", f"--port={port}",
               "--ServerApp.ip=127.0.0.1", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}"]
    return Server(command, env, home / "lab.log", port, token).start("/api/status", timeout=120)


def wait_for_idle_kernel(page, timeout: float = 60) -> None:
    """Wait for the status bar to read "<kernel> | Idle": a Run All sent earlier is lost."""
    page.wait_for_function(
        """() => [...document.querySelectorAll('.jp-StatusBar-Widget')]
                 .some(e => /\\|\\s*Idle/.test(e.innerText) && !/No Kernel/.test(e.innerText))""",
        timeout=timeout * 1000)


def code_cell(page, starts_with: str):
    return page.locator(".jp-CodeCell").filter(has=page.locator(".cm-content", has_text=starts_with)).first


def open_notebook(browser, server: Server):
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(server.url(f"lab/tree/{NOTEBOOK}"))
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    wait_for_idle_kernel(page)
    return context, page


@pytest.fixture
def lab_home(playwright_browser, tmp_path):
    stamp = Path(sys.prefix) / ".course-installed"
    if not stamp.exists():
        pytest.skip("not running in the environment `python3 course.py` made (no .course-installed stamp)")
    return tmp_path


def test_open_run_all_interact_and_work_survives_relaunch(playwright_browser, lab_home):
    workspace = lab_home / "workspace"
    # ---- first launch: a fresh workspace with the release notebooks -----------------
    server = launch(lab_home / "first", workspace)
    try:
        assert "your workspace is" in server.log_tail(20_000)
        assert (workspace / NOTEBOOK).read_bytes() == placed_bytes(ROOT / "notebooks" / NOTEBOOK)
        context, page = open_notebook(playwright_browser, server)
        for starts_with, answer in ANSWERS.items():
            editor = code_cell(page, starts_with).locator(".cm-content")
            editor.click()
            page.keyboard.press("Control+A")
            page.keyboard.insert_text(answer)  # inserted as typed text, without auto-indent
        page.keyboard.press("Escape")
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name=re.compile(r"^Run All Cells")).click()
        meter = Widget(page, "loss-meter", "jupyterlab-01_loss")
        page.wait_for_selector(".loss-meter canvas", timeout=60_000)  # ipympl draws on a canvas
        wait_for_idle_kernel(page)
        page.locator(".loss-meter").scroll_into_view_if_needed()
        meter.set("prediction", 2.5, timed="prediction slider (Lab)", watch=("readout",))
        assert meter.numbers("readout")[:3] == pytest.approx([2.5, 2.5, 6.25])
        meter.screenshot("slider-2.5")
        page.keyboard.press("Control+S")
        page.wait_for_function("() => !document.querySelector('.jp-mod-dirty')", timeout=15_000)
        context.close()
    finally:
        server.stop()
    saved = (workspace / NOTEBOOK).read_text()
    assert "# my answer" in saved
    # JupyterLab renders only the cells near the viewport, so the outputs are read from
    # the saved file: every check cell passed, and nothing anywhere raised.
    checks = {cell["metadata"]["nbgrader"]["grade_id"]: "".join("".join(o.get("text", "")) for o in cell["outputs"])
              for cell in json.loads(saved)["cells"]
              if cell["metadata"].get("nbgrader", {}).get("grade", False)}
    assert len(checks) == 3 and all("PASSED" in text for text in checks.values()), checks
    errors = [o for cell in json.loads(saved)["cells"] for o in cell.get("outputs", []) if o["output_type"] == "error"]
    assert not errors, errors
    # ---- second launch: the same workspace, the learner's work untouched ---------------
    server = launch(lab_home / "second", workspace)
    try:
        assert "your notebooks were left as they are" in server.log_tail(20_000)
        assert (workspace / NOTEBOOK).read_text() == saved
        context, page = open_notebook(playwright_browser, server)
        assert "# my answer" in code_cell(page, "def squared_error").inner_text()
        code_cell(page, "def squared_error").scroll_into_view_if_needed()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "jupyterlab-01_loss-relaunch.png"))
        context.close()
    finally:
        server.stop()
