"""Files we trust: a cache folder, pinned SHA-256 digests, downloads from several mirrors.

Contract: a file is used only when its SHA-256 matches the pinned digest. A cached
file that does not match is deleted (and reported in one sentence); a download that
does not match never reaches its final name, because pooch streams it to a temporary
file in the cache folder and moves it into place only after the digest matched. When
a mirror fails or serves a wrong file the next one is tried.

Environment
-----------
COURSE_DATA_DIR  moves the cache folder (default: the user's cache, e.g. ~/.cache/learning-from-mistakes).
COURSE_OFFLINE   set to 1 to never touch the network (tests and grading set it).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Sequence
from urllib.parse import urlsplit

from course_utils.data.idx import DataFileError, sha256_of

ENV_DATA_DIR = "COURSE_DATA_DIR"
ENV_OFFLINE = "COURSE_OFFLINE"
APP_NAME = "learning-from-mistakes"
# Seconds to wait for a mirror to answer at all, then for each chunk: short enough that
# a machine without a network falls back to the offline data at once.
CONNECT_TIMEOUT, READ_TIMEOUT = 5, 30

Say = Callable[[str], None]


class DownloadFailed(OSError):
    """No mirror delivered a file with the pinned digest."""


def cache_dir(folder=None) -> Path:
    """The cache folder: ``folder``, else ``$COURSE_DATA_DIR``, else the user's cache folder."""
    if folder is None:
        folder = os.environ.get(ENV_DATA_DIR)
    if not folder:
        import pooch

        folder = pooch.os_cache(APP_NAME)
    path = Path(folder).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def offline() -> bool:
    """True when ``$COURSE_OFFLINE`` asks us not to use the network."""
    return os.environ.get(ENV_OFFLINE, "").strip().lower() not in ("", "0", "false", "no")


def verified_cached(path: Path, sha256: str, say: Say = print) -> Path | None:
    """``path`` if it exists with the pinned digest; a damaged copy is deleted and reported."""
    if not path.exists():
        return None
    if sha256_of(path) == sha256:
        return path
    path.unlink()
    say(f"The cached file {path.name} was damaged or incomplete (its SHA-256 does not match), "
        f"so it was deleted and will be fetched again.")
    return None


def fetch(name: str, sha256: str, mirrors: Sequence[str], folder: Path, say: Say = print) -> Path:
    """Return ``folder/name`` with the pinned digest, downloading it from the first mirror that works.

    Raises
    ------
    DownloadFailed
        When every mirror failed or served a wrong file; the message lists what happened.
    """
    path = verified_cached(folder / name, sha256, say)
    if path is not None:
        return path
    import pooch
    import requests

    pooch.get_logger().setLevel("WARNING")
    downloader = pooch.HTTPDownloader(progressbar=False, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT))
    problems = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + name
        host = urlsplit(url).netloc or url
        try:
            return Path(pooch.retrieve(url, known_hash=f"sha256:{sha256}", fname=name, path=folder,
                                       downloader=downloader))
        except ValueError:
            # pooch has already deleted the temporary file: nothing wrong reaches the cache.
            say(f"{host} served a copy of {name} that does not match its pinned SHA-256; "
                f"it was discarded and the next mirror is tried.")
            problems.append(f"{host}: wrong file")
        except (requests.exceptions.RequestException, OSError) as error:
            problems.append(f"{host}: {type(error).__name__}")
    raise DownloadFailed(f"no mirror delivered {name} ({'; '.join(problems) or 'no mirrors'})")


def verified_local(path: Path, sha256: str) -> Path:
    """A file that is not ours to delete (e.g. installed by a system package): check it or refuse it."""
    if not path.exists():
        raise DataFileError(f"{path} does not exist.")
    if sha256_of(path) != sha256:
        raise DataFileError(f"{path} does not match its pinned SHA-256 (damaged or a different version), "
                            f"so it was not used; reinstall the package that provides it.")
    return path
