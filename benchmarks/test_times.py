"""Wall time of each test tier and the ten slowest tests, to watch the suite's speed.

    python benchmarks/test_times.py                 # the quick tier, then the whole suite
    python benchmarks/test_times.py --tiers quick   # only the quick tier (about a minute)
    python benchmarks/test_times.py --tiers quick full -- -p no:randomly   # extra pytest args

Each tier runs exactly as ``python3 course.py test [--quick]`` runs it (the same pytest
arguments, from ``course.py``'s :func:`pytest_command`: tests shared out over the cores),
with a JUnit XML report in a temporary folder from which the per-test times are read.
Run it inside the course's environment (``.venv/bin/python benchmarks/test_times.py``;
``python3 course.py test`` makes it). The last line reads
``test_times <tier>_s=<wall seconds> ...`` for the tiers run.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from course import pytest_command  # noqa: E402  (course.py is the one place tiers are defined)

TIER_ARGS = {"quick": ["--quick"], "full": []}


def test_times(report: Path) -> list[tuple[float, str, str]]:
    """(seconds, test id, outcome) of every test case in a JUnit XML report."""
    cases = []
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        outcome = next((child.tag for child in case if child.tag in ("failure", "error", "skipped")), "passed")
        name = f"{case.get('classname', '').replace('.', '/')}::{case.get('name')}"
        cases.append((float(case.get("time") or 0), name, outcome))
    return cases


def run_tier(tier: str, extra: list[str], folder: Path) -> tuple[float, list[tuple[float, str, str]], int]:
    report = folder / f"{tier}.xml"
    command = [sys.executable, "-m", "pytest", *pytest_command(TIER_ARGS[tier]), "-q", f"--junitxml={report}", *extra]
    print(f"[test_times] {tier}: {' '.join(command[1:])}", flush=True)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    cases = test_times(report) if report.exists() else []
    return seconds, cases, done.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiers", nargs="+", choices=list(TIER_ARGS), default=list(TIER_ARGS))
    parser.add_argument("pytest_args", nargs="*", help="after --: passed on to pytest")
    args = parser.parse_args()
    walls, slowest, failed = {}, [], False
    with tempfile.TemporaryDirectory(prefix="course-test-times-") as folder:
        for tier in args.tiers:
            seconds, cases, code = run_tier(tier, args.pytest_args, Path(folder))
            walls[tier] = seconds
            outcomes = {o: sum(1 for c in cases if c[2] == o) for o in ("passed", "failure", "error", "skipped")}
            print(f"{tier:<6} {seconds:8.1f} s wall  {len(cases)} tests  "
                  + "  ".join(f"{n} {o}" for o, n in outcomes.items() if n), flush=True)
            failed |= code != 0
            slowest = cases  # the last tier run (the whole suite, by default) names the slowest
    print(f"ten slowest tests of the {args.tiers[-1]} tier (seconds, in a worker):")
    for seconds, name, outcome in sorted(slowest, reverse=True)[:10]:
        print(f"  {seconds:8.1f}  {name}" + ("" if outcome == "passed" else f"  [{outcome}]"))
    print("test_times " + " ".join(f"{tier}_s={seconds:.1f}" for tier, seconds in walls.items()))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
