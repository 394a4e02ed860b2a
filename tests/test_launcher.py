"""The README's "open the course" command: a learner's work is never overwritten."""
import os
import re
import subprocess
import sys

import pytest
from pathlib import Path

from nbgrader_course import ROOT

sys.path.insert(0, str(ROOT))
from course import sync_workspace  # noqa: E402


def _release(tmp_path):
    release = tmp_path / "release"
    (release / "01_a").mkdir(parents=True)
    (release / "01_a" / "01_a.ipynb").write_text("original 1")
    return release


def test_first_sync_copies_every_notebook(tmp_path):
    release = _release(tmp_path)
    added = sync_workspace(release, tmp_path / "ws")
    assert [str(p) for p in added] == ["01_a/01_a.ipynb"]
    assert (tmp_path / "ws" / "01_a" / "01_a.ipynb").read_text() == "original 1"


def test_second_sync_keeps_the_learners_edit_and_adds_only_new_notebooks(tmp_path):
    release = _release(tmp_path)
    workspace = tmp_path / "ws"
    sync_workspace(release, workspace)
    (workspace / "01_a" / "01_a.ipynb").write_bytes(b"my work \x00\xff")
    (release / "01_a" / "01_a.ipynb").write_text("a newer release")
    (release / "02_b").mkdir()
    (release / "02_b" / "02_b.ipynb").write_text("new notebook")
    added = sync_workspace(release, workspace)
    assert [str(p) for p in added] == ["02_b/02_b.ipynb"]
    assert (workspace / "01_a" / "01_a.ipynb").read_bytes() == b"my work \x00\xff"


def test_a_deleted_notebook_comes_back_but_nothing_else_is_touched(tmp_path):
    release = _release(tmp_path)
    workspace = tmp_path / "ws"
    sync_workspace(release, workspace)
    (workspace / "notes.txt").write_text("mine")
    (workspace / "01_a" / "01_a.ipynb").unlink()
    assert [str(p) for p in sync_workspace(release, workspace)] == ["01_a/01_a.ipynb"]
    assert (workspace / "notes.txt").read_text() == "mine"


@pytest.mark.slow
def test_open_command_twice_keeps_an_edited_notebook_byte_for_byte(tmp_path):
    """Runs `python3 course.py open` for real, with jupyter lab asked only for its version."""
    env = dict(os.environ, COURSE_WORKSPACE=str(tmp_path / "ws"), COURSE_VENV=sys.prefix)
    def launch():
        return subprocess.run([sys.executable, str(ROOT / "course.py"), "open", "--version"],
                              env=env, capture_output=True, text=True, timeout=300)
    first = launch()
    assert first.returncode == 0, first.stderr
    assert "your workspace is" in first.stdout
    notebook = tmp_path / "ws" / "01_loss" / "01_loss.ipynb"
    # The release copy, with the kernel's Python version in language_info (so it opens unmodified).
    from course_utils.selfpaced.workspace import placed_bytes
    assert notebook.read_bytes() == placed_bytes(ROOT / "notebooks" / "01_loss" / "01_loss.ipynb")
    edited = notebook.read_bytes().replace(b"raise NotImplementedError()", b"return (y - y_hat) ** 2", 1)
    notebook.write_bytes(edited)
    second = launch()
    assert second.returncode == 0, second.stderr
    assert "left as they are" in second.stdout
    assert notebook.read_bytes() == edited


@pytest.mark.slow
def test_open_hides_the_instructor_tools_from_learners(tmp_path):
    import json
    import course
    env = dict(os.environ, COURSE_WORKSPACE=str(tmp_path / "ws"), COURSE_VENV=sys.prefix)
    # An instructor turned the tools on in this environment; a learner's launch hides them again.
    subprocess.run([sys.executable, str(ROOT / "course.py"), "instructor", "on"], env=env,
                   capture_output=True, check=True, timeout=300)
    assert not course.instructor_tools_hidden()
    subprocess.run([sys.executable, str(ROOT / "course.py"), "open", "--version"], env=env,
                   capture_output=True, check=True, timeout=300)
    assert course.instructor_tools_hidden()
    page_config = json.loads((Path(sys.prefix) / "etc/jupyter/labconfig/page_config.json").read_text())
    disabled = page_config.get("disabledExtensions", {})
    assert disabled.get("@jupyter/nbgrader:formgrader") and disabled.get("@jupyter/nbgrader:create-assignment")
    listing = subprocess.run([sys.executable, "-m", "jupyter", "server", "extension", "list"],
                             capture_output=True, text=True)
    listing = listing.stdout + listing.stderr
    assert re.search(r"nbgrader.server_extensions.formgrader\S*\s+\S*disabled", listing), listing
