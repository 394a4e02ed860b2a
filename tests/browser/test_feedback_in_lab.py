"""What a learner sees in JupyterLab under a check: a failed check is its message alone
(no traceback, no CheckFailed, no course code), a passed check one PASSED line (no Out[...]).

The learner's notebook 05 is the solution with its hidden tests taken out and one slip put
into linear_backward (the bias gradient summed with keepdims=True).
"""
from __future__ import annotations

import json
import re
import secrets
import sys
from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import expect

from browser_harness import ROOT, SOLUTIONS, Server, free_port, jupyter_env

SHOTS = ROOT / "test-artifacts" / "feedback"
NAME = "05_matrix_backprop"
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS\n?", re.S)
MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION\n", re.M)
SLIP = ("db = dout.sum(axis=0)", "db = dout.sum(axis=0, keepdims=True)")
MESSAGE = ("NOT YET: linear_backward(dout, cache) -> db has shape (1, 2), expected shape (2,).\n"
           "  Likely cause: the gradient kept the summed axis: a sum with keepdims=True gives shape (1, H) "
           "where the parameter has shape (H,); sum with axis=0 and no keepdims.")


def learners_notebook(target: Path) -> None:
    notebook = nbformat.read(SOLUTIONS / NAME / f"{NAME}.ipynb", as_version=4)
    for cell in notebook.cells:
        cell.source = MARKERS.sub("", HIDDEN.sub("", cell.source))
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "linear-backward-answer":
            assert SLIP[0] in cell.source
            cell.source = cell.source.replace(*SLIP)
    nbformat.write(notebook, target)


def lab(home: Path, root: Path) -> Server:
    port, token = free_port(), secrets.token_hex(16)
    env = jupyter_env(home)
    settings = Path(env["JUPYTERLAB_SETTINGS_DIR"]) / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
               "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
               "--allow-root"]
    return Server(command, env, home / "lab.log", port, token, cwd=root).start("/api/status", timeout=120)


def cell_with_output(page, text: str):
    return page.locator(".jp-CodeCell").filter(has=page.locator(".jp-OutputArea-output", has_text=text)).first


def test_a_failed_check_shows_its_message_alone_and_a_passed_one_a_single_line(playwright_browser, tmp_path):
    root = tmp_path / "work"
    root.mkdir()
    learners_notebook(root / f"{NAME}.ipynb")
    server = lab(tmp_path / "home", root)
    try:
        context = playwright_browser.new_context(viewport={"width": 1300, "height": 900})
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(server.url(f"lab/tree/{NAME}.ipynb"))
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
        page.wait_for_function(r"""() => [...document.querySelectorAll('.jp-StatusBar-Widget')]
                                  .some(e => /\|\s*Idle/.test(e.innerText) && !/No Kernel/.test(e.innerText))""",
                               timeout=60_000)
        for attempt in range(3):  # a Run All sent while the new kernel settles is dropped: send it again
            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.get_by_role("menuitem", name=re.compile(r"^Run All Cells")).click()
            try:
                page.wait_for_function(r"""() => [...document.querySelectorAll('.jp-InputPrompt')]
                                          .some(e => /\[(\d+|\*)\]/.test(e.innerText))""", timeout=10_000)
                break
            except Exception:
                if attempt == 2:
                    raise

        try:
            page.locator(".jp-OutputArea-output", has_text="NOT YET").first.wait_for(state="attached", timeout=60_000)
        except Exception:
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "05-when-the-test-failed.png"))
            print(server.log_tail(3000))
            raise
        failed = cell_with_output(page, "NOT YET")
        failed.scroll_into_view_if_needed()
        # Cells out of view are drawn only once scrolled to: wait for the text, not for the element.
        expect(failed.locator(".jp-InputArea")).to_contain_text("check_linear_backward(linear_backward")
        expect(failed.locator(".jp-OutputArea")).to_contain_text("Likely cause")
        shown = failed.locator(".jp-OutputArea").text_content()
        assert shown.strip() == MESSAGE, shown
        for noise in ("Traceback", "CheckFailed", "course_utils", "feedback.py", "skipping hidden"):
            assert noise not in shown, noise

        passed = cell_with_output(page, "PASSED: linear_forward")
        passed.scroll_into_view_if_needed()
        expect(passed.locator(".jp-OutputArea")).to_contain_text("PASSED")
        said = passed.locator(".jp-OutputArea").text_content()
        assert said.strip() == "PASSED: linear_forward(X, W, b) gives the expected result.", said
        assert passed.locator(".jp-OutputArea-executeResult").count() == 0  # no Out[...] after the verdict

        SHOTS.mkdir(parents=True, exist_ok=True)
        failed.scroll_into_view_if_needed()
        failed.screenshot(path=str(SHOTS / "05-failed-check.png"))
        passed.scroll_into_view_if_needed()
        passed.screenshot(path=str(SHOTS / "05-passed-check.png"))
        context.close()
    finally:
        server.stop()
