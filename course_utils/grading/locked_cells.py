"""Locked cells a learner edited, deleted or duplicated: found, reported, and made harmless.

:class:`IntegrityCheck` runs before nbgrader restores the locked cells and writes one
report per learner under ``grading/integrity/``; :class:`DeduplicateIds` keeps nbgrader's
rule (the last cell with a grade id is graded) without its crash.
"""
from __future__ import annotations

import contextlib
import json
from pathlib import Path

from nbformat.notebooknode import NotebookNode
from traitlets import Unicode

from nbgrader.preprocessors import DeduplicateIds as _DeduplicateIds
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.preprocessors import OverwriteCells as _OverwriteCells

HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
INTEGRITY_DIR = "grading/integrity"


# ---- integrity of locked cells -----------------------------------------------------------

def without_hidden_tests(source: str) -> str:
    lines, hidden = [], False
    for line in source.split("\n"):
        if HIDDEN_BEGIN in line:
            hidden = True
        elif HIDDEN_END in line:
            hidden = False
        elif not hidden:
            lines.append(line)
    return "\n".join(lines)


def _same_code(a: str, b: str) -> bool:
    def norm(text):
        return [line.rstrip() for line in text.strip().split("\n")]
    return norm(a) == norm(b)


class IntegrityCheck(NbGraderPreprocessor):
    """Before nbgrader restores locked cells: note which ones the learner edited, deleted or duplicated.

    Findings go to ``grading/integrity/<assignment>/<student>.json`` (read by
    ``course.py grade autograde`` and ``grade export``) and flag the submission in the gradebook.
    """

    report_dir = Unicode(INTEGRITY_DIR, help="folder for the per-learner integrity reports").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict):
        from nbgrader.api import Gradebook

        info = resources["nbgrader"]
        findings = []
        with Gradebook(info["db_url"]) as gradebook:
            source = gradebook.find_notebook(info["notebook"], info["assignment"])
            expected = {cell.name: cell for cell in source.source_cells if cell.locked}
            graded = {cell.name for cell in source.grade_cells}
            seen: dict[str, int] = {}
            for cell in nb.cells:
                grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
                if not grade_id:
                    continue
                seen[grade_id] = seen.get(grade_id, 0) + 1
                if grade_id in expected and seen[grade_id] == 1:
                    original = expected[grade_id]
                    release_source = without_hidden_tests(original.source)
                    if not (_same_code(cell.source, release_source) or _same_code(cell.source, original.source)):
                        findings.append({"cell": grade_id, "problem": "locked cell edited; the original was "
                                         "restored before grading"})
            for grade_id, count in seen.items():
                if count > 1:
                    findings.append({"cell": grade_id, "problem": f"{count} cells share this grade id; the last "
                                     "one is graded, the others run as ordinary cells"})
            for grade_id in sorted(set(expected) - set(seen)):
                kind = "test cell" if grade_id in graded else "locked cell"
                findings.append({"cell": grade_id, "problem": f"{kind} deleted; restored and graded"})
            if findings:
                with contextlib.suppress(Exception):
                    submitted = gradebook.find_submission_notebook(info["notebook"], info["assignment"],
                                                                   info["student"])
                    submitted.flagged = True
                    gradebook.db.commit()
        folder = Path(self.report_dir) / info["assignment"]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{info['student']}.json").write_text(json.dumps(
            {"assignment": info["assignment"], "student": info["student"], "notebook": info["notebook"],
             "findings": findings}, indent=1))
        for finding in findings:
            self.log.warning("%s / %s: %s: %s", info["student"], info["assignment"], finding["cell"],
                             finding["problem"])
        return nb, resources


def integrity_rows(root: Path, assignment: str | None = None) -> list[dict]:
    rows = []
    for path in sorted((Path(root) / INTEGRITY_DIR).glob(f"{assignment or '*'}/*.json")):
        report = json.loads(path.read_text())
        for finding in report["findings"]:
            rows.append({"assignment": report["assignment"], "student": report["student"], **finding})
    return rows


class DeduplicateIds(_DeduplicateIds):
    """nbgrader's DeduplicateIds (the last cell with a grade id keeps it), without its crash.

    nbgrader empties the metadata of the earlier copies, and then ``OverwriteCells`` with
    ``add_missing_cells`` fails on those cells (KeyError 'grade_id') and the learner is not
    graded at all. Here the earlier copies lose the ``nbgrader`` key entirely: ordinary cells.
    """

    def preprocess(self, nb, resources):
        nb, resources = super().preprocess(nb, resources)
        for cell in nb.cells:
            if "nbgrader" in cell.metadata and not cell.metadata["nbgrader"]:
                del cell.metadata["nbgrader"]
        return nb, resources


# ---- nbgrader metadata the gradebook does not know ---------------------------------------

def write_findings(report_dir: str, info: dict, kind: str, findings: list[dict]) -> None:
    """``<report_dir>/<assignment>/<student>.<kind>.json`` (read by :func:`integrity_rows`), or none."""
    path = Path(report_dir) / info["assignment"] / f"{info['student']}.{kind}.json"
    if not findings:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"assignment": info["assignment"], "student": info["student"],
                                "notebook": info.get("notebook", ""), "findings": findings}, indent=1))


class KnownCellsOnly(NbGraderPreprocessor):
    """First sanitize step: a cell is an nbgrader cell only if the gradebook knows its grade id.

    A cell the learner added (or copied from elsewhere) with made-up nbgrader metadata
    would stop nbgrader for that learner (an unknown grade cell, an old schema): it loses
    the metadata and runs as an ordinary cell. Metadata of a known cell that is damaged
    (not nbgrader's schema 3) is rebuilt from the gradebook. Both are reported in
    ``grading/integrity/<assignment>/<student>.metadata.json``.
    """

    report_dir = Unicode(INTEGRITY_DIR, help="folder for the per-learner integrity reports").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict):
        from nbgrader.api import Gradebook

        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gradebook:
            source = gradebook.find_notebook(info["notebook"], info["assignment"])
            known = {c.name: {"cell_type": c.cell_type, "checksum": c.checksum, "locked": c.locked}
                     for c in source.source_cells}
            points = {c.name: c.max_score for c in source.grade_cells}
            solutions = {c.name for c in source.solution_cells}
            tasks = {c.name for c in source.task_cells}
        findings = []
        for index, cell in enumerate(nb.cells, start=1):
            if "nbgrader" not in cell.metadata:
                continue
            meta = cell.metadata["nbgrader"]
            grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
            if grade_id not in known:
                del cell.metadata["nbgrader"]
                if meta:
                    findings.append({"cell": str(grade_id or f"cell {index}"), "problem": "nbgrader metadata the "
                                     "gradebook does not know (a cell the learner added?); run as an ordinary cell"})
            elif meta.get("schema_version") != 3 or not isinstance(meta.get("locked"), bool):
                rebuilt = {**known[grade_id], "grade": grade_id in points, "grade_id": grade_id,
                           "schema_version": 3, "solution": grade_id in solutions, "task": grade_id in tasks}
                if grade_id in points:
                    rebuilt["points"] = points[grade_id]
                cell.metadata["nbgrader"] = rebuilt
                findings.append({"cell": grade_id, "problem": "damaged nbgrader metadata; rebuilt from the gradebook"})
        write_findings(self.report_dir, info, "metadata", findings)
        for finding in findings:
            self.log.warning("%s / %s: %s: %s", info["student"], info["assignment"], finding["cell"],
                             finding["problem"])
        return nb, resources


class OverwriteCellsSafely(_OverwriteCells):
    """nbgrader's OverwriteCells, with deleted test cells put back where they can always go.

    nbgrader re-adds a deleted test cell right after the cell before it in the source and
    fails (KeyError, the learner is not graded) when that cell is gone too, e.g. when the
    answer and its test were both deleted, or the notebook was retyped elsewhere. Here it
    goes after the nearest earlier source cell the submission still has, or, when it has none
    (its nbgrader metadata was lost), at the end, after all of the learner's code.
    """

    def add_missing_grade_cells(self, nb: NotebookNode, resources: dict):
        source = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        order = [cell.name for cell in source.source_cells]
        cells = {cell.name: cell for cell in source.source_cells}
        grades = {cell.name: cell for cell in source.grade_cells}
        solutions = {cell.name for cell in source.solution_cells}
        for position, grade_id in enumerate(order):
            present = {cell.metadata["nbgrader"]["grade_id"]: index for index, cell in enumerate(nb.cells)
                       if isinstance(cell.metadata.get("nbgrader"), dict) and cell.metadata["nbgrader"].get("grade_id")}
            if grade_id not in grades or grade_id in present:
                continue
            earlier = [present[name] for name in order[:position] if name in present]
            self.log.warning("Missing grade cell %s encountered, adding to notebook", grade_id)
            nb.cells.insert(max(earlier) + 1 if earlier else len(nb.cells), self.missing_cell_transform(
                cells[grade_id], grades[grade_id].max_score, is_solution=grade_id in solutions))
        return nb, resources
