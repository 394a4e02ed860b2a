"""Feedback pages: hidden-test code removed, tracebacks cut to their message."""
from __future__ import annotations

from traitlets import List, Unicode

from nbgrader.preprocessors import NbGraderPreprocessor

from course_utils.grading.locked_cells import HIDDEN_BEGIN, HIDDEN_END


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
                output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources
