"""The benchmark scripts run end to end on a tiny problem and print their last line.

The figures themselves are measured on demand (README, "Benchmarks"), never asserted
here; this only keeps the scripts working as the course changes.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_benchmark(script: str, *args: str) -> list[str]:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{script} failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done.stdout.strip().splitlines()


@pytest.mark.slow
def test_autograde_benchmark_grades_a_small_class_identically_both_ways():
    # Without the middle run (the parallel code with one worker: the same code as --jobs N).
    lines = run_benchmark("autograde.py", "--learners", "3", "--assignments", "01_loss", "02_gradient_descent",
                          "--skip-one-worker")
    assert any("scores compared: 6 submissions" in line and line.endswith("identical") for line in lines), lines
    assert re.fullmatch(r"minutes_per_100_learners=\d+\.\d\d sequential=\d+\.\d\d overhead_s=-?\d+\.\d\d",
                        lines[-1]), lines[-1]


@pytest.mark.slow
def test_mlp_benchmark_prints_its_ratios():
    lines = run_benchmark("mlp.py", "--repeats", "3", "--synthetic", "--no-torch", "--no-readable")
    assert re.fullmatch(r"ratio_floor=\d+\.\d{3} ratio_torch=nan", lines[-1]), lines[-1]


@pytest.mark.slow
def test_test_times_prints_each_tiers_wall_time_and_the_slowest_tests():
    # One file of the quick tier, as the tier's own command runs it (its workers included):
    # "-k" alone would still have every worker collect the whole suite.
    one_file = ROOT / "tests" / "test_environment_in_step.py"
    tests = len(re.findall(r"^def test_", one_file.read_text(), flags=re.M))
    lines = run_benchmark("test_times.py", "--tiers", "quick", "--", str(one_file.relative_to(ROOT)))
    tier = next(line for line in lines if line.startswith("quick "))
    assert re.match(rf"quick +\d+\.\d s wall  {tests} tests  {tests} passed", tier), lines
    slowest = lines[lines.index(next(l for l in lines if l.startswith("ten slowest"))) + 1:-1]
    assert len(slowest) == tests and all("test_environment_in_step" in line for line in slowest), slowest
    assert re.fullmatch(r"test_times quick_s=\d+\.\d", lines[-1]), lines[-1]
