"""A class's hand-ins as they really come in, built from notebook 01's release: what editors,
downloads, learners, archives and platforms do to a notebook, each with the outcome it must get.

    hand_ins, expected, variants, skipped = build_class(course, where)

``hand_ins``: the paths to collect, in order (a folder per learner, a zip with one wrapping
folder, a Canvas bulk download, a Moodle download in folders, a Moodle download flat).
``expected``: learner id -> (score out of 4, a phrase its ``flags`` must contain, or "" for none).
``variants``: variant -> the learner id that shows it (or "(skipped)").
``skipped``: phrases the collect summary must list as skipped (files that are nobody's hand-in).
"""
from __future__ import annotations

import codecs
import io
import json
import os
import unicodedata
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import nbformat

FULL, ZERO = 4.0, 0.0
OLD, NEW = (2026, 11, 20, 9, 0, 0), (2026, 11, 27, 18, 30, 0)


def _source(cell) -> str:
    return cell.source if isinstance(cell.source, str) else "".join(cell.source)


def answered(course: Path) -> nbformat.NotebookNode:
    """The release notebook with every answer written in (the solution's code, without its markers)."""
    release = nbformat.read(course / "notebooks" / "01_loss" / "01_loss.ipynb", as_version=4)
    solution = nbformat.read(course / "solutions" / "01_loss" / "01_loss.ipynb", as_version=4)
    answers = {c.metadata["nbgrader"]["grade_id"]: _source(c) for c in solution.cells
               if c.metadata.get("nbgrader", {}).get("solution")}
    for cell in release.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = "\n".join(line for line in answers[grade_id].split("\n") if "### " not in line)
    return release


def _grade_id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def _index(nb, grade_id):
    return next(i for i, c in enumerate(nb.cells) if _grade_id(c) == grade_id)


def _copy(nb):
    return nbformat.from_dict(json.loads(json.dumps(nb)))


def _bytes(nb) -> bytes:
    return nbformat.writes(nb).encode("utf-8")


def editor_variants(base) -> dict[str, tuple[bytes, float, str]]:
    """What editors do: variant -> (file bytes, score, flag phrase)."""
    out = {}
    nb = _copy(base)
    i = _index(nb, "mse-answer")
    first = _copy(nb.cells[i])
    first.source, first.id = "# first the helper, then mse\n", "split-part"
    nb.cells.insert(i, first)  # JupyterLab's split copies the metadata into both halves
    out["split cell"] = (_bytes(nb), FULL, "2 cells share this grade id")
    nb = _copy(base)
    copy = _copy(nb.cells[_index(nb, "mse-test")])
    copy.id = "copied-test"
    nb.cells.append(copy)
    out["copied test cell"] = (_bytes(nb), FULL, "2 cells share this grade id")
    retyped = _copy(base)
    for grade_id in ("squared-error-answer", "mse-answer", "mse-grad-answer"):
        k = _index(retyped, grade_id)
        mine = nbformat.v4.new_code_cell(retyped.cells[k].source)
        retyped.cells[k].source = retyped.cells[k].source.split("\n")[0] + "\n    raise NotImplementedError()"
        retyped.cells.insert(k + 1, mine)
    out["retyped answers in new cells"] = (_bytes(retyped), FULL, "")
    nb = _copy(base)
    del nb.cells[_index(nb, "mse-test")]
    out["deleted test cell"] = (_bytes(nb), FULL, "test cell deleted")
    nb = _copy(base)
    del nb.cells[_index(nb, "mse-test")]
    del nb.cells[_index(nb, "mse-answer")]
    out["deleted answer and its test"] = (_bytes(nb), FULL - 1, "test cell deleted")
    nb = _copy(base)
    start, stop = _index(nb, "mse-grad-answer"), _index(nb, "mse-grad-test") + 1
    block = nb.cells[start:stop]
    del nb.cells[start:stop]
    at = _index(nb, "squared-error-answer")
    nb.cells[at:at] = block
    out["reordered exercises"] = (_bytes(nb), FULL, "")
    nb = _copy(base)
    nb.nbformat_minor = 4
    for cell in nb.cells:
        cell.pop("id", None)
    out["nbformat 4.4 without cell ids"] = (json.dumps(nb, indent=1).encode(), FULL, "")
    out["nbformat 3 (worksheets)"] = (json.dumps(nbformat.convert(_copy(base), 3), indent=1).encode(), FULL, "")
    nb = _copy(base)
    nb.metadata.kernelspec = {"name": "conda-env-ml-py", "display_name": "Python [conda env:ml]", "language": "python"}
    for cell in nb.cells:
        cell.metadata["vscode"] = {"languageId": "python"}
        cell.metadata["colab"] = {"base_uri": "https://localhost/", "height": 120}
        cell.metadata["execution"] = {"iopub.status.busy": "2026-11-27T10:00:00Z"}
    out["other editors' metadata (VS Code, Colab, a conda kernel)"] = (_bytes(nb), FULL, "")
    text = nbformat.writes(base)
    out["Windows line ends and a UTF-8 byte-order mark"] = (
        codecs.BOM_UTF8 + text.replace("\n", "\r\n").encode("utf-8"), FULL, "")
    out["UTF-16 with a byte-order mark"] = (text.encode("utf-16"), FULL, "")
    out["Windows-1252 instead of UTF-8"] = (text.encode("cp1252", errors="replace"), FULL, "")
    nb = json.loads(text)
    for cell in nb["cells"]:
        cell["source"] = "".join(cell["source"]).replace("\n", "\r\n")
    out["Windows line ends inside the cell sources"] = (json.dumps(nb).encode(), FULL, "")
    nb = _copy(base)
    nb.cells.append(nbformat.v4.new_code_cell("print('my own check')", metadata={"nbgrader": {
        "grade": True, "grade_id": "my-extra-test", "points": 10, "schema_version": 1, "locked": False,
        "solution": False}}))
    out["added cell with made-up nbgrader grade metadata"] = (_bytes(nb), FULL, "does not know")
    nb = _copy(base)
    meta = nb.cells[_index(nb, "mse-test")].metadata["nbgrader"]
    del meta["schema_version"], meta["locked"]
    out["damaged nbgrader metadata on a test cell"] = (_bytes(nb), FULL, "damaged nbgrader metadata")
    nb = _copy(base)
    for cell in nb.cells:
        cell.metadata.pop("nbgrader", None)
    out["every nbgrader metadata lost (another editor)"] = (_bytes(nb), FULL, "test cell deleted")
    nb = _copy(base)
    nb.cells[_index(nb, "mse-answer")].source = ("import numpy as np\ndef mse(y_hat, y):\n"
                                                  "    return float(np.sum(squared_error(y_hat, y)))\n")
    out["a typical mistake (sum, not mean)"] = (_bytes(nb), FULL - 1, "")
    return out


def damaged_variants(course: Path, base) -> dict[str, tuple[bytes, float, str]]:
    text = _bytes(base)
    other = (course / "notebooks" / "02_gradient_descent" / "02_gradient_descent.ipynb").read_bytes()
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("01_loss.ipynb", text)
    return {
        "empty file": (b"", ZERO, "empty file"),
        "truncated upload": (text[: len(text) // 3], ZERO, "truncated"),
        "plain text, not JSON": (b"print('hello')\n", ZERO, "not a notebook"),
        "a saved web page": (b"<!DOCTYPE html><html><body>JupyterLab</body></html>", ZERO, "HTML page"),
        "JSON that is no notebook": (b'{"answers": [1, 2, 3]}', ZERO, "JSON without"),
        "another assignment's notebook under this name": (other, ZERO, "02_gradient_descent's notebook"),
        "a zip renamed to .ipynb": (zipped.getvalue(), ZERO, "zip archive"),
    }


def _zip(entries: list[tuple], path: Path | None = None) -> bytes:
    """entries: (name, bytes) or (name, bytes, date_time) or (name, target, "link")."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data, *extra in entries:
            info = zipfile.ZipInfo(name, date_time=extra[0] if extra and extra[0] != "link" else NEW)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = ((0o120777 if extra and extra[0] == "link" else 0o100644) << 16)
            z.writestr(info, data)
    if path:
        path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


def _write(path: Path, data: bytes, when=NEW) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    stamp = datetime(*when, tzinfo=timezone.utc).timestamp()
    os.utime(path, (stamp, stamp))


def build_class(course: Path, where: Path):
    course, where = Path(course), Path(where)
    base = answered(course)
    good = _bytes(base)
    release = (course / "notebooks" / "01_loss" / "01_loss.ipynb").read_bytes()
    solution = course / "solutions" / "01_loss" / "01_loss.ipynb"
    expected, variants, skipped = {}, {}, []

    def learner(variant, learner_id, score, flag=""):
        variants[variant] = learner_id
        expected[learner_id] = (score, flag)

    # 1. a folder with one folder per learner
    folder = where / "class-folder"
    for n, (variant, (data, score, flag)) in enumerate(editor_variants(base).items()):
        _write(folder / f"editor{n:02d}" / "01_loss.ipynb", data)
        learner(f"editor: {variant}", f"editor{n:02d}", score, flag)
    for n, (variant, (data, score, flag)) in enumerate(damaged_variants(course, base).items()):
        _write(folder / f"damaged{n}" / "01_loss.ipynb", data)
        learner(f"damaged: {variant}", f"damaged{n}", score, flag)
    names = {"01_loss (1).ipynb": "name1", "Copy of 01_loss.ipynb": "name2", "01_loss-2.ipynb": "name3",
             "homework final.ipynb": "name4", "01_LOSS.IPYNB": "name5"}
    for filename, who in names.items():
        _write(folder / who / "Downloads" / filename, good)
        learner(f"file name: {filename}", who, FULL)
    _write(folder / "twice" / "01_loss.ipynb", release, OLD)
    _write(folder / "twice" / "01_loss (1).ipynb", good, NEW)
    learner("file name: downloaded twice, the newer one answered", "twice", FULL)
    _write(folder / "twice-back" / "01_loss.ipynb", good, OLD)
    _write(folder / "twice-back" / "01_loss (1).ipynb", release, NEW)
    learner("file name: downloaded twice, the newer one untouched (newest wins)", "twice-back", ZERO)
    _write(folder / "noise" / "01_loss.ipynb", good)
    _write(folder / "noise" / ".ipynb_checkpoints" / "01_loss-checkpoint.ipynb", release)
    _write(folder / "noise" / "__MACOSX" / "._01_loss.ipynb", b"\x00\x05\x16\x07")
    learner("file name: autosave copy and macOS metadata beside the notebook", "noise", FULL)
    skipped += ["autosave copy", "macOS archive metadata"]
    _write(folder / "ahmed" / "work.zip", _zip([("work/01_loss.ipynb", good)]))
    learner("archive: a zip in the learner's folder", "ahmed", FULL)
    inner = _zip([("01_loss.ipynb", good)])
    _write(folder / "deep" / "outer.zip", _zip([("mid.zip", _zip([("inner.zip", inner)]))]))
    learner("archive: a zip in a zip in a zip", "deep", FULL)
    (folder / "linker").mkdir()
    (folder / "linker" / "01_loss.ipynb").symlink_to(solution)
    learner("archive: a folder's symbolic link to the solution", "linker", ZERO, "symbolic link")
    try:  # a hard link to the course's own solution file, when both lie on one file system
        (folder / "hardlinker").mkdir()
        os.link(solution, folder / "hardlinker" / "01_loss.ipynb")
    except OSError:
        _write(folder / "hardlinker" / "notes.bin", b"{}")
        os.link(folder / "hardlinker" / "notes.bin", folder / "hardlinker" / "01_loss.ipynb")
    learner("archive: a hard link", "hardlinker", ZERO, "hard link")
    big = _copy(base)
    big.cells[-1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="x" * 3_500_000)]
    _write(folder / "bigfile" / "01_loss.ipynb", _bytes(big))
    learner("archive: a file over the size limit", "bigfile", ZERO, "larger than")
    names = {"Łukasz Wiśniewski": "Łukasz_Wiśniewski", "李雷": "李雷", "O'Brien, Mary-Jane": "O_Brien_Mary-Jane"}
    for name, learner_id in names.items():
        _write(folder / name / "01_loss.ipynb", good)
        learner(f"name: {name}", learner_id, FULL)
    _write(folder / unicodedata.normalize("NFD", "Zoë Martin") / "01_loss.ipynb", good)
    learner("name: Zoë Martin (decomposed accents, as macOS writes them)", "Zoë_Martin", FULL)
    _write(folder / "Zoe Martin" / "01_loss.ipynb", release)
    learner("name: Zoe Martin (one accent apart: another person)", "Zoe_Martin", ZERO)
    _write(folder / "ann lee" / "01_loss.ipynb", release)
    learner("name: 'ann lee' in a folder, later an 'Ann Lee' on Moodle (clash)", "ann_lee", ZERO)

    # 2. a zip with one wrapping folder; one entry climbs out, one is a link
    class_zip = where / "class.zip"
    _zip([("class/mei/01_loss.ipynb", good), ("class/tom/answers.ipynb", good),
          ("class/tom/../../escaped.ipynb", good), ("class/linkzip/01_loss.ipynb", str(solution), "link"),
          ("class/bomb/01_loss.ipynb", b"{" + b" " * 6_000_000 + b"}")], class_zip)
    learner("zip: wrapping folder", "mei", FULL)
    learner("zip: renamed notebook", "tom", FULL)
    learner("zip: a symbolic link entry to the solution", "linkzip", ZERO, "symbolic link")
    learner("zip: an entry that decompresses past the limit (zip bomb)", "bomb", ZERO, "larger than")
    variants["zip: an entry that climbs out (../../escaped.ipynb)"] = "(skipped)"
    skipped.append("climbing path")

    # 3. a Canvas bulk download
    canvas = where / "canvas.zip"
    _zip([("leeann_1003_5001_01_loss.ipynb", good),
          ("wiśniewskiłukasz_LATE_1004_5002_01_loss.ipynb", good),
          ("zoe_1005_5003_01_loss.ipynb", release, OLD), ("zoe_1005_5004_01_loss-1.ipynb", good, NEW),
          ("smithjane_1006_5005_Untitled.ipynb", good),
          ("kimmin_1007_5006_submission.zip", _zip([("01_loss.ipynb", good)])),
          ("parkjo_1008_5007_01_loss.ipynb", b"")], canvas)
    for variant, who, score, flag in [("canvas: flat file", "leeann", FULL, ""),
                                      ("canvas: LATE_, a name beyond ASCII", "wiśniewskiłukasz", FULL, ""),
                                      ("canvas: submitted twice (-1)", "zoe", FULL, ""),
                                      ("canvas: renamed Untitled.ipynb", "smithjane", FULL, ""),
                                      ("canvas: a zip as the submission", "kimmin", FULL, ""),
                                      ("canvas: empty upload", "parkjo", ZERO, "empty file")]:
        learner(variant, who, score, flag)

    # 4. a Moodle "download all submissions", in folders; 5. the same, flat
    moodle = where / "moodle.zip"
    _zip([("Ann Lee_2001_assignsubmission_file_/01_loss.ipynb", good),
          ("Bo Chen_2002_assignsubmission_file_/my work (final).ipynb", good),
          ("Bo Chen_2002_assignsubmission_onlinetext_/onlinetext.html", b"<p>see the notebook</p>"),
          ("Ann Lee_2003_assignsubmission_file_/01_loss.ipynb", release)], moodle)
    learner("moodle: folder per submission; 'Ann Lee' clashes with the folder's 'ann lee'", "Ann_Lee_2001", FULL)
    learner("moodle: renamed file", "Bo_Chen", FULL)
    learner("moodle: a second, different 'Ann Lee'", "Ann_Lee_2003", ZERO)
    variants["moodle: online text beside the file"] = "(skipped)"
    skipped.append("onlinetext.html: not a notebook")
    flat = where / "moodle-flat"
    _write(flat / "Chidi Okafor_2004_assignsubmission_file_01_loss.ipynb", good)
    _write(flat / "Dana Ruiz_2005_assignsubmission_file_Copy of 01_loss.ipynb", good)
    learner("moodle flat: file name carries the learner", "Chidi_Okafor", FULL)
    learner("moodle flat: renamed file", "Dana_Ruiz", FULL)
    return [folder, class_zip, canvas, moodle, flat], expected, variants, skipped
