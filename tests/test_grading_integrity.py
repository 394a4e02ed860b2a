"""Integrity around grading: the environment's manifest, the gradebook's schema, and the refusals.

The manifest tests build a tiny fake environment (a course_utils tree, a site-packages
with a numpy, an nbgrader_config.py) in tmp_path and point the manifest at it; the one
test on a real copied environment is in test_grading_integrity_venv.py.
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from course_utils.grading import trust
from course_utils.grading.gradebook_schema import read_schema, reference_schema, schema_problems
from course_utils.grading.manifest import take, verify


@pytest.fixture
def fake_roots(tmp_path):
    """label -> path, as grading_roots gives them, over a small tree in tmp_path."""
    env = tmp_path / "env"
    files = {"course_utils/checks/loss.py": "def check_mse(f):\n    return True\n",
             "course_utils/__init__.py": "",
             "site-packages/numpy/__init__.py": "from numpy.core import *\n",
             "site-packages/numpy/core/__init__.py": "allclose = lambda a, b: abs(a - b) < 1e-8\n",
             "site-packages/numpy-2.0.dist-info/RECORD": "numpy/__init__.py,sha256=x,26\n",
             "site-packages/__editable__.course_utils.pth": "import __editable___finder\n",
             "course/nbgrader_config.py": "c = get_config()\n"}
    for name, text in files.items():
        (env / name).parent.mkdir(parents=True, exist_ok=True)
        (env / name).write_text(text)
    return {"course_utils": env / "course_utils", "site-packages": env / "site-packages",
            "nbgrader_config.py": env / "course" / "nbgrader_config.py",
            "absent-config": env / "home" / ".jupyter" / "nbgrader_config.py"}


def changes_of(roots, manifest):
    return [(key, what) for key, what, *_ in verify(manifest, roots)[0]]


def test_untouched_environment_passes(fake_roots):
    manifest = take(fake_roots)
    assert changes_of(fake_roots, manifest) == []
    assert "site-packages/numpy/core/__init__.py" in manifest["files"]


def test_edited_check_in_course_utils_is_caught(fake_roots):
    manifest = take(fake_roots)
    (fake_roots["course_utils"] / "checks" / "loss.py").write_text("def check_mse(f):\n    return 'full marks'\n")
    assert changes_of(fake_roots, manifest) == [("course_utils/checks/loss.py", "changed")]


def test_line_appended_to_numpy_is_caught_even_with_its_mtime_restored(fake_roots):
    manifest = take(fake_roots)
    target = fake_roots["site-packages"] / "numpy" / "core" / "__init__.py"
    before = target.stat()
    with open(target, "a") as handle:
        handle.write("import builtins; builtins.print = None\n")
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))  # the change time still moves
    assert changes_of(fake_roots, manifest) == [("site-packages/numpy/core/__init__.py", "changed")]


def test_same_size_rewrite_with_restored_mtime_is_caught(fake_roots):
    manifest = take(fake_roots)
    target = fake_roots["course_utils"] / "checks" / "loss.py"
    before = target.stat()
    target.write_text(target.read_text().replace("True", "Fals"))
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert target.stat().st_size == before.st_size
    assert changes_of(fake_roots, manifest) == [("course_utils/checks/loss.py", "changed")]


@pytest.mark.parametrize("name", ["zzz_payload.pth", "sitecustomize.py", "usercustomize.py", "numpy/_shadow.pyc"])
def test_unclaimed_new_file_in_site_packages_is_caught(fake_roots, name):
    manifest = take(fake_roots)
    (fake_roots["site-packages"] / name).write_text("import os\n")
    assert changes_of(fake_roots, manifest) == [(f"site-packages/{name}", "new")]


def test_edited_nbgrader_config_is_caught(fake_roots):
    manifest = take(fake_roots)
    with open(fake_roots["nbgrader_config.py"], "a") as handle:
        handle.write("c.Autograde.autograde_preprocessors = []\n")
    assert changes_of(fake_roots, manifest) == [("nbgrader_config.py", "changed")]


def test_a_config_file_that_appears_where_nbgrader_also_looks_is_caught(fake_roots):
    manifest = take(fake_roots)
    fake_roots["absent-config"].parent.mkdir(parents=True)
    fake_roots["absent-config"].write_text("c.Autograde.autograde_preprocessors = []\n")
    assert changes_of(fake_roots, manifest) == [("absent-config", "new")]


def test_removed_file_is_caught(fake_roots):
    manifest = take(fake_roots)
    (fake_roots["site-packages"] / "numpy" / "core" / "__init__.py").unlink()
    assert changes_of(fake_roots, manifest) == [("site-packages/numpy/core/__init__.py", "removed")]


def test_pycache_folders_are_not_part_of_the_manifest(fake_roots):
    # Grading reads compiled files only from its private PYTHONPYCACHEPREFIX (course.py grade).
    manifest = take(fake_roots)
    cache = fake_roots["site-packages"] / "numpy" / "__pycache__"
    cache.mkdir()
    (cache / "__init__.cpython-311.pyc").write_bytes(b"\x00" * 16)
    assert changes_of(fake_roots, manifest) == []


def test_a_copied_tree_is_re_read_once_then_takes_the_fast_path(fake_roots, tmp_path):
    manifest = take(fake_roots)
    copy = tmp_path / "copy"
    shutil.copytree(fake_roots["site-packages"].parent, copy)  # new inodes: every stat differs
    roots = {label: copy / path.relative_to(fake_roots["site-packages"].parent) for label, path in fake_roots.items()}
    changes, refreshed = verify(manifest, roots)
    assert changes == [] and refreshed
    assert verify(manifest, roots) == ([], False)


def test_taking_the_manifest_again_re_reads_only_what_changed(fake_roots):
    first = take(fake_roots)
    target = fake_roots["course_utils"] / "checks" / "loss.py"
    target.write_text("def check_mse(f):\n    return False\n")
    forged = {"files": {key: ["0" * 64, *entry[1:]] for key, entry in first["files"].items()}}
    again = take(fake_roots, previous=forged)  # digests are reused only where the stat is unchanged
    assert again["files"]["course_utils/checks/loss.py"] == take(fake_roots)["files"]["course_utils/checks/loss.py"]
    assert again["files"]["nbgrader_config.py"][0] == "0" * 64


def test_refusal_is_one_sentence_naming_the_file(fake_roots, tmp_path, monkeypatch, known_schema):
    course = tmp_path / "course"
    course.mkdir()
    monkeypatch.setattr(trust, "grading_roots", lambda course: fake_roots)
    trust.take_manifest(course)
    trust.check_all(course)  # nothing changed: no refusal
    with open(fake_roots["course_utils"] / "checks" / "loss.py", "a") as handle:
        handle.write("check_mse = lambda f: True\n")
    (fake_roots["site-packages"] / "evil.pth").write_text("import os\n")
    with pytest.raises(trust.Refused) as refusal:
        trust.check_all(course, "grading refused")
    message = str(refusal.value)
    assert message.startswith("grading refused: course_utils/checks/loss.py changed since the grading environment "
                              "was trusted (sha256 ")
    assert "and 1 other file differs too" in message and "python3 course.py grade trust" in message
    assert message.count(". ") == 0 and message.endswith(".") and "\n" not in message


def test_missing_manifest_is_a_refusal(tmp_path):
    with pytest.raises(trust.Refused, match=r"^export refused: the manifest of the grading environment .* does "
                                            r"not exist; take it with `python3 course.py grade release`"):
        trust.check_all(tmp_path, "export refused")


# ---- the gradebook's schema ------------------------------------------------------

@pytest.fixture(scope="module")
def nbgrader_gradebook(tmp_path_factory):
    """One gradebook made by nbgrader itself (each costs an `alembic` run, seconds on a busy machine)."""
    from nbgrader.api import Gradebook

    path = tmp_path_factory.mktemp("nbgrader") / "gradebook.db"
    with Gradebook(f"sqlite:///{path}") as book:
        book.add_assignment("01_loss")
        book.add_student("alice")
    return path


@pytest.fixture(scope="module")
def nbgrader_schema(nbgrader_gradebook):
    return read_schema(nbgrader_gradebook)


@pytest.fixture
def gradebook(tmp_path, nbgrader_gradebook):
    return Path(shutil.copy(nbgrader_gradebook, tmp_path / "gradebook.db"))


@pytest.fixture
def known_schema(monkeypatch, nbgrader_schema):
    """take_manifest records this schema instead of asking nbgrader for a new gradebook."""
    monkeypatch.setattr(trust, "reference_schema", lambda: nbgrader_schema)


def tamper(path, statement):
    connection = sqlite3.connect(path)
    connection.execute(statement)
    connection.commit()
    connection.close()


def test_nbgraders_own_gradebook_has_no_problem(gradebook, nbgrader_schema):
    assert schema_problems(gradebook, nbgrader_schema) == []
    assert ("trigger" not in {kind for kind, _ in nbgrader_schema}) and ("table", "grade") in nbgrader_schema
    assert schema_problems(gradebook.parent / "not-yet.db", nbgrader_schema) == []


@pytest.mark.parametrize("statement, problem", [
    ("CREATE TRIGGER boost AFTER UPDATE ON grade BEGIN UPDATE grade SET manual_score = 99; END",
     "it has a trigger 'boost' that nbgrader never creates"),
    ("CREATE VIEW scores AS SELECT * FROM grade", "it has a view 'scores' that nbgrader never creates"),
    ("CREATE TABLE stash (x TEXT)", "it has a table 'stash' that nbgrader never creates"),
    ("ALTER TABLE grade ADD COLUMN bonus REAL", "its table 'grade' is not defined as nbgrader defines it"),
    ("DROP TABLE comment", "its table 'comment' is missing"),
])
def test_gradebook_tampering_is_named(gradebook, nbgrader_schema, statement, problem):
    tamper(gradebook, statement)
    assert problem in schema_problems(gradebook, nbgrader_schema)


def test_gradebook_refusal_names_the_trigger(gradebook, tmp_path, monkeypatch, fake_roots):
    # The one test where take_manifest asks nbgrader for its schema (twice, to see it is stable).
    course = tmp_path / "course"
    (course / "grading").mkdir(parents=True)
    monkeypatch.setattr(trust, "grading_roots", lambda course: fake_roots)
    recorded = json.loads(trust.take_manifest(course).read_text())["gradebook"]
    assert {(kind, name): sql for kind, name, sql in recorded} == reference_schema() == read_schema(gradebook)
    shutil.copy(gradebook, course / "grading" / "gradebook.db")
    trust.check_all(course)
    tamper(course / "grading" / "gradebook.db", "CREATE TRIGGER boost AFTER INSERT ON grade BEGIN SELECT 1; END")
    with pytest.raises(trust.Refused) as refusal:
        trust.check_all(course, "feedback refused")
    assert str(refusal.value) == ("feedback refused: the gradebook grading/gradebook.db is not nbgrader's: it has a "
                                  "trigger 'boost' that nbgrader never creates; restore it from a backup, or remove "
                                  "what was added with sqlite3, before grading again.")
