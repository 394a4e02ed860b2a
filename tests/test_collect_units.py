"""grade collect's stages one by one, without nbgrader: who a file belongs to, what an archive may
carry, what a damaged notebook is, which assignment a notebook is, and how collect places files
(newest wins, the rest kept aside, an older export replaces nothing, two people never merged)."""
from __future__ import annotations

import codecs
import io
import os
import unicodedata
import zipfile

import nbformat
import pytest

from collect_corpus import NEW, OLD, _write, _zip, answered
from course_utils.grading.archives import Limits, stage
from course_utils.grading.collect import collect
from course_utils.grading.identify import fingerprints, identify, read_submission
from course_utils.grading.platforms import CollectLayout, learner_id, recogniser
from nbgrader_course import ROOT

ASSIGNMENTS = sorted(p.parent.name for p in (ROOT / "solutions").glob("*/*.ipynb"))


@pytest.fixture(scope="module")
def good() -> bytes:
    return nbformat.writes(answered(ROOT)).encode()


def recognise(paths, layout=None, pattern=""):
    parts = [tuple(p.split("/")) for p in paths]
    find = recogniser(CollectLayout(pattern=pattern), layout, parts)
    return [find(p) for p in parts]


@pytest.mark.parametrize("path, name, platform, platform_id, late", [
    ("leeann_1003_5001_01_loss.ipynb", "leeann", "canvas", "1003", False),
    ("wiśniewskiłukasz_LATE_1004_5002_Copy of 01_loss (1).ipynb", "wiśniewskiłukasz", "canvas", "1004", True),
    ("Ann Lee_2001_assignsubmission_file_/my work.ipynb", "Ann Lee", "moodle", "2001", False),
    ("Ann Lee_2001_assignsubmission_file_01_loss.ipynb", "Ann Lee", "moodle", "2001", False),
    ("alice/Downloads/01_loss.ipynb", "alice", "folders", "", False),
])
def test_each_platform_layout_names_the_learner_without_its_noise(path, name, platform, platform_id, late):
    (who,) = recognise([path])
    assert (who.name, who.platform, who.platform_id, who.late) == (name, platform, platform_id, late)


def test_a_file_at_the_top_of_a_folder_hand_in_belongs_to_nobody():
    assert recognise(["01_loss.ipynb", "bob/01_loss.ipynb"])[0] is None


def test_one_wrapping_folder_is_looked_through_but_a_learners_own_subfolder_is_not():
    wrapped = recognise(["class/alice/01_loss.ipynb", "class/bob/x/01_loss.ipynb"])
    assert [w.name for w in wrapped] == ["alice", "bob"]
    assert recognise(["bob/Downloads/01_loss.ipynb", "eve/Desktop/01_loss.ipynb"])[0].name == "bob"


def test_a_canvas_like_file_name_inside_a_learners_folder_is_only_a_file_name():
    (who,) = recognise(["alice/hw_12_34_notes.ipynb"])
    assert (who.name, who.platform) == ("alice", "folders")


def test_forcing_a_layout_and_a_configured_pattern():
    assert recognise(["leeann_1003_5001_01_loss.ipynb"], layout="folders") == [None]
    (who,) = recognise(["export/S-0042__Mei Lin__01_loss.ipynb"], layout="pattern",
                       pattern=r"S-(?P<platform_id>\d+)__(?P<student_id>[^_]+)__")
    assert (who.name, who.platform_id) == ("Mei Lin", "0042")


@pytest.mark.parametrize("name, expected", [
    ("Łukasz Wiśniewski", "Łukasz_Wiśniewski"), ("李雷", "李雷"), ("O'Brien, Mary-Jane", "O_Brien_Mary-Jane"),
    (unicodedata.normalize("NFD", "Zoë"), "Zoë"), ("Zoe", "Zoe"), ("../../etc", "etc"), ("***", "learner"),
    ("देवनागरी नाम", "देवनागरी_नाम"),
])
def test_learner_ids_keep_every_letter_and_lose_only_punctuation(name, expected):
    assert learner_id(name) == expected


# ---- archives ---------------------------------------------------------------------------

def test_a_zip_cannot_climb_out_link_or_hide_behind_an_absolute_path(tmp_path):
    archive = tmp_path / "a.zip"
    _zip([("alice/01_loss.ipynb", b"{}"), ("../up.ipynb", b"{}"), ("/etc/abs.ipynb", b"{}"),
          ("C:\\win.ipynb", b"{}"), ("bob/01_loss.ipynb", "/work/solutions/x.ipynb", "link")], archive)
    (tmp_path / "stage").mkdir()
    staging = stage(archive, tmp_path / "stage")
    assert [f.shown for f in staging.files] == ["alice/01_loss.ipynb"]
    assert len(staging.skipped) == 3 and all("climbing" in why for _, why in staging.skipped)
    assert staging.refused == [(("bob", "01_loss.ipynb"), "a symbolic link in the archive: never followed")]
    assert sorted(p.name for p in (tmp_path / "stage").iterdir()) == ["0"]  # names never become paths


def test_zips_inside_zips_are_opened_up_to_the_depth_limit(tmp_path):
    inner = _zip([("01_loss.ipynb", b"{}")])
    archive = tmp_path / "a.zip"
    _zip([("a/one.zip", _zip([("two.zip", inner)])), ("b/one.zip", _zip([("two.zip", _zip([("three.zip", inner)]))]))],
         archive)
    (tmp_path / "s").mkdir()
    staging = stage(archive, tmp_path / "s", Limits(depth=3))
    assert [f.shown for f in staging.files] == ["a/one.zip/two.zip/01_loss.ipynb"]
    assert staging.skipped == [("b/one.zip/two.zip/three.zip", "a zip nested more than 3 levels deep")]


def test_limits_on_file_count_total_bytes_and_a_zip_bomb(tmp_path):
    archive = tmp_path / "a.zip"
    _zip([("bomb/n.ipynb", b"0" * 5_000_000)] + [(f"l{k}/n.ipynb", b"x" * 100) for k in range(5)], archive)
    (tmp_path / "s").mkdir()
    staging = stage(archive, tmp_path / "s", Limits(files=3, file_bytes=1_000_000))
    assert len(staging.files) == 3
    assert sum("more than 3 files" in why for _, why in staging.skipped) == 2
    assert [why for _, why in staging.refused] == ["larger than 1,000,000 bytes: refused"]
    (tmp_path / "t").mkdir()
    staging = stage(archive, tmp_path / "t", Limits(total_bytes=250))
    assert len(staging.files) == 2 and any("in all" in why for _, why in staging.skipped)


def test_a_folder_hand_in_never_follows_links(tmp_path):
    source = tmp_path / "class"
    secret = tmp_path / "solution.ipynb"
    secret.write_text("{}")
    _write(source / "alice" / "01_loss.ipynb", b"{}")
    (source / "bob").mkdir()
    (source / "bob" / "01_loss.ipynb").symlink_to(secret)
    (source / "carol").symlink_to(tmp_path, target_is_directory=True)
    (source / "dan").mkdir()
    os.link(secret, source / "dan" / "01_loss.ipynb")
    (tmp_path / "s").mkdir()
    staging = stage(source, tmp_path / "s")
    assert [f.shown for f in staging.files] == ["alice/01_loss.ipynb"]
    assert [("/".join(p), why.split(":")[0]) for p, why in staging.refused] == [
        ("bob/01_loss.ipynb", "a symbolic link"), ("dan/01_loss.ipynb", "a hard link (its bytes belong to another file too)")]
    assert staging.skipped == [("carol", "a symbolic link to a folder: never followed")]


# ---- reading and identifying ----------------------------------------------------------------

@pytest.mark.parametrize("data, reason", [
    (b"", "empty file"), (b"  \n", "empty file"), (b'{"cells": [{"cell_type": "code", "sou', "truncated"),
    (b"print(1)", "not JSON"), (b"<!DOCTYPE html><html>", "HTML page"), (b"[1, 2]", "JSON without"),
    (b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "nonsense"}]}', "not a notebook"),
    (b"PK\x03\x04rest", "zip archive"),
])
def test_damaged_files_are_named_for_what_is_wrong(data, reason):
    reading = read_submission(data)
    assert not reading.readable and reason in reading.reason


@pytest.mark.parametrize("encode, repair", [
    (lambda t: codecs.BOM_UTF8 + t.replace("\n", "\r\n").encode(), "byte-order mark"),
    (lambda t: t.encode("utf-16"), "UTF-16"), (lambda t: t.encode("cp1252", errors="replace"), "Windows-1252"),
])
def test_editor_encodings_are_read_and_noted(good, encode, repair):
    reading = read_submission(encode(good.decode()))
    assert reading.readable and any(repair in r for r in reading.repairs)
    assert all("\r" not in cell.source for cell in reading.notebook.cells)


def test_assignment_is_decided_by_content_not_by_name(good):
    prints = fingerprints(ROOT, ASSIGNMENTS)
    assert identify(read_submission(good).notebook, prints).assignment == "01_loss"
    other = (ROOT / "notebooks" / "04_relu_gating" / "04_relu_gating.ipynb").read_bytes()
    assert identify(read_submission(other).notebook, prints).assignment == "04_relu_gating"
    assert identify(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), prints) is None


# ---- collect ---------------------------------------------------------------------------------

def run(tmp_path, source, assignments=("01_loss",), **kw):
    return collect(source, tmp_path / "grading" / "submitted", list(assignments), course=ROOT,
                   settings=CollectLayout(), **kw)


def test_newest_candidate_wins_and_the_others_are_kept_aside(tmp_path, good):
    release = (ROOT / "notebooks" / "01_loss" / "01_loss.ipynb").read_bytes()
    _write(tmp_path / "in" / "ann" / "01_loss.ipynb", release, OLD)
    _write(tmp_path / "in" / "ann" / "Copy of 01_loss (1).ipynb", good, NEW)
    _write(tmp_path / "in" / "ann" / "notes.txt", b"todo")
    report = run(tmp_path, tmp_path / "in")
    assert report.lines()[-2:] == ["collect: 1 learners, 1 files skipped", "  skipped ann/notes.txt: not a notebook (.txt)"]
    assert "took the newest of 2" in report.lines()[0]
    placed = tmp_path / "grading" / "submitted" / "ann" / "01_loss"
    assert read_submission((placed / "01_loss.ipynb").read_bytes()).notebook == read_submission(good).notebook
    assert (placed / "timestamp.txt").read_text() == "2026-11-27 18:30:00 UTC"
    (kept,) = (tmp_path / "grading" / "replaced" / "ann" / "01_loss").glob("*/*")
    assert kept.read_bytes() == release


def test_an_older_export_never_replaces_a_newer_submission_and_a_newer_one_keeps_the_old_aside(tmp_path, good):
    release = (ROOT / "notebooks" / "01_loss" / "01_loss.ipynb").read_bytes()
    _zip([("leeann_1003_5001_01_loss.ipynb", good, NEW)], tmp_path / "new.zip")
    _zip([("leeann_1003_4001_01_loss.ipynb", release, OLD)], tmp_path / "old.zip")
    run(tmp_path, tmp_path / "new.zip")
    report = run(tmp_path, tmp_path / "old.zip")
    assert "not replacing it" in report.lines()[-1] and report.learners == {"leeann"}
    placed = tmp_path / "grading" / "submitted" / "leeann" / "01_loss" / "01_loss.ipynb"
    assert read_submission(placed.read_bytes()).notebook == read_submission(good).notebook
    _zip([("leeann_1003_6001_01_loss.ipynb", release, (2026, 12, 1, 8, 0, 0))], tmp_path / "newer.zip")
    assert "the earlier submission is kept in" in run(tmp_path, tmp_path / "newer.zip").lines()[0]
    assert placed.read_bytes() != good
    (earlier,) = (tmp_path / "grading" / "replaced" / "leeann" / "01_loss").glob("*/01_loss/01_loss.ipynb")
    assert read_submission(earlier.read_bytes()).notebook == read_submission(good).notebook


def test_two_people_are_never_merged_and_the_same_person_is_found_again(tmp_path, good):
    _zip([("Ann Lee_2001_assignsubmission_file_/01_loss.ipynb", good),
          ("Ann Lee_2002_assignsubmission_file_/01_loss.ipynb", good),
          (unicodedata.normalize("NFD", "Zoë_2003_assignsubmission_file_/01_loss.ipynb"), good),
          ("Zoe_2004_assignsubmission_file_/01_loss.ipynb", good)], tmp_path / "m.zip")
    report = run(tmp_path, tmp_path / "m.zip")
    assert report.learners == {"Ann_Lee", "Ann_Lee_2002", "Zoë", "Zoe"}
    assert any("kept apart" in line and "Ann_Lee_2002" in line for line in report.lines())
    again = run(tmp_path, tmp_path / "m.zip")
    assert again.learners == report.learners and not any("kept apart" in line for line in again.lines())
    roster = (tmp_path / "grading" / "learners.csv").read_text(encoding="utf-8")
    assert "Ann_Lee_2002,Ann Lee,moodle,2002" in roster


def test_another_assignments_notebook_goes_to_that_assignment_when_it_is_collected(tmp_path, good):
    other = (ROOT / "notebooks" / "02_gradient_descent" / "02_gradient_descent.ipynb").read_bytes()
    _write(tmp_path / "in" / "ann" / "01_loss.ipynb", good)
    _write(tmp_path / "in" / "ann" / "week2.ipynb", other)
    report = run(tmp_path, tmp_path / "in", assignments=ASSIGNMENTS)
    assert sorted(report.pairs) == [("ann", "01_loss"), ("ann", "02_gradient_descent")]
    report = run(tmp_path / "again", tmp_path / "in")
    assert report.pairs == [("ann", "01_loss")]
    assert "02_gradient_descent's notebook, not among the assignments collected" in report.lines()[-1]


def test_nothing_collected_says_why(tmp_path):
    _write(tmp_path / "in" / "01_loss.ipynb", b"{}")
    report = run(tmp_path, tmp_path / "in")
    assert report.lines() == ["collect: 0 learners, 1 files skipped",
                              "  skipped 01_loss.ipynb: cannot tell whose it is (no learner folder, no platform name)"]
    assert run(tmp_path, tmp_path / "in" / "01_loss.ipynb").lines() == [
        "collect: 0 learners, 1 files skipped", "  skipped 01_loss.ipynb: the hand-in is neither a folder nor a zip"]


def test_a_zip_bytes_stream_is_read_like_a_file(tmp_path, good):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("mia/01_loss.ipynb", good)
    (tmp_path / "h.zip").write_bytes(buffer.getvalue())
    assert run(tmp_path, tmp_path / "h.zip").pairs == [("mia", "01_loss")]


def test_a_newer_upload_that_cannot_be_graded_does_not_replace_a_gradable_one(tmp_path, good):
    _zip([("leeann_1003_5001_01_loss.ipynb", good, OLD)], tmp_path / "first.zip")
    _zip([("leeann_1003_5002_01_loss.ipynb", b"", NEW)], tmp_path / "second.zip")
    run(tmp_path, tmp_path / "first.zip")
    report = run(tmp_path, tmp_path / "second.zip")
    assert "cannot be graded (empty file), unlike leeann / 01_loss already collected" in report.lines()[-1]
    assert (tmp_path / "grading" / "submitted" / "leeann" / "01_loss" / "01_loss.ipynb").stat().st_size > 0


# ---- what autograde is handed -----------------------------------------------------------------

def test_autograde_intake_repairs_what_it_can_and_names_what_it_cannot(tmp_path, good):
    import shutil

    from course_utils.grading.intake import prepare

    course = tmp_path / "course"
    for folder in ("solutions", "notebooks"):
        shutil.copytree(ROOT / folder, course / folder)
    submitted = course / "grading" / "submitted"
    bom = codecs.BOM_UTF8 + good.replace(b"\n", b"\r\n")
    _write(submitted / "ann" / "01_loss" / "01_loss.ipynb", bom)
    _write(submitted / "bob" / "01_loss" / "01_loss.ipynb", b"")
    _write(submitted / "cy" / "01_loss" / "01_loss.ipynb",
           (ROOT / "notebooks" / "03_chain_rule" / "03_chain_rule.ipynb").read_bytes())
    _write(submitted / "dee" / "01_loss" / "my copy.ipynb", good)
    _write(submitted / "fay" / "01_loss" / "notes.ipynb", b"{}")
    _write(submitted / "eve" / "01_loss" / "collect-refused.txt", b"a symbolic link: never followed")
    reasons = prepare(course, "01_loss")
    assert reasons == {"bob": "cannot be graded: empty file",
                       "cy": "cannot be graded: this is 03_chain_rule's notebook, not 01_loss's",
                       "eve": "cannot be graded: a symbolic link: never followed",
                       "fay": "cannot be graded: no 01_loss.ipynb in the submission (found: notes.ipynb)"}
    assert (course / "grading" / "originals" / "ann" / "01_loss" / "01_loss.ipynb").read_bytes() == bom
    assert read_submission((submitted / "ann" / "01_loss" / "01_loss.ipynb").read_bytes()).repairs == []
    assert (submitted / "dee" / "01_loss" / "01_loss.ipynb").read_bytes() == good  # found by content
