"""Wall time of nbval over every solution notebook, per notebook.

    python benchmarks/nbval_times.py              # one pytest run over solutions/, as the test suite does
    python benchmarks/nbval_times.py --separate   # also one pytest process per notebook

The first table comes from a single ``pytest solutions/`` run (the project's pytest
options: ``--nbval --nbval-current-env`` and the sanitizer), reading the per-cell
times pytest records (setup + call + teardown, so a notebook's kernel start counts for
that notebook). ``--separate`` adds the wall time of a whole pytest process per
notebook, start-up included: what a maintainer waits for when checking one notebook.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path
from machine import load_average  # benchmarks/machine.py (this folder is on sys.path when run as a script)

ROOT = Path(__file__).resolve().parent.parent


def pytest(*args: str) -> tuple[float, int, str]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                          cwd=ROOT, capture_output=True, text=True)
    return time.perf_counter() - start, done.returncode, done.stdout + done.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--separate", action="store_true", help="also time one pytest process per notebook")
    args = parser.parse_args()
    notebooks = sorted((ROOT / "solutions").glob("*/*.ipynb"))
    print(f"{len(notebooks)} solution notebooks; {os.cpu_count()} cores; load average before: {load_average()}")

    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "nbval.xml"
        wall, code, output = pytest("solutions", f"--junitxml={report}")
        per_notebook: dict[str, list] = defaultdict(lambda: [0.0, 0, 0])  # seconds, cells, failures
        for case in ET.parse(report).getroot().iter("testcase"):
            name = case.get("file") or case.get("classname", "")
            key = next((str(nb.relative_to(ROOT)) for nb in notebooks
                        if nb.stem in name.replace("/", ".").split(".")), name)
            row = per_notebook[key]
            row[0] += float(case.get("time", 0))
            row[1] += 1
            row[2] += any(child.tag in ("failure", "error") for child in case)
    separate = {}
    if args.separate:
        for nb in notebooks:
            separate[str(nb.relative_to(ROOT))] = pytest(str(nb.relative_to(ROOT)))[:2]

    print()
    header = f"{'notebook':<56} {'cells':>5} {'nbval s':>8} {'result':>7}"
    if separate:
        header += f" {'own process s':>14}"
    print(header)
    for key in sorted(per_notebook):
        seconds, cells, failures = per_notebook[key]
        line = f"{key:<56} {cells:5d} {seconds:8.1f} {'ok' if not failures else f'{failures} fail':>7}"
        if key in separate:
            line += f" {separate[key][0]:14.1f}{'' if separate[key][1] == 0 else ' (failed)'}"
        print(line)
    total = sum(row[0] for row in per_notebook.values())
    print(f"{'all (one pytest run, wall clock)':<56} {sum(r[1] for r in per_notebook.values()):5d} "
          f"{wall:8.1f} {'ok' if code == 0 else 'FAILED':>7}")
    print(f"(nbval s: pytest's own times for the notebook's cells, kernel start included; "
          f"the run's wall clock adds pytest's start-up and collection: {wall - total:.1f} s)")
    print(f"load average after: {load_average()}")
    if code != 0:
        print(output[-3000:])
    print(f"nbval_total_s={wall:.1f} notebooks={len(notebooks)} "
          f"slowest={max(per_notebook, key=lambda k: per_notebook[k][0]) if per_notebook else 'none'}")
    sys.exit(code)


if __name__ == "__main__":
    main()
