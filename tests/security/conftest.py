"""Fixtures of the security suite: one prepared copy of the course per session, cloned per graded class.

Every attack runs through ``python3 <copy>/course.py grade collect / autograde / feedback /
export`` on a copy with its own environment (``.venv`` copied and re-pointed), in an
instructor's environment that holds a secret the learner's code must never see.
"""
from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from classroom import SECRET_NAME  # noqa: E402
from harness import CourseCopy, prepare_template  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent.parent


def bubblewrap_missing() -> str | None:
    """Why confinement cannot be tested here, or None."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bubblewrap (bwrap) is not installed"
    probe = subprocess.run([bwrap, "--ro-bind", "/", "/", "--unshare-pid", "--unshare-net", "true"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        return f"bubblewrap cannot create namespaces here: {probe.stderr.strip()[:120]}"
    return None


def pytest_collection_modifyitems(config, items):
    reason = bubblewrap_missing()
    if reason is None:
        return
    for item in items:
        if "security" in item.nodeid.split("::")[0].split("/") and "needs_no_bwrap" not in item.keywords:
            item.add_marker(pytest.mark.skip(reason=f"security tests need bubblewrap: {reason}"))


@pytest.fixture(scope="session")
def secret() -> str:
    return "s3cret-" + secrets.token_hex(12)


@pytest.fixture(scope="session")
def instructor_env(secret, tmp_path_factory) -> dict:
    """A plain instructor's shell: system PATH (no developer venv), a home, and a secret."""
    home = tmp_path_factory.mktemp("instructor-home")
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
            "COURSE_NO_SYSTEM_PACKAGES": "1", SECRET_NAME: secret}


@pytest.fixture(scope="session")
def template(tmp_path_factory, instructor_env) -> CourseCopy:
    return prepare_template(ROOT, tmp_path_factory.mktemp("security") / "template", instructor_env)

