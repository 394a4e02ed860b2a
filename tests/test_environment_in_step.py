"""environment.yml (conda, Binder) carries the same version ranges as pyproject.toml."""
import re
import tomllib

from nbgrader_course import ROOT


def _name(spec: str) -> str:
    return re.split(r"[<>=!\[ ]", spec, maxsplit=1)[0].lower().replace("_", "-")


def _pyproject_specs():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = list(project["dependencies"])
    for extra in ("test", "browser", "hub"):
        specs += project["optional-dependencies"][extra]
    specs.append("python" + project["requires-python"])
    return {_name(s): s.replace(" ", "") for s in specs}


def _environment_specs():
    specs = {}
    for line in (ROOT / "environment.yml").read_text().splitlines():
        match = re.match(r"^\s+-\s+([A-Za-z0-9_.\-]+[<>=!][^#\s]*)", line)
        if match:
            specs[_name(match.group(1))] = match.group(1)
    return specs


def test_every_pyproject_dependency_is_in_environment_yml_with_the_same_range():
    env = _environment_specs()
    for name, spec in _pyproject_specs().items():
        assert name in env, f"{name} is in pyproject.toml but not in environment.yml"
        assert env[name] == spec, f"{name}: pyproject.toml says {spec}, environment.yml says {env[name]}"


def test_environment_yml_has_nothing_pyproject_lacks():
    extra = set(_environment_specs()) - set(_pyproject_specs())
    assert not extra, f"in environment.yml only: {sorted(extra)}"


def test_reading_a_notebook_builds_no_iri_parsers():
    # Every nbgrader command, grading worker and notebook run imports nbformat. With
    # jsonschema 4.25+ that import also imports rfc3987_syntax, which builds dozens of Lark
    # parsers (1-2.5 s a process here): pyproject.toml keeps jsonschema below it.
    import subprocess
    import sys

    probe = "import sys, nbformat; nbformat.validate(nbformat.v4.new_notebook()); print(sorted(m for m in sys.modules if m.split('.')[0] in ('rfc3987_syntax', 'lark')))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]", f"importing nbformat loaded {loaded.strip()}"
