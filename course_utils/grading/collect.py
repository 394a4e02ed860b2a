"""``grade collect``: a class's hand-ins, from any layout, into nbgrader's ``submitted/<learner>/<assignment>/``.

The stages, one module each:

1. :mod:`archives` stages the hand-in (folder, zip, zips inside it) safely: regular files only;
2. :mod:`platforms` reads whose each file is (folders, Canvas, Moodle, a configured pattern);
3. :mod:`identify` reads each notebook (repairing what editors do) and decides its
   assignment by content;
4. here: per learner and assignment the best candidate is chosen (recognised by content
   before by name, readable before unreadable, then the newest), placed with its
   ``timestamp.txt``, and every other one is kept in ``grading/replaced/``; an older
   hand-in never replaces a newer submission already collected.

An unreadable file whose assignment is still known (from its name, or because the
hand-in holds one assignment only) is collected as it is: ``grade autograde`` gives it a
row with 0 and the reason. :func:`collect` returns a :class:`CollectReport` whose
:meth:`~CollectReport.lines` end with ``collect: N learners, K files skipped`` and the
skipped files, each with its reason.
"""
from __future__ import annotations

import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import nbformat

from course_utils.grading.archives import Limits, StagedFile, stage
from course_utils.grading.identify import Fingerprint, Reading, fingerprints, identify, read_submission
from course_utils.grading.learners import Roster
from course_utils.grading.platforms import CollectLayout, Identity, learner_id, recogniser, settings_from

STAMP = "%Y-%m-%d %H:%M:%S UTC"
REFUSED = "collect-refused.txt"  # in place of a notebook that was refused: why (autograde reads it)
# How sure we are which assignment a file is, best first.
BY_CONTENT, BY_NAME, BY_HAND_IN = 0, 1, 2
HOW = {BY_CONTENT: "", BY_NAME: " (recognised by its name only)",
       BY_HAND_IN: " (the hand-in's only assignment)"}


@dataclass
class Candidate:
    staged: StagedFile
    who: Identity
    reading: Reading
    target: Fingerprint
    how: int

    def rank(self):
        return (-self.how, self.reading.readable, self.staged.mtime, self.who.order, self.staged.shown)

    def payload(self) -> bytes | None:
        """What goes into submitted/: the repaired notebook, or the unreadable bytes as they were
        (autograde says why they cannot be graded); None for a file that was refused (a link)."""
        if self.reading.readable:
            return nbformat.writes(self.reading.notebook).encode("utf-8")
        return self.staged.path.read_bytes() if self.staged.path else None


@dataclass
class CollectReport:
    collected: list[tuple[str, str, str]] = field(default_factory=list)  # (learner, assignment, line)
    notes: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    learners: set[str] = field(default_factory=set)

    @property
    def pairs(self) -> list[tuple[str, str]]:
        return [(learner, assignment) for learner, assignment, _ in self.collected]

    def lines(self) -> list[str]:
        out = [line for _, _, line in self.collected] + self.notes
        out.append(f"collect: {len(self.learners)} learners, {len(self.skipped)} files skipped")
        out += [f"  skipped {shown}: {why}" for shown, why in self.skipped]
        return out


def _noise(parts: tuple[str, ...]) -> str | None:
    if "__MACOSX" in parts or parts[-1].startswith("._"):
        return "macOS archive metadata, not a hand-in"
    if ".ipynb_checkpoints" in parts:
        return "Jupyter's autosave copy (.ipynb_checkpoints), not the saved notebook"
    if not parts[-1].lower().endswith(".ipynb"):
        return f"not a notebook ({Path(parts[-1]).suffix or 'no extension'})"
    return None


def by_name(filename: str, prints: list[Fingerprint]) -> Fingerprint | None:
    """The assignment notebook whose name the file name contains (``Copy of 01_loss (2).ipynb``)."""
    plain = re.sub(r"[\s\-]+", "_", filename.lower())
    named = [p for p in prints if p.notebook.lower() in plain]
    return max(named, key=lambda p: len(p.notebook)) if named else None


def _stamp(seconds: float) -> str:
    return time.strftime(STAMP, time.gmtime(seconds))


def _existing_time(folder: Path) -> float | None:
    try:
        text = (folder / "timestamp.txt").read_text().strip().removesuffix(" UTC")
        return datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()
    except (OSError, ValueError):
        return None


def _aside(replaced: Path, seconds: float | None, name: str) -> Path:
    """A fresh folder in grading/replaced/<learner>/<assignment>/ for a submission not (or no longer) graded."""
    when = time.strftime("%Y%m%dT%H%M%S", time.gmtime(seconds)) if seconds else "undated"
    base = replaced / f"{when}_{learner_id(name)}"
    folder, n = base, 1
    while folder.exists():
        n += 1
        folder = base.with_name(f"{base.name}_{n}")
    folder.mkdir(parents=True)
    return folder


def collect(source: Path, submitted_dir: Path, assignments: list[str], course: Path | None = None,
            layout: str | None = None, settings: CollectLayout | None = None) -> CollectReport:
    """Collect ``source`` (folder or zip) into ``submitted_dir``; see the module. ``course``: where
    ``solutions/``, ``notebooks/`` and ``nbgrader_config.py`` are (default: submitted_dir's grandparent)."""
    submitted_dir = Path(submitted_dir)
    grading = submitted_dir.parent
    course = Path(course) if course else grading.parent
    settings = settings or settings_from(course)
    limits = Limits(settings.max_files, settings.max_bytes, settings.max_file_bytes)
    every = sorted(path.parent.name for path in (course / "solutions").glob("*/*.ipynb"))
    prints = fingerprints(course, sorted(set(every) | set(assignments)))
    report = CollectReport()
    with tempfile.TemporaryDirectory() as staging_dir:
        staging = stage(Path(source), Path(staging_dir), limits)
        report.skipped += staging.skipped
        files = [f for f in staging.files if not _noted_as_noise(f.parts, report)]
        refused = [(parts, why) for parts, why in staging.refused if not _noted_as_noise(parts, report)]
        recognise = recogniser(settings, layout, [f.parts for f in files] + [parts for parts, _ in refused])
        readings = [(f, read_submission(f.path.read_bytes())) for f in files]
        readings += [(StagedFile(parts, None, 0.0), Reading(None, why)) for parts, why in refused]
        candidates = _candidates(readings, recognise, prints, set(assignments), report)
        _place(candidates, submitted_dir, grading, report)
    return report


def _noted_as_noise(parts: tuple[str, ...], report: CollectReport) -> bool:
    why = _noise(parts)
    if why:
        report.skipped.append(("/".join(parts), why))
    return bool(why)


def _candidates(readings, recognise, prints, wanted: set[str], report: CollectReport) -> list[Candidate]:
    """Every file that is a learner's hand-in of a wanted assignment, with how sure we are of it."""
    candidates, unplaced = [], []
    for staged, reading in readings:
        who = recognise(staged.parts)
        if who is None:
            report.skipped.append((staged.shown, "cannot tell whose it is (no learner folder, no platform name)"))
            continue
        target = identify(reading.notebook, prints) if reading.readable else None
        if target is not None and target.assignment in wanted:
            candidates.append(Candidate(staged, who, reading, target, BY_CONTENT))
        elif target is None and (target := by_name(staged.parts[-1], [p for p in prints if p.assignment in wanted])):
            candidates.append(Candidate(staged, who, reading, target, BY_NAME))
        else:
            why = (f"{target.assignment}'s notebook, not among the assignments collected" if target else
                   reading.reason or "shares no grade id or cell with any of the course's assignments")
            unplaced.append((staged, who, reading, why))
    # A hand-in of one assignment (a platform exports one at a time): a learner's file that is
    # not recognised is still their hand-in of it, unless they handed in a recognised one too.
    only = {c.target.assignment for c in candidates} or wanted
    has = {(c.who.person, c.target.assignment) for c in candidates}
    for staged, who, reading, why in unplaced:
        target = next((p for p in prints if p.assignment in only), None) if len(only) == 1 else None
        if target is not None and (who.person, target.assignment) not in has:
            candidates.append(Candidate(staged, who, reading, target, BY_HAND_IN))
        else:
            report.skipped.append((staged.shown, f"not recognised as an assignment: {why}"))
    return candidates


def _place(candidates: list[Candidate], submitted_dir: Path, grading: Path, report: CollectReport) -> None:
    """Group the candidates per learner and assignment notebook, and place the best of each group."""
    roster = Roster(grading / "learners.csv", submitted_dir)
    groups: dict[tuple, list[Candidate]] = {}
    ids: dict[tuple, str] = {}
    for candidate in sorted(candidates, key=lambda c: c.staged.shown):
        person = candidate.who.person
        if person not in ids:
            ids[person], note = roster.id_for(candidate.who)
            if note:
                report.notes.append(f"kept apart: {note}")
        key = (ids[person], candidate.target.assignment, candidate.target.notebook)
        groups.setdefault(key, []).append(candidate)
    for (learner, assignment, notebook), group in sorted(groups.items()):
        group.sort(key=Candidate.rank, reverse=True)
        report.learners.add(learner)
        folder = submitted_dir / learner / assignment
        kept = _keeps_what_is_there(folder, group[0])
        if kept:
            report.skipped += [(c.staged.shown, f"{kept} {learner} / {assignment} already collected: not replacing it")
                               for c in group]
            continue
        line = _write_submission(folder, notebook, group[0], grading / "replaced" / learner / assignment)
        if len(group) > 1:
            line += (f"; took the newest of {len(group)} ({_stamp(group[0].staged.mtime)}), the others kept in "
                     f"{grading / 'replaced' / learner / assignment}: {', '.join(c.staged.shown for c in group[1:])}")
            for candidate in group[1:]:
                _keep_aside(candidate, grading / "replaced" / learner / assignment)
        report.collected.append((learner, assignment, f"collected {learner} / {assignment} <- {line}"))
    roster.save()


def _keeps_what_is_there(folder: Path, best: Candidate) -> str:
    """Why the submission already in ``folder`` stays ("older than", ...), or "" to replace it."""
    if not folder.exists():
        return ""
    existing = _existing_time(folder)
    if existing is not None and existing > best.staged.mtime:
        return f"older ({_stamp(best.staged.mtime)}) than"
    gradable = any(read_submission(p.read_bytes()).readable for p in folder.glob("*.ipynb"))
    if gradable and not best.reading.readable:
        return f"cannot be graded ({best.reading.reason}), unlike"
    payload = best.payload()
    if existing is not None and int(existing) == int(best.staged.mtime) and payload is not None and \
            any(p.read_bytes() == payload for p in folder.glob("*.ipynb")):
        return "the same as"
    return ""


def _write_submission(folder: Path, notebook: str, best: Candidate, replaced: Path) -> str:
    """Put ``best`` in ``folder`` (moving what was there to ``replaced``); the line that says so."""
    line = f"{best.staged.shown}{HOW[best.how]}"
    if folder.exists():
        aside = _aside(replaced, _existing_time(folder), "submitted")
        shutil.move(str(folder), str(aside / folder.name))
        line += f"; the earlier submission is kept in {aside}"
    folder.mkdir(parents=True)
    payload = best.payload()
    target = folder / (f"{notebook}.ipynb" if payload is not None else REFUSED)
    partial = target.with_name(target.name + ".partial")
    partial.write_bytes(payload if payload is not None else best.reading.reason.encode())
    partial.replace(target)
    (folder / "timestamp.txt").write_text(_stamp(best.staged.mtime))
    if best.who.late:
        line += " (marked late by the platform)"
    if best.reading.repairs:
        line += f" [{'; '.join(best.reading.repairs)}]"
    if not best.reading.readable:
        line += f" [cannot be graded: {best.reading.reason}; autograde gives it 0 with that reason]"
    return line


def _keep_aside(candidate: Candidate, replaced: Path) -> None:
    """A candidate that lost to a newer one, kept as it was handed in."""
    aside = _aside(replaced, candidate.staged.mtime, candidate.staged.parts[-1])
    kept = aside / learner_id(candidate.staged.parts[-1])
    if candidate.staged.path:
        shutil.copyfile(candidate.staged.path, kept)
    else:
        kept.with_name(kept.name + ".refused.txt").write_text(candidate.reading.reason)
