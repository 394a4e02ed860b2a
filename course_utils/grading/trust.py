"""Before every grading step: the environment is the one the instructor trusted, the gradebook is nbgrader's.

    python3 course.py grade release    # takes the manifest (so does installing the course)
    python3 course.py grade trust      # takes it again, after a change you made on purpose
    python3 course.py grade autograde  # refuses, in one sentence, if anything changed since

This is the second line of defence behind the grading sandbox: it sees a change made by
any route (a submission that escaped, a stray ``pip install``, an edited check), because it
compares files, not events. The manifest lives in ``grading/environment-manifest.json``,
which learners' code never sees and only the instructor's commands write; it also holds
the gradebook schema nbgrader creates, so the check needs no nbgrader import.

    python -m course_utils.grading.trust COURSE   # take the manifest of COURSE (used by course.py)
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from course_utils.grading.gradebook_schema import reference_schema, schema_problems
from course_utils.grading.manifest import grading_roots, take, verify

MANIFEST = Path("grading") / "environment-manifest.json"
GRADEBOOK = Path("grading") / "gradebook.db"
TRUST_COMMAND = "python3 course.py grade trust"


class Refused(Exception):
    """A grading step must not run; the message is the one sentence to show.

    Every check takes ``lead``, the words the sentence starts with ("grading refused",
    "export refused", ...).
    """


def take_manifest(course: Path) -> Path:
    """Hash the grading environment of ``course`` and store it (with nbgrader's schema). Returns the file."""
    course = Path(course).resolve()
    try:
        previous = json.loads((course / MANIFEST).read_text())
    except (OSError, ValueError):
        previous = None
    manifest = take(grading_roots(course), previous if isinstance(previous, dict) else None)
    manifest["gradebook"] = sorted([kind, name, sql] for (kind, name), sql in reference_schema().items())
    # Compiled files are not in the manifest: the caller empties the private cache before the
    # process that calls this starts (course.py's empty_bytecode_cache), so every compiled file
    # in it from now on was made from the sources just hashed.
    _write(course / MANIFEST, manifest)
    return course / MANIFEST


def _write(path: Path, manifest: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(manifest, separators=(",", ":")))
    partial.replace(path)  # never a half-written manifest


def check_environment(course: Path, lead: str = "grading refused", manifest: dict | None = None) -> None:
    """Raise :class:`Refused` unless every file that grades ``course`` matches its manifest."""
    course = Path(course).resolve()
    manifest = manifest or _load(course, lead)
    changes, refreshed = verify(manifest, grading_roots(course))
    if changes:
        raise Refused(changes_sentence(lead, changes))
    if refreshed:  # files re-read and found unchanged (a copied course): remember their new stat
        _write(course / MANIFEST, manifest)


def check_gradebook(course: Path, lead: str = "grading refused", manifest: dict | None = None) -> None:
    """Raise :class:`Refused` unless ``grading/gradebook.db`` holds exactly nbgrader's schema."""
    course = Path(course).resolve()
    manifest = manifest or _load(course, lead)
    reference = {(kind, name): sql for kind, name, sql in manifest["gradebook"]}
    problems = schema_problems(course / GRADEBOOK, reference)
    if problems:
        others = len(problems) - 1
        more = f" (and {others} other difference{'s' if others > 1 else ''})" if others else ""
        raise Refused(f"{lead}: the gradebook {GRADEBOOK} is not nbgrader's: {problems[0]}{more}; "
                      f"restore it from a backup, or remove what was added with sqlite3, before grading again.")


def check_all(course: Path, lead: str = "grading refused") -> None:
    """Both checks, reading the manifest once: what ``course.py grade`` calls before a step."""
    manifest = _load(Path(course).resolve(), lead)
    check_environment(course, lead, manifest)
    check_gradebook(course, lead, manifest)


def _load(course: Path, lead: str) -> dict:
    try:
        manifest = json.loads((course / MANIFEST).read_text())
        if manifest.get("version") == 1 and "files" in manifest and "gradebook" in manifest:
            return manifest
        problem = "is not a manifest this course wrote"
    except FileNotFoundError:
        problem = "does not exist"
    except ValueError:
        problem = "is not valid JSON"
    raise Refused(f"{lead}: the manifest of the grading environment ({MANIFEST}) {problem}; take it with "
                  f"`python3 course.py grade release` (or `{TRUST_COMMAND}` if this environment is the one you trust).")


def changes_sentence(lead: str, changes: list[tuple[str, str, str | None, str | None]]) -> str:
    """One sentence naming the first change (by path) and how many others there are."""
    key, what, recorded, found = changes[0]
    if what == "changed":
        detail = (f"{key} changed since the grading environment was trusted "
                  f"(sha256 {found[:12]}…, was {recorded[:12]}…)")
    elif what == "new":
        detail = f"{key} appeared since the grading environment was trusted (sha256 {found[:12]}…)"
    else:
        detail = f"{key} was removed since the grading environment was trusted"
    others = len(changes) - 1
    if others:
        detail += f", and {others} other file{'s' if others > 1 else ''} differ{'s' if others == 1 else ''} too"
    if key.startswith("course_utils/") or key == "nbgrader_config.py":
        fix = "restore it (`git status` shows it)"
    else:
        fix = "reinstall the environment (delete .venv, then run `python3 course.py grade release`)"
    return (f"{lead}: {detail}; if you did not make that change, {fix}, and after a change you made "
            f"on purpose run `{TRUST_COMMAND}`.")


def main(argv: list[str]) -> int:
    course = Path(argv[0] if argv else os.getcwd())
    path = take_manifest(course)
    print(f"[course] trusted the grading environment as it is now: {len(json.loads(path.read_text())['files'])} "
          f"files recorded in {path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
