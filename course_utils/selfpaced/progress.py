"""Where a learner stands: every notebook of the workspace graded with the hidden tests.

    rows = workspace_progress(root, workspace)      # grades what changed since the last run
    print("\n".join(text_lines(rows)))              # the terminal's table, last line the total
    write_html(rows, workspace / "progress.html")

In JupyterLab, ``show_progress()`` in any cell runs ``python3 course.py progress`` and
shows the same table (the workspace's ``progress.ipynb`` holds that cell).

A notebook whose answer cells are all as released is *not started*: 0 points, nothing is
run. Started notebooks are graded by :mod:`course_utils.selfpaced.grader`; the result of
each is kept in ``<workspace>/.course/progress-cache.json``, one entry per notebook, with
a key made of the learner's file, the instructor's notebook and the grading code, so a
second run grades only what changed. Messages are passed through :func:`~course_utils.selfpaced.exercises.redact`
with the hidden-test lines of the instructor's notebook before they are kept or shown.
"""
from __future__ import annotations

import hashlib
import html
import json
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from course_utils.selfpaced.exercises import (
    Exercise, exercises, hidden_test_lines, notebook_started, read_notebook, redact, started)

PASSED, NOT_YET, NOT_STARTED = "passed", "not yet", "not started"
CACHE = Path(".course") / "progress-cache.json"


@dataclass
class ExerciseResult:
    exercise: Exercise
    status: str
    score: float = 0.0
    message: str = ""


@dataclass
class NotebookRow:
    name: str
    results: list[ExerciseResult] = field(default_factory=list)
    note: str = ""  # "not started", or why it could not be graded

    @property
    def points(self) -> float:
        return sum(r.score for r in self.results)

    @property
    def total(self) -> float:
        return sum(r.exercise.points for r in self.results)

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)


def assignments(root: Path) -> list[str]:
    return sorted(p.parent.name for p in (Path(root) / "notebooks").glob("*/*.ipynb"))


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def grading_code_digest(root: Path) -> str:
    """One hash of everything that decides a grade besides the two notebooks."""
    digest = hashlib.sha256()
    package = Path(root) / "course_utils"
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())
    digest.update((Path(root) / "nbgrader_config.py").read_bytes())
    return digest.hexdigest()


def _fmt(points: float) -> str:
    return f"{points:g}"


def _load_cache(path: Path) -> dict:
    try:
        cache = json.loads(path.read_text())
        return cache if isinstance(cache, dict) else {}
    except (OSError, ValueError):
        return {}


def _save_cache(path: Path, cache: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(cache))
    partial.replace(path)


def workspace_progress(root: Path, workspace: Path, names: list[str] | None = None, jobs: int | None = None,
                       isolation: str | None = None, use_cache: bool = True) -> list[NotebookRow]:
    """One row per notebook of the course (or of ``names``), graded against the hidden tests."""
    from course_utils.selfpaced.grader import grade

    root, workspace = Path(root).resolve(), Path(workspace).resolve()
    names = names or assignments(root)
    if isolation is None:
        from course_utils.grading.confine import availability

        isolation = "bubblewrap" if availability()[0] else "none"
    cache_path = workspace / CACHE
    cache = _load_cache(cache_path) if use_cache else {}
    code = grading_code_digest(root)
    rows, todo, keys, seen = [], {}, {}, {}
    for name in names:
        release = read_notebook(root / "notebooks" / name / f"{name}.ipynb")
        row = NotebookRow(name, [ExerciseResult(e, NOT_STARTED) for e in exercises(release)])
        rows.append(row)
        path = workspace / name / f"{name}.ipynb"
        if not path.is_file():
            row.note = "not started (no notebook in your workspace yet)"
            continue
        data = path.read_bytes()
        try:
            learner = json.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError):
            learner = None  # nbgrader's intake says what is wrong with it
        if learner is not None and not notebook_started(learner, release):
            row.note = "not started"
            continue
        seen[name] = learner
        source = (root / "solutions" / name / f"{name}.ipynb").read_bytes()
        keys[name] = _sha(b"\0".join([data, source, code.encode(), isolation.encode()]))
        if not isinstance(cache.get(name), dict) or cache[name].get("key") != keys[name]:
            todo[name] = path
    if todo:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # sqlalchemy's notes from inside nbgrader's gradebook
            fresh = grade(root, todo, isolation, jobs or min(2, os.cpu_count() or 1))
        for name, result in fresh.items():
            source = read_notebook(root / "solutions" / name / f"{name}.ipynb")
            hidden = set(hidden_test_lines(source))
            visible = _visible_lines(root / "notebooks" / name / f"{name}.ipynb")
            for cell in result.get("cells", {}).values():
                cell["message"] = redact(cell["message"], hidden, visible)
            cache[name] = {"key": keys[name], "result": result}
    for row in rows:
        if row.name not in keys:
            continue
        result = cache[row.name]["result"]
        if "unreadable" in result:
            row.note = f"could not be graded: {result['unreadable']}"
            continue
        release = read_notebook(root / "notebooks" / row.name / f"{row.name}.ipynb")
        for item in row.results:
            cell = result["cells"].get(item.exercise.grade_id, {"score": 0.0, "message": "no grade was recorded"})
            item.score = min(float(cell["score"]), item.exercise.points)
            if item.score >= item.exercise.points:
                item.status = PASSED
            elif seen[row.name] is not None and not started(item.exercise, seen[row.name], release):
                item.status = NOT_STARTED
            else:
                item.status, item.message = NOT_YET, cell["message"]
    if use_cache and todo:
        # One entry per notebook: the grade of the file as it was when last graded.
        _save_cache(cache_path, {name: entry for name, entry in cache.items() if name in set(assignments(root))})
    return rows


def _visible_lines(release_path: Path) -> set[str]:
    notebook = read_notebook(release_path)
    lines = set()
    for cell in notebook.get("cells", []):
        source = cell.get("source", "")
        lines.update(line.strip() for line in ("".join(source) if isinstance(source, list) else source).split("\n"))
    return lines


def totals(rows: list[NotebookRow]) -> tuple[float, float, int, int]:
    points = sum(r.points for r in rows)
    total = sum(r.total for r in rows)
    passed = sum(r.count(PASSED) for r in rows)
    return points, total, passed, sum(len(r.results) for r in rows)


def summary_line(rows: list[NotebookRow]) -> str:
    points, total, passed, count = totals(rows)
    return f"progress: {_fmt(points)} of {_fmt(total)} points, {passed} of {count} exercises passed"


def row_counts(row: NotebookRow) -> str:
    return (f"{row.count(PASSED)} passed, {row.count(NOT_YET)} not yet, {row.count(NOT_STARTED)} not started")


def text_lines(rows: list[NotebookRow]) -> list[str]:
    width = max(len(r.name) for r in rows) if rows else 10
    lines = []
    for row in rows:
        points = f"{_fmt(row.points)} / {_fmt(row.total)} points"
        note = f"   ({row.note})" if row.note and row.note != "not started" else ""
        lines.append(f"{row.name:<{width}}  {points:>16}   {row_counts(row)}{note}")
        for item in row.results:
            if item.status == NOT_YET:
                message = item.message.strip().replace("\n", "\n        ")
                points = item.exercise.points
                lines.append(f"    {item.exercise.name} ({_fmt(points)} point{'' if points == 1 else 's'}): {message}")
    lines.append(summary_line(rows))
    return lines


STYLE = """
table.course-progress { border-collapse: collapse; font-family: sans-serif; font-size: 14px; }
table.course-progress th, table.course-progress td { border: 1px solid #bbb; padding: 4px 8px; text-align: left;
  vertical-align: top; }
.jp-RenderedHTMLCommon table.course-progress th, .jp-RenderedHTMLCommon table.course-progress td { text-align: left; }
table.course-progress td.points, .jp-RenderedHTMLCommon table.course-progress td.points { text-align: right;
  white-space: nowrap; }
table.course-progress pre { margin: 2px 0; white-space: pre-wrap; font-size: 13px; }
p.course-progress-total { font-family: sans-serif; font-weight: bold; }
"""


def html_table(rows: list[NotebookRow]) -> str:
    """The table as an HTML fragment (every text escaped), for the page and for JupyterLab."""
    e = html.escape
    out = [f"<style>{STYLE}</style>", '<table class="course-progress">',
           "<tr><th>notebook</th><th>points</th><th>exercises</th><th>not yet passed: what the check says</th></tr>"]
    for row in rows:
        notes = []
        for item in row.results:
            if item.status == NOT_YET:
                notes.append(f"<b>{e(item.exercise.name)}</b><pre>{e(item.message.strip())}</pre>")
        if row.note and row.note != "not started":
            notes.insert(0, e(row.note))
        out.append(f'<tr class="course-progress-row" data-notebook="{e(row.name)}"><td>{e(row.name)}</td>'
                   f'<td class="points">{_fmt(row.points)} / {_fmt(row.total)}</td><td>{e(row_counts(row))}</td>'
                   f"<td>{''.join(notes)}</td></tr>")
    out.append("</table>")
    out.append(f'<p class="course-progress-total">{e(summary_line(rows))}</p>')
    return "\n".join(out)


def write_html(rows: list[NotebookRow], target: Path) -> Path:
    page = ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Your progress</title></head><body>\n"
            "<h1>Your progress: Learning from Mistakes</h1>\n"
            "<p>Graded with the course's hidden tests, from your saved notebooks. "
            "Run <code>python3 course.py progress</code> again after saving to update it.</p>\n"
            f"{html_table(rows)}\n</body></html>\n")
    target = Path(target)
    partial = target.with_name(target.name + ".partial")
    partial.write_text(page, encoding="utf-8")
    partial.replace(target)
    return target


def show_progress(workspace: str | os.PathLike | None = None):
    """In a notebook cell: grade your saved notebooks and show the table (takes a few seconds).

    Save your notebooks first (Ctrl+S): the grader reads the files, not what is on screen.
    """
    import subprocess
    import sys

    from IPython.display import HTML

    root = Path(__file__).resolve().parents[2]
    folder = Path(workspace or os.environ.get("COURSE_WORKSPACE") or Path.cwd()).resolve()
    result = subprocess.run([sys.executable, str(root / "course.py"), "progress"], capture_output=True, text=True,
                            env=dict(os.environ, COURSE_WORKSPACE=str(folder)))
    page = folder / "progress.html"
    if result.returncode != 0 or not page.exists():
        return HTML(f"<pre>{html.escape((result.stdout + result.stderr).strip()[-3000:])}</pre>")
    body = page.read_text(encoding="utf-8")
    return HTML(body[body.index("<style>"):body.index("</body>")])
