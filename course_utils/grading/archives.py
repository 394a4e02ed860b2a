"""Untrusted hand-ins, staged safely: regular files only, from a folder or a (nested) zip.

:func:`stage` reads a folder or a ``.zip`` and copies every regular file it holds into a
private staging folder under a numbered name (``0``, ``1``, ...), so no name from an
archive ever becomes a path on this machine. A zip found inside (a learner who zipped
their folder, a platform that zips each hand-in) is opened in turn, up to
:attr:`Limits.depth` levels. Refused, each with its reason:

- paths that are absolute or climb out (``/etc/x``, ``C:\\x``, ``../x``);
- symbolic links (in a folder, or a zip entry whose mode bits say link) and hard links:
  never followed, so a "submission" that points at the course's solutions gives nothing;
- encrypted entries, and anything past the limits on file count, total bytes and bytes
  per file (counted while decompressing, not trusted from the zip's header).
"""
from __future__ import annotations

import io
import os
import stat
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath


@dataclass
class Limits:
    files: int = 20_000                  # regular files staged in all, archives included
    total_bytes: int = 1_000_000_000     # bytes staged in all
    file_bytes: int = 100_000_000        # bytes of one file (a notebook with its outputs)
    depth: int = 3                       # zips inside zips


@dataclass
class StagedFile:
    parts: tuple[str, ...]   # where it was, relative to the source: ("alice", "work.zip", "01_loss.ipynb")
    path: Path               # its bytes, in the staging folder
    mtime: float             # seconds since the epoch (zip entry times are read as UTC)

    @property
    def shown(self) -> str:
        return "/".join(self.parts)


@dataclass
class Staging:
    folder: Path
    limits: Limits = field(default_factory=Limits)
    files: list[StagedFile] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (shown path, why)
    # Files a learner handed in that are refused (a link, too large): (parts, why). Their
    # learner still gets a row, with 0 and the reason.
    refused: list[tuple[tuple[str, ...], str]] = field(default_factory=list)
    total: int = 0

    def skip(self, parts, why: str, refused: bool = False) -> None:
        if refused:
            self.refused.append((tuple(parts), why))
        else:
            self.skipped.append(("/".join(parts), why))

    def room_for(self, parts, size: int) -> bool:
        if len(self.files) >= self.limits.files:
            self.skip(parts, f"more than {self.limits.files} files in the hand-in: the rest is not read")
            return False
        if size > self.limits.file_bytes:
            self.skip(parts, f"larger than {self.limits.file_bytes:,} bytes: refused", refused=True)
            return False
        if self.total + size > self.limits.total_bytes:
            self.skip(parts, f"the hand-in exceeds {self.limits.total_bytes:,} bytes in all: the rest is not read")
            return False
        return True

    def add(self, parts, data: bytes, mtime: float, depth: int) -> None:
        if parts[-1].lower().endswith(".zip") and depth < self.limits.depth:
            self.total += len(data)
            self.open_zip(io.BytesIO(data), parts, depth + 1)
            return
        if parts[-1].lower().endswith(".zip"):
            self.skip(parts, f"a zip nested more than {self.limits.depth} levels deep")
            return
        path = self.folder / str(len(self.files))
        path.write_bytes(data)
        self.total += len(data)
        self.files.append(StagedFile(tuple(parts), path, mtime))

    def open_zip(self, handle, parts: tuple[str, ...], depth: int) -> None:
        try:
            archive = zipfile.ZipFile(handle)
        except (zipfile.BadZipFile, OSError, ValueError) as error:
            self.skip(parts, f"a damaged zip ({error})")
            return
        with archive:
            for info in archive.infolist():
                self.zip_entry(archive, info, parts, depth)

    def zip_entry(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, outer: tuple[str, ...], depth: int):
        name = info.filename.replace("\\", "/")
        inner = tuple(unicodedata.normalize("NFC", p) for p in PurePosixPath(name).parts if p not in ("", "."))
        parts = (*outer, *inner) if inner else (*outer, name)
        if name.startswith("/") or (len(name) > 1 and name[1] == ":") or ".." in inner:
            self.skip(parts, "an absolute or climbing path in the archive: refused")
            return
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            self.skip(parts, "a symbolic link in the archive: never followed", refused=True)
            return
        if info.is_dir() or stat.S_IFMT(mode) not in (0, stat.S_IFREG):
            return  # folders (and fifos, devices) carry no hand-in
        if info.flag_bits & 0x1:
            self.skip(parts, "an encrypted entry in the archive", refused=True)
            return
        if not self.room_for(parts, info.file_size):
            return
        try:
            data = _read_at_most(archive.open(info), self.limits.file_bytes)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as error:
            self.skip(parts, f"cannot be read from the archive ({error})", refused=True)
            return
        if data is None:
            self.skip(parts, f"decompresses to more than {self.limits.file_bytes:,} bytes: refused", refused=True)
            return
        if not self.room_for(parts, len(data)):
            return
        mtime = datetime(*info.date_time, tzinfo=timezone.utc).timestamp()
        self.add(parts, data, mtime, depth)

    def walk_folder(self, root: Path) -> None:
        for here, folders, files in os.walk(root, followlinks=False):
            relative = Path(here).relative_to(root).parts
            for name in sorted(folders):
                if (Path(here) / name).is_symlink():
                    self.skip((*relative, name), "a symbolic link to a folder: never followed")
            folders[:] = sorted(f for f in folders if not (Path(here) / f).is_symlink())
            for name in sorted(files):
                parts = tuple(unicodedata.normalize("NFC", p) for p in (*relative, name))
                self.folder_file(Path(here) / name, parts)

    def folder_file(self, path: Path, parts: tuple[str, ...]) -> None:
        try:
            # O_NOFOLLOW: a link swapped in after the listing still is not followed.
            descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            self.skip(parts, "a symbolic link: never followed" if path.is_symlink() else "cannot be opened",
                      refused=True)
            return
        with os.fdopen(descriptor, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                self.skip(parts, "not a regular file", refused=True)
                return
            if info.st_nlink > 1:
                self.skip(parts, "a hard link (its bytes belong to another file too): never followed", refused=True)
                return
            if not self.room_for(parts, info.st_size):
                return
            data = _read_at_most(handle, self.limits.file_bytes)
        if data is None or not self.room_for(parts, len(data)):
            return
        self.add(parts, data, info.st_mtime, depth=0)


def _read_at_most(handle, limit: int) -> bytes | None:
    """All of ``handle``'s bytes, or None when there are more than ``limit``."""
    chunks, size = [], 0
    with handle:
        while chunk := handle.read(1 << 20):
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
    return b"".join(chunks)


def stage(source: Path, folder: Path, limits: Limits | None = None) -> Staging:
    """Copy the regular files of ``source`` (a folder or a .zip) into ``folder``; see the module."""
    staging = Staging(Path(folder), limits or Limits())
    source = Path(source)
    if source.is_dir():
        staging.walk_folder(source)
    elif not zipfile.is_zipfile(source):
        staging.skip((source.name,), "the hand-in is neither a folder nor a zip")
    else:
        with open(source, "rb") as handle:
            staging.open_zip(handle, (), depth=1)
    return staging
