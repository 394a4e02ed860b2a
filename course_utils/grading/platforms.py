"""Whose hand-in is this? Learners read from the names that folders and platforms give files.

Layouts recognised (``--from`` forces one; by default each file is tried in this order):

- ``pattern``: a regular expression set in ``nbgrader_config.py``,
  ``c.CollectLayout.pattern = r"..."`` (as nbgrader's FileNameCollectorPlugin), matched
  against each file's path inside the hand-in; it names the learner with a group
  ``(?P<student_id>...)`` (or ``learner``), and may give ``platform_id`` and ``late``;
- ``moodle``: "Download all submissions", in folders
  (``Ann Lee_1003_assignsubmission_file_/01_loss.ipynb``) or flat
  (``Ann Lee_1003_assignsubmission_file_01_loss.ipynb``);
- ``canvas``: the bulk download, flat ``leeann_[LATE_]1003_56789_01_loss.ipynb``
  (login name, LATE_ if late, user id, file id, the learner's own file name);
- ``folders``: one folder per learner, ``alice/.../01_loss.ipynb`` (one wrapping folder
  around all the learners' folders is looked through).

A platform's noise (``_1003_assignsubmission_file_``) never becomes part of a learner's
name; its user id is kept as ``platform_id``.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from traitlets import Enum, Integer, Unicode
from traitlets.config import Configurable

LAYOUTS = ("auto", "pattern", "moodle", "canvas", "folders")
MOODLE = re.compile(r"^(?P<name>.+?)_(?P<id>\d+)_assign(?:submission|feedback)_(?P<plugin>[a-z]+)_(?P<rest>.*)$")
CANVAS = re.compile(r"^(?P<name>[^_/]+?)_(?P<late>LATE_)?(?P<id>\d+)_(?P<file>\d+)_(?P<rest>.+)$")


class CollectLayout(Configurable):
    """How ``course.py grade collect`` reads a hand-in (set in nbgrader_config.py)."""

    layout = Enum(LAYOUTS, "auto", help="which layout to read; auto tries each file against all").tag(config=True)
    pattern = Unicode("", help="regular expression on a file's path in the hand-in, with a group "
                               "student_id (or learner), optionally platform_id and late").tag(config=True)
    max_files = Integer(20_000, help="regular files read from one hand-in at most").tag(config=True)
    max_bytes = Integer(1_000_000_000, help="bytes read from one hand-in at most").tag(config=True)
    max_file_bytes = Integer(100_000_000, help="bytes of one file at most").tag(config=True)


@dataclass(frozen=True)
class Identity:
    name: str              # readable, as the platform spells it (NFC): "Łukasz Wiśniewski"
    platform: str          # "canvas", "moodle", "folders", "pattern"
    platform_id: str = ""  # the platform's user id, when it gives one
    late: bool = False     # the platform marked the hand-in late
    order: int = 0         # the platform's own order of hand-ins (Canvas file ids grow)

    @property
    def person(self) -> tuple[str, str]:
        """Who this is, for telling people apart: the platform id when there is one."""
        return (self.platform, self.platform_id or self.name.casefold())


def learner_id(name: str) -> str:
    """A folder-safe id that keeps every letter: ``"Zoë O'Brien" -> "Zoë_O_Brien"``, ``"李雷" -> "李雷"``.

    Letters, marks and digits of any script stay (NFC); spaces and punctuation become ``_``.
    """
    name = unicodedata.normalize("NFC", name)
    kept = "".join(ch if unicodedata.category(ch)[0] in "LMN" or ch in "-." else "_" for ch in name)
    kept = re.sub(r"_+", "_", kept).strip("_.-")
    return kept or "learner"


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def from_pattern(parts: tuple[str, ...], pattern: re.Pattern) -> Identity | None:
    match = pattern.search("/".join(parts))
    if not match:
        return None
    groups = match.groupdict()
    name = groups.get("student_id") or groups.get("learner")
    if not name:
        return None
    return Identity(_nfc(name), "pattern", groups.get("platform_id") or "", bool(groups.get("late")))


def from_moodle(parts: tuple[str, ...]) -> Identity | None:
    for part in parts:
        match = MOODLE.match(part)
        if match:
            return Identity(_nfc(match["name"].strip()), "moodle", match["id"])
    return None


def from_canvas(parts: tuple[str, ...], top: str | None) -> Identity | None:
    # Canvas exports flat files: the name is the first part (after the one folder the
    # export may have been unzipped into); deeper, it is a learner's own file name.
    if top and len(parts) > 1 and parts[0] == top:
        parts = parts[1:]
    match = CANVAS.match(parts[0])
    if match:
        return Identity(_nfc(match["name"]), "canvas", match["id"], bool(match["late"]), int(match["file"]))
    return None


def from_folders(parts: tuple[str, ...], wrapper: str | None) -> Identity | None:
    if wrapper and len(parts) > 2 and parts[0] == wrapper:
        parts = parts[1:]
    if len(parts) < 2:
        return None
    return Identity(_nfc(parts[0]).strip(), "folders")


def common_top(all_parts: list[tuple[str, ...]]) -> str | None:
    """The folder every file of the hand-in lies in, if there is one."""
    tops = {p[0] if len(p) > 1 else None for p in all_parts}
    return next(iter(tops)) if len(tops) == 1 else None


def wrapping_folder(all_parts: list[tuple[str, ...]]) -> str | None:
    """The one folder that holds every learner's folder (``class/alice/...``), if there is one."""
    tops = {p[0] for p in all_parts if len(p) > 1}
    if len(tops) != 1 or any(len(p) < 3 for p in all_parts):
        return None
    return next(iter(tops)) if len({p[1] for p in all_parts}) > 1 else None


def recogniser(settings: CollectLayout, layout: str | None, all_parts: list[tuple[str, ...]]):
    """A function parts -> (Identity | None) for the layout asked for (or every one in turn)."""
    layout = layout or settings.layout
    pattern = re.compile(settings.pattern) if settings.pattern else None
    if layout == "pattern" and pattern is None:
        raise ValueError("--from pattern needs c.CollectLayout.pattern in nbgrader_config.py")
    wrapper, top = wrapping_folder(all_parts), common_top(all_parts)
    # A Canvas export unzipped into one folder: several Canvas user ids just below it
    # (one learner's folder of their own files is no such thing).
    below = {m["id"] for p in all_parts if len(p) == 2 and (m := CANVAS.match(p[1]))}
    top = top if len(below) >= 2 else None
    order = {"pattern": [lambda p: from_pattern(p, pattern)] if pattern else [],
             "moodle": [from_moodle], "canvas": [lambda p: from_canvas(p, top)],
             "folders": [lambda p: from_folders(p, wrapper)]}
    chosen = [f for name in LAYOUTS[1:] if layout in ("auto", name) for f in order[name]]

    def recognise(parts: tuple[str, ...]) -> Identity | None:
        for attempt in chosen:
            identity = attempt(parts)
            if identity is not None:
                return identity
        return None

    return recognise


def settings_from(course: Path) -> CollectLayout:
    """The course's CollectLayout, as ``nbgrader_config.py`` in ``course`` configures it."""
    from traitlets.config.loader import PyFileConfigLoader

    config_file = Path(course) / "nbgrader_config.py"
    if not config_file.exists():
        return CollectLayout()
    config = PyFileConfigLoader(config_file.name, path=str(config_file.parent)).load_config()
    return CollectLayout(config=config)
