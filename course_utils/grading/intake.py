"""What ``grade autograde`` is handed: every learner gets a row, even when their file cannot be graded.

Before nbgrader runs, :func:`prepare` reads each ``submitted/<learner>/<assignment>/``:

- a notebook that needs repairs (byte-order mark, Windows line ends, an old nbformat)
  is rewritten repaired; the file as handed in is kept in ``grading/originals/``; one put
  there under another name is copied to the name nbgrader grades;
- a file that cannot be graded (missing, empty, truncated, not a notebook, a link,
  another assignment's notebook) is left where it is, kept from nbgrader, and
  :func:`record_zero` gives it a row in the gradebook with 0 points, flagged, with the
  reason in ``grading/integrity/<assignment>/<learner>.intake.json`` (the CSV's ``flags``).

After nbgrader ran, :func:`ungraded` names the learners nbgrader itself could not grade
(it goes on with the others, then exits 1): they get the same kind of row.
"""
from __future__ import annotations

import shutil
import warnings
from datetime import datetime, timezone
from pathlib import Path

import nbformat

from course_utils.grading.identify import fingerprints, identify, match_scores, read_submission
from course_utils.grading.locked_cells import INTEGRITY_DIR, write_findings

COURSE_ID = "learning-from-mistakes"
WHOLE = "(whole notebook)"


def _assignments(course: Path) -> list[str]:
    return sorted(p.parent.name for p in (Path(course) / "solutions").glob("*/*.ipynb"))


def why_ungradable(path: Path, assignment: str, prints) -> tuple[str, object]:
    """("", reading) for a gradable notebook, else (the reason, reading or None)."""
    if path.is_symlink():
        return "a symbolic link, not a file: not followed", None
    refused = path.parent / "collect-refused.txt"
    if not path.exists() and refused.is_file():
        return refused.read_text(errors="replace").strip(), None
    if not path.is_file():
        others = sorted(p.name for p in path.parent.glob("*.ipynb"))
        return f"no {path.name} in the submission{' (found: ' + ', '.join(others) + ')' if others else ''}", None
    reading = read_submission(path.read_bytes())
    if not reading.readable:
        return reading.reason, reading
    scored = match_scores(reading.notebook, prints)
    own = next((s for s, p in scored if p.assignment == assignment and p.notebook == path.stem), 0)
    best, best_print = scored[0] if scored else (0, None)
    if best_print is not None and best_print.assignment != assignment and 2 * own < best:
        return f"this is {best_print.assignment}'s notebook, not {assignment}'s", reading
    return "", reading


def _adopt_renamed(path: Path, assignment: str, prints) -> None:
    """A submission placed by hand under another name (``my copy.ipynb``): the newest notebook of
    the folder that is this one by content is copied to the name nbgrader grades."""
    found = []
    for other in path.parent.glob("*.ipynb"):
        if other.is_file() and not other.is_symlink():
            reading = read_submission(other.read_bytes())
            target = identify(reading.notebook, prints) if reading.readable else None
            if target is not None and (target.assignment, target.notebook) == (assignment, path.stem):
                found.append(other)
    if found:
        shutil.copyfile(max(found, key=lambda p: p.stat().st_mtime), path)


def prepare(course: Path, assignment: str) -> dict[str, str]:
    """Repair what can be repaired; return {learner: reason} for the submissions that cannot be graded."""
    course = Path(course)
    prints = fingerprints(course, _assignments(course))
    notebooks = [p.notebook for p in prints if p.assignment == assignment]
    reasons = {}
    for folder in sorted((course / "grading" / "submitted").glob(f"*/{assignment}")):
        if not folder.is_dir():
            continue
        learner = folder.parent.name
        for name in notebooks:
            path = folder / f"{name}.ipynb"
            if not path.exists() and not path.is_symlink():
                _adopt_renamed(path, assignment, prints)
            reason, reading = why_ungradable(path, assignment, prints)
            if reason:
                reasons[learner] = f"cannot be graded: {reason}"
                break
            if reading.repairs:
                kept = course / "grading" / "originals" / learner / assignment / path.name
                if not kept.exists():
                    kept.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(path, kept)
                nbformat.write(reading.notebook, path)
        if learner not in reasons:
            write_findings(str(course / INTEGRITY_DIR), {"assignment": assignment, "student": learner}, "intake", [])
    return reasons


def ungraded(course: Path, assignment: str, skip) -> list[str]:
    """Learners with a submission of ``assignment`` (not in ``skip``) and no autograded notebook."""
    course = Path(course)
    missing = []
    for folder in sorted((course / "grading" / "submitted").glob(f"*/{assignment}")):
        learner = folder.parent.name
        if folder.is_dir() and learner not in skip and \
                not any((course / "grading" / "autograded" / learner / assignment).glob("*.ipynb")):
            missing.append(learner)
    return missing


def _timestamp(folder: Path):
    try:
        text = (folder / "timestamp.txt").read_text().strip().removesuffix(" UTC")
        return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)
    except (OSError, ValueError):
        return None


def record_zero(course: Path, assignment: str, reasons: dict[str, str], course_id: str = COURSE_ID) -> None:
    """A gradebook row with 0 points, flagged, for each learner in ``reasons``, and the reason on file."""
    from nbgrader.api import Gradebook

    course = Path(course)
    grading = course / "grading"
    with Gradebook(f"sqlite:///{grading / 'gradebook.db'}", course_id) as gradebook, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sqlalchemy's autoflush notes from inside nbgrader's api
        for learner, reason in sorted(reasons.items()):
            gradebook.update_or_create_student(learner)
            stamp = _timestamp(grading / "submitted" / learner / assignment)
            submission = gradebook.update_or_create_submission(
                assignment, learner, **({"timestamp": stamp} if stamp else {}))
            for notebook in submission.notebooks:
                notebook.flagged = True
                for grade in notebook.grades:
                    grade.auto_score, grade.manual_score, grade.needs_manual_grade = 0.0, None, False
            gradebook.db.commit()
            # Nothing of an earlier run may speak for this submission any more.
            shutil.rmtree(grading / "autograded" / learner / assignment, ignore_errors=True)
            (grading / "integrity" / assignment / f"{learner}.json").unlink(missing_ok=True)
            (grading / "integrity" / assignment / f"{learner}.metadata.json").unlink(missing_ok=True)
            write_findings(str(course / INTEGRITY_DIR), {"assignment": assignment, "student": learner}, "intake",
                           [{"cell": WHOLE, "problem": f"{reason}; 0 points"}])
