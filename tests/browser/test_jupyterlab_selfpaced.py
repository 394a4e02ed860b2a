"""Studying alone in JupyterLab: the landing page, the progress table, reset's backup.

`python3 course.py open --no-browser` prints the address of notebook 01; that page opens
with no news pop-up, no nbgrader class menus, and the notebook unmodified. The learner
answers notebook 01, saves, runs the cell of progress.ipynb and reads 4 of 4 points for
01 in the table; `course.py reset 01_loss` then gives a fresh notebook and the answers
are still in the backup beside it, which JupyterLab opens.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from browser_harness import ARTIFACTS, ROOT, Server, free_port, jupyter_env
from test_jupyterlab_open import ANSWERS, code_cell, wait_for_idle_kernel

ADDRESS = re.compile(r"JupyterLab opens (\S+) at (http://\S+)")


@pytest.fixture
def lab_home(playwright_browser, tmp_path):
    if not (Path(sys.prefix) / ".course-installed").exists():
        pytest.skip("not running in the environment `python3 course.py` made (no .course-installed stamp)")
    return tmp_path


def launch(home: Path, workspace: Path) -> tuple[Server, str]:
    """`python3 course.py open --no-browser` with JupyterLab's own settings (news included) left as they are.

    Returns the server, once it answers, and the address the launcher printed (its token is
    the launcher's own).
    """
    port = free_port()
    env = jupyter_env(home, COURSE_WORKSPACE=str(workspace), COURSE_VENV=sys.prefix)
    command = [sys.executable, str(ROOT / "course.py"), "open", "--no-browser", f"--port={port}",
               "--ServerApp.ip=127.0.0.1", "--ServerApp.port_retries=0"]
    server = Server(command, env, home / "lab.log", port, token="")
    server._log = open(server.log_path, "ab")
    server.process = subprocess.Popen(command, env=env, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=server._log,
                                      stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # the launcher's line comes first, then the server listens
        found = ADDRESS.search(server.log_tail(20_000))
        if found:
            server.token = found.group(2).split("token=")[1]
            try:
                with urllib.request.urlopen(server.url("/api/status"), timeout=2):
                    return server, found.group(2)
            except OSError:
                pass
        if server.process.poll() is not None:
            raise RuntimeError(f"course.py open ended:\n{server.log_tail()}")
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"JupyterLab not answering at the printed address:\n{server.log_tail()}")


def run_progress_cell(page) -> None:
    """Run the cell of progress.ipynb and wait for the table (or say what the cell showed instead)."""
    cell = code_cell(page, "from course_utils.selfpaced.progress import show_progress")
    prompt = cell.locator(".jp-InputPrompt").first
    # A request sent while a new kernel is still settling is dropped without a word (the
    # prompt stays "[ ]"): send it again until the prompt says it runs or ran.
    for _ in range(5):
        try:
            cell.locator(".cm-content").click()
        except Exception:
            dialog = page.locator(".jp-Dialog")
            if not dialog.count():
                raise
            # A dialog took the click: say what it asks, not only that the click timed out.
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "jupyterlab-progress-dialog.png"))
            raise AssertionError(f"JupyterLab shows a dialog over progress.ipynb: {dialog.first.inner_text()!r}") from None
        page.keyboard.press("Control+Enter")
        try:
            page.wait_for_function("(e) => /\\[(\\*|\\d+)\\]/.test(e.innerText)", arg=prompt.element_handle(),
                                   timeout=10_000)
            break
        except Exception as error:
            if type(error).__name__ != "TimeoutError":
                raise
    try:
        page.wait_for_selector("table.course-progress", timeout=180_000)
    except Exception:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "jupyterlab-progress-missing.png"))
        raise AssertionError(f"no progress table; the cell shows: {cell.inner_text()[-2000:]!r}") from None


def test_progress_visible_in_lab_after_answering_01_and_reset_keeps_the_backup(playwright_browser, lab_home):
    workspace = lab_home / "workspace"
    server, address = launch(lab_home / "lab", workspace)
    try:
        assert "/lab/tree/01_loss/01_loss.ipynb?token=" in address
        page_context = playwright_browser.new_context(viewport={"width": 1300, "height": 900})
        page = page_context.new_page()
        page.set_default_timeout(30_000)
        page.goto(address)
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
        wait_for_idle_kernel(page)
        # Landed on notebook 01, as released, unmodified; nothing of nbgrader's class menus; no news.
        assert page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel").first \
            .inner_text().strip().startswith("01_loss.ipynb")
        assert page.locator(".jp-mod-dirty").count() == 0, "the release notebook is marked modified on opening"
        menus = page.locator(".lm-MenuBar-itemLabel").all_inner_texts()
        assert "Run" in menus and "Nbgrader" not in menus, menus
        assert "news" not in page.inner_text("body").lower()
        # ---- answer notebook 01 and save ---------------------------------------------
        for starts_with, answer in ANSWERS.items():
            code_cell(page, starts_with).locator(".cm-content").click()
            page.keyboard.press("Control+A")
            page.keyboard.insert_text(answer)
        page.keyboard.press("Escape")
        page.keyboard.press("Control+S")
        page.wait_for_function("() => !document.querySelector('.jp-mod-dirty')", timeout=15_000)
        # ---- the progress table, from JupyterLab ----------------------------------------
        page.goto(server.url("lab/tree/progress.ipynb"))
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
        wait_for_idle_kernel(page)
        run_progress_cell(page)
        row = page.locator("tr.course-progress-row[data-notebook='01_loss']")
        assert re.search(r"4\s*/\s*4", row.inner_text()) and "3 passed" in row.inner_text(), row.inner_text()
        total = page.locator("p.course-progress-total").inner_text()
        assert re.match(r"progress: 4 of \d+ points, 3 of \d+ exercises passed$", total), total
        page.locator("table.course-progress").scroll_into_view_if_needed()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "jupyterlab-progress.png"))
        # ---- reset: a fresh 01, the answers in the backup beside it ------------------------
        env = dict(os.environ, COURSE_WORKSPACE=str(workspace), COURSE_VENV=sys.prefix)
        done = subprocess.run([sys.executable, str(ROOT / "course.py"), "reset", "01_loss"], env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        backups = list((workspace / "01_loss").glob("01_loss.backup-*.ipynb"))
        assert len(backups) == 1, done.stdout
        assert "raise NotImplementedError()" in (workspace / "01_loss" / "01_loss.ipynb").read_text()
        # `?reset`: JupyterLab opens only the backup, not the tabs it had open before.
        page.goto(f"{server.base}/lab/tree/01_loss/{backups[0].name}?reset&token={server.token}")
        current = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel").first
        page.wait_for_function("(name) => [...document.querySelectorAll("
                               "'.lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel')]"
                               ".some(e => e.innerText.trim() === name)", arg=backups[0].name, timeout=60_000)
        panel = page.locator(".jp-NotebookPanel:visible")
        panel.locator(".jp-Cell").first.wait_for(timeout=60_000)
        answer = panel.locator(".jp-CodeCell").filter(has=page.locator(".cm-content", has_text="def squared_error"))
        assert "# my answer" in answer.first.inner_text(), current.inner_text()
        listing = page.locator(".jp-DirListing-content").inner_text()
        assert backups[0].name in listing and "01_loss.ipynb" in listing
        page.screenshot(path=str(ARTIFACTS / "jupyterlab-reset-backup.png"))
        page_context.close()
    finally:
        server.stop()
