"""The manifest on a real environment: a copy of the test run's venv, attacked, through course.py.

The copy (``cp -a``) is the only environment written to; its editable install still
imports course_utils from this repository, which the test only reads.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nbgrader_course import ROOT


@pytest.mark.slow
def test_copied_environment_is_refused_after_numpy_or_a_pth_file_changes(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run(["cp", "-a", sys.prefix, str(venv)], check=True)
    course = tmp_path / "course"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPYCACHEPREFIX", "VIRTUAL_ENV")}
    env["COURSE_VENV"] = str(venv)
    python = venv / "bin" / "python"

    def grade(*args):
        result = subprocess.run([str(python), str(ROOT / "course.py"), "grade", *args, "--course", str(course)],
                                env=env, capture_output=True, text=True, timeout=1800)
        return result.returncode, result.stdout + result.stderr

    cache = course / "grading" / ".pycache"
    (cache / "left-over").mkdir(parents=True)
    (cache / "left-over" / "forged.cpython-311.pyc").write_bytes(b"\0" * 16)  # made before the trust
    code, out = grade("trust")
    assert code == 0 and "trusted the grading environment" in out, out
    assert not (cache / "left-over").exists()  # emptied before the trusting process started ...
    nbgrader_api = Path(subprocess.run([str(python), "-c", "import nbgrader.api; print(nbgrader.api.__file__)"],
                                       env=env, capture_output=True, text=True, check=True).stdout.strip())
    compiled = list((cache / nbgrader_api.parent.relative_to("/")).glob("__pycache__/api.*.pyc")) + \
        list((cache / nbgrader_api.parent.relative_to("/")).glob("api.*.pyc"))
    assert compiled, sorted(str(p.relative_to(cache)) for p in cache.rglob("*.pyc"))[:20]  # ... and filled by it
    code, out = grade("export")
    assert code == 0, out  # an untouched environment passes (do not edit course_utils/ while this runs)

    numpy_init = Path(subprocess.run([str(python), "-c", "import numpy; print(numpy.__file__)"], env=env,
                                     capture_output=True, text=True, check=True).stdout.strip())
    assert numpy_init.is_relative_to(venv)
    original = numpy_init.read_bytes()
    numpy_init.write_bytes(original + b"\nimport builtins\n")
    code, out = grade("export")
    assert code != 0, out
    assert ("[course] export refused: site-packages/numpy/__init__.py changed since the grading environment was "
            "trusted (sha256 ") in out, out
    assert len([line for line in out.splitlines() if line.strip()]) == 1, out  # one sentence, no traceback

    numpy_init.write_bytes(original)  # the same bytes again: trusted again (re-read once)
    code, out = grade("export")
    assert code == 0, out

    site_packages = numpy_init.parent.parent
    (site_packages / "zzz_payload.pth").write_text("import os\n")
    code, out = grade("autograde")
    assert code != 0 and "grading refused: site-packages/zzz_payload.pth appeared since" in out, out
    assert not (Path(sys.prefix) / site_packages.relative_to(venv) / "zzz_payload.pth").exists()  # only the copy
