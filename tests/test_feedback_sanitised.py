"""Nothing a learner wrote can run script in a feedback page.

The page is parsed (html.parser): no <script> but the two nbconvert's template puts in
every page (MathJax and its configuration, the same in an honest learner's page), no
``on*`` attribute, no javascript:/vbscript:/data:text/html URL.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_output, new_raw_cell

from course_utils.grading.feedback_html import clean_html
from nbgrader_course import TempCourse, read

SCRIPT = "<script>alert('md')</script>"
MARKDOWN_PAYLOADS = [
    SCRIPT, "<img src=x onerror=\"alert('img')\">", "[click](javascript:alert('mdlink'))",
    "<a href=\"javascript:alert('a')\">a</a>", "<a href=\" JaVaScRiPt:alert('a')\">a</a>",
    "<a href=\"data:text/html,<script>alert(1)</script>\">d</a>",
    "<svg><script>alert('svg')</script><circle onload=\"alert(1)\"/></svg>",
    "<iframe src=\"javascript:alert('if')\"></iframe>", "<div onmouseover=\"alert('div')\">hover</div>",
    "<form action=\"javascript:alert(1)\"><button>go</button></form>", "<object data=\"javascript:alert(1)\"></object>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('mxss')></style></mglyph></table></mtext></math>",
    "![x](javascript:alert('mdimg'))", "<style>body{background:url(javascript:alert(1))}</style>",
    "<details open ontoggle=\"alert('toggle')\"><summary>s</summary></details>"]
OUTPUTS = [
    new_output("display_data", data={"text/html": SCRIPT + "<img src=x onerror=alert('out')>", "text/plain": "x"}),
    new_output("display_data", data={"image/svg+xml": "<svg xmlns='http://www.w3.org/2000/svg' onload=\"alert(1)\">"
                                                      "<script>alert('svg2')</script></svg>"}),
    new_output("display_data", data={"application/javascript": "alert('js')"}),
    new_output("display_data", data={"text/markdown": "<img src=x onerror=alert('mdout')>"}),
    new_output("execute_result", data={"text/html": "<a href='javascript:alert(1)'>r</a>"}, execution_count=1)]
LIVE_URL = re.compile(r"^(javascript|vbscript|data:text/html)", re.IGNORECASE)


class LiveParts(HTMLParser):
    """Collects what a browser could run: scripts (attributes, text), event handlers, script URLs."""

    def __init__(self, html: str):
        super().__init__()
        self.scripts, self.handlers, self.urls, self._script = [], [], [], None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self._script = [tuple(sorted(attrs)), ""]
            self.scripts.append(self._script)
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append((tag, name, value))
            if value and LIVE_URL.match(re.sub(r"[\x00-\x20]", "", value)):
                self.urls.append((tag, name, value))

    def handle_data(self, data):
        if self._script is not None:
            self._script[1] += data

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None


@pytest.mark.parametrize("payload", MARKDOWN_PAYLOADS)
def test_clean_html_leaves_nothing_live(payload):
    page = LiveParts(str(clean_html(payload)))
    assert (page.scripts, page.handlers, page.urls) == ([], [], []), payload


def test_clean_html_keeps_a_learners_formatting():
    html = "<h2 id='x'>Part A</h2><p>I used <code>np.mean</code> and <strong>checked</strong> it:</p>" \
           "<table><tbody><tr><td>1</td></tr></tbody></table><img src='data:image/png;base64,iVBORw0KGgo=' alt='plot'>"
    assert clean_html(html) == html.replace("'", '"')


def attacked(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    notebook = nbformat.from_dict(notebook)
    notebook.cells[1:1] = [new_markdown_cell("\n\n".join(MARKDOWN_PAYLOADS)),
                           new_raw_cell(SCRIPT, metadata={"raw_mimetype": "text/html"}), new_raw_cell(SCRIPT),
                           new_code_cell("from IPython.display import HTML, display\n"
                                         "display(HTML(\"<script>alert('live')</script>\"))")]
    return notebook


@pytest.mark.slow
def test_feedback_page_of_an_attacking_submission_runs_no_learner_script(tmp_path):
    course = TempCourse(tmp_path)
    course.generate("01_loss")
    solution = read(course.source_notebook("01_loss"))
    course.submit("alice", "01_loss", solution)
    course.submit("mallory", "01_loss", attacked(solution))
    course.autograde("01_loss")
    # Rich outputs as a kernel would store them (whatever the grading sandbox passes on).
    graded = course.root / "grading" / "autograded" / "mallory" / "01_loss" / "01_loss.ipynb"
    notebook = read(graded)
    next(c for c in notebook.cells if c.cell_type == "code").outputs = OUTPUTS
    nbformat.write(notebook, graded)
    course.nbgrader("generate_feedback", "01_loss", "--force")

    pages = {who: (course.root / "grading" / "feedback" / who / "01_loss" / "01_loss.html").read_text()
             for who in ("alice", "mallory")}
    honest, attack = LiveParts(pages["alice"]), LiveParts(pages["mallory"])
    # The template's own scripts, and nothing else: MathJax from nbconvert's mathjax_url, and its config.
    from nbconvert.exporters import HTMLExporter

    kinds = sorted(dict(attrs).get("src") or dict(attrs).get("type") for attrs, _ in attack.scripts)
    assert kinds == sorted([HTMLExporter().mathjax_url, "text/x-mathjax-config"]), attack.scripts
    assert attack.scripts == honest.scripts
    assert attack.handlers == [] and attack.urls == []
    assert "alert('md')" in pages["mallory"].replace("&#39;", "'")  # shown as text, not dropped silently
