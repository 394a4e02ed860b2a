"""The class list collect keeps in ``grading/learners.csv``: one row per person, never two merged.

Columns: ``id`` (the folder and gradebook id, see :func:`platforms.learner_id`), ``name``
(as the platform spells it), ``platform``, ``platform_id``. A person is the same person
again when the same platform gives the same user id (or, without ids, the same name);
two people whose names make the same id are kept apart: the newcomer's id gets the
platform id (``Ann_Lee_1004``) or a number, and :meth:`Roster.id_for` says so.
"""
from __future__ import annotations

import csv
from pathlib import Path

from course_utils.grading.platforms import Identity, learner_id

COLUMNS = ("id", "name", "platform", "platform_id")


class Roster:
    def __init__(self, path: Path, submitted: Path | None = None):
        self.path = Path(path)
        self.rows: list[dict] = []
        if self.path.exists():
            with open(self.path, newline="", encoding="utf-8") as handle:
                self.rows = [dict(row) for row in csv.DictReader(handle)]
        known = {row["id"] for row in self.rows}
        # Learners collected before this list existed (or by hand): people of their own.
        for folder in sorted(Path(submitted).iterdir()) if submitted and Path(submitted).is_dir() else []:
            if folder.is_dir() and folder.name not in known:
                self.rows.append({"id": folder.name, "name": folder.name, "platform": "folders", "platform_id": ""})

    def _person(self, row: dict) -> tuple[str, str]:
        return (row["platform"], row["platform_id"] or row["name"].casefold())

    def id_for(self, who: Identity) -> tuple[str, str | None]:
        """(the learner's id, a note when they had to be told apart from someone else)."""
        for row in self.rows:
            if self._person(row) == who.person:
                return row["id"], None
        wanted = learner_id(who.name)
        taken = {row["id"].casefold(): row for row in self.rows}
        note = None
        chosen = wanted
        if wanted.casefold() in taken:
            other = taken[wanted.casefold()]
            suffix = learner_id(who.platform_id) if who.platform_id else "2"
            chosen, n = f"{wanted}_{suffix}", 2
            while chosen.casefold() in taken:
                n += 1
                chosen = f"{wanted}_{suffix}_{n}" if who.platform_id else f"{wanted}_{n}"
            note = (f"two learners would both be {wanted!r}: {other['name']!r} ({other['platform']}"
                    f"{' ' + other['platform_id'] if other['platform_id'] else ''}) keeps it, "
                    f"{who.name!r} ({who.platform}{' ' + who.platform_id if who.platform_id else ''}) is {chosen!r}")
        self.rows.append({"id": chosen, "name": who.name, "platform": who.platform, "platform_id": who.platform_id})
        return chosen, note

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(self.path.name + ".partial")
        with open(partial, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(sorted(self.rows, key=lambda r: r["id"]))
        partial.replace(self.path)


def roster_columns(root: Path) -> dict[str, dict]:
    """learner id -> {"name", "platform", "platform_id"} from ``grading/learners.csv`` (for the CSV export)."""
    path = Path(root) / "grading" / "learners.csv"
    if not path.exists():
        return {}
    with open(path, newline="", encoding="utf-8") as handle:
        return {row["id"]: {k: row[k] for k in COLUMNS[1:]} for row in csv.DictReader(handle)}
