"""What a hand-in is: a readable notebook (repaired if need be) and which assignment it belongs to.

:func:`read_submission` turns a file's bytes into a notebook or a reason it cannot be one
(``"empty file"``, ``"truncated: ..."``, ``"not a notebook: ..."``). What editors do is
repaired and noted: a byte-order mark, UTF-16 or Windows-1252 text, Windows line ends,
nbformat 3 (converted), 4.0-4.4 without cell ids (ids added), sources stored as lists.

:func:`fingerprints` describes each assignment by what its notebooks contain (nbgrader
grade ids and the text of its cells, from ``solutions/`` and the release), and
:func:`identify` scores a notebook against them: the file's *name* plays no part, so
``Copy of 01_loss (1).ipynb`` is found, and a file named ``01_loss.ipynb`` holding
notebook 02 is known for what it is.
"""
from __future__ import annotations

import codecs
import hashlib
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat


@dataclass
class Reading:
    notebook: nbformat.NotebookNode | None   # None when the file cannot be a notebook
    reason: str = ""                          # why not (empty when readable)
    repairs: list[str] = field(default_factory=list)  # what was changed to read it

    @property
    def readable(self) -> bool:
        return self.notebook is not None


def _decode(data: bytes, repairs: list[str]) -> str:
    if data.startswith(codecs.BOM_UTF8):
        repairs.append("UTF-8 byte-order mark removed")
        return data[len(codecs.BOM_UTF8):].decode("utf-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        repairs.append("read as UTF-16")
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        repairs.append("read as Windows-1252 (not UTF-8)")
        return data.decode("cp1252", errors="replace")


def _not_json_reason(text: str, error: json.JSONDecodeError) -> str:
    start = text.lstrip()[:200].lower()
    if not start:
        return "empty file (only white space)"
    if start.startswith("{") and (error.pos >= len(text.rstrip()) - 1 or not text.rstrip().endswith("}")):
        return f"truncated: the notebook's JSON stops after {len(text)} characters"
    if start.startswith(("<!doctype html", "<html")):
        return "not a notebook: an HTML page (a web page saved instead of the .ipynb)"
    if start.startswith("{"):
        return f"not a notebook: broken JSON at line {error.lineno} ({error.msg})"
    return "not a notebook: the file is not JSON"


def _repair_cells(raw: dict, repairs: list[str]) -> None:
    """Sources as one string with \\n line ends, metadata dicts: what other editors get wrong."""
    crlf = False
    for cell in raw.get("cells", []):
        if not isinstance(cell, dict):
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(str(s) for s in source)
        if "\r" in source:
            crlf = True
            source = source.replace("\r\n", "\n").replace("\r", "\n")
        cell["source"] = source
        if not isinstance(cell.get("metadata"), dict):
            cell["metadata"] = {}
    if crlf:
        repairs.append("Windows line ends converted")


def read_submission(data: bytes) -> Reading:
    """Bytes of a hand-in -> :class:`Reading` (a notebook in nbformat 4.5, or the reason it is none)."""
    if not data.strip():
        return Reading(None, "empty file" if not data else "empty file (only white space)")
    if data.startswith(b"PK\x03\x04"):
        return Reading(None, "not a notebook: a zip archive named like a notebook")
    repairs: list[str] = []
    text = _decode(data, repairs)
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        return Reading(None, _not_json_reason(text, error))
    if not isinstance(raw, dict) or "nbformat" not in raw or not ("cells" in raw or "worksheets" in raw):
        return Reading(None, "not a notebook: JSON without a notebook's cells")
    if raw.get("nbformat") == 4:
        _repair_cells(raw, repairs)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            notebook = nbformat.reads(json.dumps(raw), as_version=4)
            if (notebook.nbformat, notebook.nbformat_minor) < (4, 5) or raw.get("nbformat") != 4:
                repairs.append(f"nbformat {raw.get('nbformat')}.{raw.get('nbformat_minor', 0)} upgraded to 4.5")
                notebook.nbformat_minor = 5
            if raw.get("nbformat") != 4:
                _repair_cells(notebook, [])
            _, notebook = nbformat.validator.normalize(notebook)
            notebook = nbformat.from_dict(notebook)
            nbformat.validate(notebook)
    except Exception as error:  # nbformat raises many kinds for a malformed notebook
        return Reading(None, f"not a notebook: {type(error).__name__}: {str(error).splitlines()[0][:120]}")
    return Reading(notebook, "", repairs)


# ---- which assignment ---------------------------------------------------------------------

def _text_key(source: str) -> str:
    lines = [line.rstrip() for line in source.replace("\r\n", "\n").strip().split("\n")]
    return hashlib.sha1("\n".join(lines).encode()).hexdigest()


def _features(notebook) -> tuple[set[str], set[str]]:
    ids, texts = set(), set()
    for cell in notebook.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if isinstance(meta, dict) and meta.get("grade_id"):
            ids.add(str(meta["grade_id"]))
        if len(cell.get("source", "").strip()) >= 20:  # short cells ("x = 1") say nothing
            texts.add(_text_key(cell.source))
    return ids, texts


@dataclass
class Fingerprint:
    assignment: str
    notebook: str           # the notebook's name in the assignment (without .ipynb)
    ids: set[str]
    texts: set[str]


def fingerprints(course: Path, assignments: list[str]) -> list[Fingerprint]:
    """Each assignment notebook's grade ids and cell texts, from solutions/ and notebooks/."""
    found = []
    for assignment in assignments:
        for source in sorted((Path(course) / "solutions" / assignment).glob("*.ipynb")):
            ids, texts = _features(nbformat.read(source, as_version=4))
            release = Path(course) / "notebooks" / assignment / source.name
            if release.exists():
                more_ids, more_texts = _features(nbformat.read(release, as_version=4))
                ids, texts = ids | more_ids, texts | more_texts
            found.append(Fingerprint(assignment, source.stem, ids, texts))
    return found


def match_scores(notebook, prints: list[Fingerprint]) -> list[tuple[int, Fingerprint]]:
    """(score, fingerprint) for every assignment notebook, best first: shared grade ids + shared cells."""
    ids, texts = _features(notebook)
    scored = [(len(ids & p.ids) + len(texts & p.texts), p) for p in prints]
    return sorted(scored, key=lambda sp: -sp[0])


def identify(notebook, prints: list[Fingerprint]) -> Fingerprint | None:
    """The assignment notebook this one clearly comes from, or None (nothing shared, or a tie)."""
    scored = match_scores(notebook, prints)
    if not scored or scored[0][0] == 0 or (len(scored) > 1 and scored[1][0] == scored[0][0]):
        return None
    return scored[0][1]
