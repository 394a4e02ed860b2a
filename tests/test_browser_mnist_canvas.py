"""The drawing canvas of notebook 07 in a real browser, served by Voilà.

A tiny notebook shows ``digit_canvas`` with a stand-in network; Chromium draws a stroke
with the mouse, presses Predict and reads the answer. This proves the widget works
through widget messages alone (what Voilà needs), not only from Python.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed")]

NOTEBOOK = '''
import numpy as np
from course_utils.widgets.digit_canvas import digit_canvas
seen = []
def stand_in_network(images):
    seen.append(images)
    tall = images.reshape(28, 28).sum(axis=0).max() > images.reshape(28, 28).sum(axis=1).max()
    return np.eye(10)[[1 if tall else 0]]
digit_canvas(stand_in_network)
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_with_voila(notebook: Path, tmp_path: Path, *extra: str):
    """Start Voilà on 127.0.0.1 for one notebook; returns (process, url)."""
    port = _free_port()
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / "config"), JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               COURSE_OFFLINE="1", MPLBACKEND="module://matplotlib_inline.backend_inline")
    process = subprocess.Popen([sys.executable, "-m", "voila", str(notebook), "--no-browser", f"--port={port}",
                                "--Voila.ip=127.0.0.1", "--ServerApp.port_retries=0", *extra],
                               cwd=notebook.parent, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "api", timeout=1)
            break
        except OSError as error:
            if getattr(error, "code", None):  # the server answered, even if with an error status
                break
            time.sleep(0.3)
    return process, url


def stop(process) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)


# Counts opaque and dark pixels on the canvas: did the browser really paint what was drawn?
PIXELS = """() => { const c = document.querySelector('canvas.mnist-canvas');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let opaque = 0, dark = 0;
  for (let i = 0; i < d.length; i += 4) { if (d[i + 3] > 0) { opaque++; if (d[i] < 100) dark++; } }
  return [opaque, dark]; }"""


def draw(page, box, points) -> None:
    """Press the mouse at the first point, move through the others, release."""
    page.mouse.move(box["x"] + points[0][0], box["y"] + points[0][1])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(box["x"] + x, box["y"] + y, steps=8)
    page.mouse.up()


def test_drawing_a_stroke_and_pressing_predict_shows_the_answer(tmp_path):
    playwright = pytest.importorskip("playwright.sync_api")
    notebook = tmp_path / "canvas.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(NOTEBOOK)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, notebook)
    process, url = serve_with_voila(notebook, tmp_path)
    try:
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = browser.new_page(viewport={"width": 1000, "height": 800})
            page.goto(url, timeout=90_000)
            canvas = page.locator(".mnist-canvas").first
            canvas.wait_for(state="visible", timeout=90_000)
            page.locator(".mnist-predict-button").first.click()
            answer = page.locator(".mnist-prediction").first
            page.wait_for_function("() => document.querySelector('.mnist-prediction').innerText.includes('empty')",
                                   timeout=30_000)
            opaque, dark = page.evaluate(PIXELS)
            assert opaque == 280 * 280 and dark == 0, "the canvas should start white (painted once the page is ready)"
            box = canvas.bounding_box()
            draw(page, box, [(140, 40), (142, 120), (140, 240)])   # a tall vertical stroke: a "1"
            page.wait_for_function(f"() => ({PIXELS})()[1] > 2000", timeout=10_000)  # the stroke shows up
            page.locator(".mnist-predict-button").first.click()
            page.wait_for_function("() => document.querySelector('.mnist-prediction').innerText.includes('says')",
                                   timeout=30_000)
            assert "The network says 1" in answer.inner_text()
            browser.close()
    finally:
        stop(process)
