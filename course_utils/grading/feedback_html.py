"""Feedback pages: hidden-test code removed, tracebacks cut to their message, learners' HTML sanitised."""
from __future__ import annotations

import os
import re

import nbgrader
from traitlets import List, Unicode

from nbgrader.preprocessors import NbGraderPreprocessor

from course_utils.grading.locked_cells import HIDDEN_BEGIN, HIDDEN_END

# Where nbconvert finds templates/feedback/feedback_safe.html.j2 (ours) and the page it extends (nbgrader's).
FEEDBACK_TEMPLATE_DIRS = [
    os.path.join(os.path.dirname(__file__), "templates"),
    os.path.join(os.path.dirname(nbgrader.__file__), "server_extensions", "formgrader", "templates")]


class HideHiddenTests(NbGraderPreprocessor):
    """In feedback: hidden-test code is replaced by one comment line; tracebacks keep only the message."""

    placeholder = Unicode("# (hidden tests ran here; their code is not shown)").tag(config=True)
    # nbconvert hands this option to every feedback preprocessor (as it does to nbgrader's GetGrades).
    display_data_priority = List(["text/html", "application/pdf", "text/latex", "image/svg+xml", "image/png",
                                  "image/jpeg", "text/plain"], config=True)

    def preprocess_cell(self, cell, resources, index):
        if HIDDEN_BEGIN in cell.source:
            kept, hidden = [], False
            for line in cell.source.split("\n"):
                if HIDDEN_BEGIN in line:
                    hidden = True
                    kept.append(self.placeholder)
                elif HIDDEN_END in line:
                    hidden = False
                elif not hidden:
                    kept.append(line)
            cell.source = "\n".join(kept)
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                # A failed check is its message alone (as in JupyterLab); any other error keeps
                # its name and message, never a traceback through course or grading code.
                said = output.evalue if output.ename == "CheckFailed" else f"{output.ename}: {output.evalue}"
                output.traceback = str(said).split("\n")
        return cell, resources


# What a feedback page may show of a learner's markdown and HTML: formatting, tables,
# images, links to the web. No script, no event handler, no style, no form, no frame, no
# URL other than http(s), mailto, in-page anchors and inline images.
ALLOWED_TAGS = {"a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt", "em",
                "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "samp",
                "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
                "tr", "u", "ul"}
INLINE_IMAGE = ("data:image/png;base64,", "data:image/jpeg;base64,", "data:image/gif;base64,",
                "data:image/svg+xml;base64,")  # an SVG shown with <img> runs no script


def _allowed_attribute(tag: str, name: str, value: str) -> bool:
    if name in ("class", "id", "title"):
        return True
    if tag == "a" and name == "name":  # nbgrader's anchors for the table of contents
        return True
    if tag == "img" and name in ("alt", "width", "height"):
        return True
    if tag == "img" and name == "src":
        return value.startswith(INLINE_IMAGE) or value.lower().startswith(("https://", "http://"))
    if tag == "a" and name == "href":  # bleach then keeps only the protocols below, and relative links
        return not re.sub(r"[\x00-\x20]", "", value).lower().startswith("data:")
    return tag in ("td", "th") and name in ("colspan", "rowspan", "align")


def clean_html(html) -> str:
    """``html`` with everything that could run script removed (bleach, the sanitiser nbconvert uses).

    Registered as nbconvert's ``clean_html`` filter for feedback pages (``nbgrader_config.py``),
    in place of nbconvert's own, whose allow-list has no paragraphs, headings or images.
    Disallowed tags are escaped (shown as text), not dropped, so a learner sees what they wrote.
    """
    import bleach

    html = html.decode() if isinstance(html, bytes) else str(html)
    return bleach.clean(html, tags=ALLOWED_TAGS, attributes=_allowed_attribute,
                        protocols={"http", "https", "mailto", "data"}, strip_comments=True)
