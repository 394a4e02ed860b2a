"""Fixtures for the browser tests: Chromium through Playwright, Voilà serving the solutions.

Adding a widget's test takes a few lines::

    @pytest.fixture(scope="module")
    def valley(open_widget):
        return open_widget("02_gradient_descent", "valley")

    def test_train_step_lowers_the_loss(valley):
        before = valley.numbers("readout")
        valley.click("train-step", timed="train step", watch=("readout",))
        ...
        valley.screenshot()

``open_widget`` skips (with a one-line reason) while the notebook is not in solutions/,
and every test here skips when Chromium, Playwright or Voilà is missing.
"""
from __future__ import annotations

import pickle
import re
from pathlib import Path

import pytest

from browser_harness import (DRAGS, LATENCIES, LATENCY_PARTS, PLAYS, Widget,
                             SOLUTIONS, chromium_missing, launch_chromium, notebook_path, voila_server,
                             write_latency_report)

HERE = Path(__file__).resolve().parent
STDERR = ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    write_latency_report(terminalreporter)


def pytest_sessionfinish(session):
    """An xdist worker hands its figures to the controller, which prints the one table."""
    worker = getattr(session.config, "workerinput", None)
    if worker is not None and (LATENCIES or DRAGS or PLAYS):
        LATENCY_PARTS.mkdir(parents=True, exist_ok=True)
        (LATENCY_PARTS / f"{worker['workerid']}.pickle").write_bytes(pickle.dumps((LATENCIES, DRAGS, PLAYS)))


def skip_without_browser():
    if chromium_missing():
        pytest.skip(chromium_missing())
    return pytest.importorskip("playwright.sync_api", reason="playwright not installed (the `browser` extra)")


# One Playwright per test module, not per session: while Playwright's sync API is open it
# holds an asyncio loop "running" in the main thread, and tests collected after the browser
# tests (asyncio.run, the JupyterHub test's own Playwright) must find none.
@pytest.fixture(scope="module")
def playwright_browser():
    sync_api = skip_without_browser()
    with sync_api.sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


def widget_notebooks(session) -> tuple[str, ...]:
    """The notebooks whose widgets this session's browser tests open: test_nbNN_*.py opens NN_*."""
    numbers = {match.group(1) for item in session.items
               if (match := re.match(r"test_nb(\d\d)_", Path(str(item.fspath)).name)) and match.group(1) != "00"}
    return tuple(sorted(p.parent.name for p in SOLUTIONS.glob("*/*.ipynb") if p.parent.name[:2] in numbers))


@pytest.fixture(scope="session")
def voila(request, tmp_path_factory):
    """Voilà, running at once every notebook the session's widget tests will open (preheated)."""
    skip_without_browser()
    pytest.importorskip("voila", reason="voila not installed (the `browser` extra)")
    server = voila_server(tmp_path_factory.mktemp("voila"), preheat=widget_notebooks(request.session))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def open_widget(playwright_browser, voila):
    """Open a solution notebook in Voilà and return the widget with the given CSS class."""
    contexts, pages = [], {}
    # Time nothing while Voilà still runs notebooks in the background (it runs them all at once).
    still_running = voila.wait_until_preheated()
    if still_running:
        print(f"Voilà had not finished running {', '.join(still_running)}; going on")

    def open_(notebook: str, widget: str, *, prefix: str | None = None, render_timeout: float = 45,
              tries: int = 3) -> Widget:
        if not notebook_path(notebook).exists():
            pytest.skip(f"notebook {notebook} is not in solutions/ yet")
        page = pages.get(notebook)
        if page is None:  # one page (one kernel) per notebook and test module
            context = playwright_browser.new_context(viewport={"width": 1100, "height": 900})
            contexts.append(context)
            page = pages[notebook] = context.new_page()
            page.set_default_timeout(30_000)
            page.js_errors, page.kernel_frames = [], []
            page.on("pageerror", lambda error, page=page: page.js_errors.append(str(error)))
            page.on("websocket", lambda socket, page=page: socket.on(
                "framereceived", lambda _frame: page.kernel_frames.append(1) if not page.kernel_frames else None)
                if "/api/kernels/" in socket.url else None)
        try:
            if page.url == "about:blank":
                # Voilà streams the page while it runs the cells and widgets show up early; "load"
                # fires once every cell has run, so the kernel is free to answer the learner.
                url = voila.url(f"voila/render/{notebook}/{notebook}.ipynb")
                # Voilà 0.5 now and then leaves a page at "Executing N of M" for good, at a random
                # cell (voila-dashboards/voila#1395, #1428): then load it again, with a new kernel.
                for attempt in range(1, tries + 1):
                    try:
                        page.goto(url, wait_until="load", timeout=render_timeout * 1000)
                        break
                    except Exception as error:
                        if attempt == tries or type(error).__name__ != "TimeoutError":
                            raise
                        print(f"{notebook}: Voilà stuck at {page.inner_text('body')[-40:]!r}; loading again")
            page.wait_for_selector(f".{widget}", timeout=30_000)
            # The widgets talk to the kernel once its websocket answers; act only after that.
            for _ in range(600):
                if page.kernel_frames:
                    break
                page.wait_for_timeout(50)
            else:
                raise TimeoutError("the page never heard from its kernel")
        except Exception as error:  # show what the learner would see instead of the widget
            text = page.inner_text("body")[-2000:] if page.locator("body").count() else ""
            raise AssertionError(f"{notebook}: no .{widget} on the page ({type(error).__name__}).\n"
                                 f"Page text:\n{text}\nServer log:\n{voila.log_tail(1500)}") from None
        errors = [text for text in page.locator(STDERR).all_inner_texts() if "Error" in text]
        assert not errors, f"{notebook}: a cell failed in Voilà:\n{errors[0][-1500:]}"
        if page.js_errors:  # reported, not failed: a broken widget fails its own assertions
            print(f"{notebook}: JavaScript errors on the page: {page.js_errors}")
        return Widget(page, widget, notebook, prefix)

    yield open_
    for context in contexts:
        context.close()
