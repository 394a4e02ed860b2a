"""Grade a synthetic class with plain sequential nbgrader and with the parallel grader.

    python benchmarks/autograde.py                    # 30 learners x every notebook in solutions/
    python benchmarks/autograde.py --learners 6       # a quick run
    python benchmarks/autograde.py --learners 6 --assignments 01_loss

The class: every learner submits every assignment, made from the learner release in
notebooks/ with the answer cells filled in. Half the submissions are correct, 30 % hold
one typical mistake (from tests/mistakes/<assignment>.py, when there is one) and 20 %
are broken in one of four ways: untouched release (``NotImplementedError``), a syntax
error, an exception before the first function is defined, or a deleted test cell.

Three identical copies of the course (release generated, same submissions) are graded,
one after the other:

- sequential: ``nbgrader autograde <assignment> --force`` for each assignment, one
  after the other, as the nbgrader documentation does it (the baseline);
- one worker: the parallel code below with a single worker, i.e. one ``nbgrader
  autograde`` process for every assignment: the part of the gain that comes from paying
  nbgrader's start-up once instead of once per assignment (``--skip-one-worker`` leaves
  this run out);
- parallel: what ``python3 course.py grade autograde --jobs N`` runs
  (:func:`course_utils.grading.parallel.autograde_parallel`): every submission of every
  assignment dealt to N ``nbgrader autograde`` processes, each with its own gradebook
  copy, merged after.

Every learner's score for every graded cell must be the same in all gradebooks, or
the run fails. The notebooks' own cell time is measured too: every distinct submission's
code cells (hidden tests included) run once in a fresh Python process, as the grading
sandbox runs them (matplotlib's Agg backend, no kernel, libraries already imported),
timing only the cells, so

    overhead per notebook = (sequential wall seconds - sum of own cell seconds) / notebooks

(the parallel run executes the same nbgrader code per notebook; its core-seconds per
notebook are shown too). The last line reads
``minutes_per_100_learners=<parallel> sequential=<sequential> overhead_s=<per notebook>``.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
from course_utils.grading.parallel import autograde_parallel  # noqa: E402
from nbgrader_course import COURSE_ID, load_mistakes  # noqa: E402
from machine import load_average  # noqa: E402  benchmarks/machine.py (this folder is on sys.path when run as a script)

PATTERN = "CCCCCWWWBB"  # per ten submissions: correct, wrong, broken
BROKEN = ("untouched", "syntax-error", "raises-first", "deleted-test")


def _nbgrader(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


@dataclass(frozen=True)
class Variant:
    assignment: str
    kind: str      # correct | wrong:<answer grade_id> | broken:<how>

    def build(self, source: nbformat.NotebookNode, release: nbformat.NotebookNode):
        """(submission, graded_form): what the learner hands in, and what nbgrader then runs."""
        answers = {_nbgrader(c)["grade_id"]: c.source for c in source.cells if _nbgrader(c).get("solution")}
        first_answer = next(gid for gid, _ in answers.items()
                            if next(c for c in source.cells if _nbgrader(c).get("grade_id") == gid).cell_type == "code")
        if self.kind.startswith("wrong:"):
            answers[self.kind[6:]] = load_mistakes(self.assignment)[self.kind[6:]]["source"]
        elif self.kind == "broken:syntax-error":
            answers[first_answer] = "def this is not python(:\n" + answers[first_answer]
        elif self.kind == "broken:raises-first":
            answers[first_answer] = "raise RuntimeError('the learner broke this cell')\n" + answers[first_answer]
        submission = nbformat.from_dict(release)
        for cell in submission.cells:
            gid = _nbgrader(cell).get("grade_id")
            if gid in answers and self.kind != "broken:untouched":
                cell.source = answers[gid]
        if self.kind == "broken:deleted-test":
            first_test = next(i for i, c in enumerate(submission.cells) if _nbgrader(c).get("grade"))
            del submission.cells[first_test]
        graded = nbformat.from_dict(source)
        for cell in graded.cells:  # locked cells come back from the gradebook; answers stay
            gid = _nbgrader(cell).get("grade_id")
            if gid in answers:
                if self.kind == "broken:untouched":
                    cell.source = next(c.source for c in release.cells if _nbgrader(c).get("grade_id") == gid)
                else:
                    cell.source = answers[gid]
        return submission, graded


def class_variants(assignments: list[str], learners: int) -> dict[tuple[str, str], Variant]:
    """(learner, assignment) -> Variant, the same mix on every run."""
    plan = {}
    for j, assignment in enumerate(assignments):
        try:
            mistakes = sorted(load_mistakes(assignment))
        except FileNotFoundError:
            mistakes = []
        for i in range(learners):
            kind = PATTERN[(i + 3 * j) % len(PATTERN)]
            if kind == "W" and mistakes:
                variant = f"wrong:{mistakes[(i + j) % len(mistakes)]}"
            elif kind == "B" or (kind == "W" and not mistakes):
                variant = f"broken:{BROKEN[(i + j) % len(BROKEN)]}"
            else:
                variant = "correct"
            plan[(f"learner{i:03d}", assignment)] = Variant(assignment, variant)
    return plan


def nbgrader(root: Path, *args: str) -> float:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=root, env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return time.perf_counter() - start


# Runs a notebook's code cells one after the other in a plain Python process (as the
# grading sandbox does: no Jupyter kernel, matplotlib's Agg backend, nothing displayed)
# and prints the seconds spent inside the cells. The cells' top-level imports are done
# first, untimed: the grader's sandbox factory has imported the course's libraries
# before a notebook starts, so import time is not the notebook's own work there either.
# An error ends that cell only.
_RUNNER = r"""
import ast, json, sys, time
cells = json.load(open(sys.argv[1]))
for source in cells:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        continue
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            try:
                exec(compile(ast.Module([node], []), "<imports>", "exec"), {})
            except BaseException:
                pass
namespace = {"__name__": "__main__", "display": lambda *args, **kwargs: None}
total = 0.0
for source in cells:
    start = time.perf_counter()
    try:
        exec(compile(source, "<cell>", "exec"), namespace)
    except BaseException:
        pass
    total += time.perf_counter() - start
print(json.dumps(total))
"""


def own_cell_seconds(notebook: nbformat.NotebookNode, cwd: Path) -> float:
    """Seconds the notebook's own code cells take, run in order in a fresh Python process."""
    import json

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump([c.source for c in notebook.cells if c.cell_type == "code"], handle)
    try:
        env = dict(os.environ, MPLBACKEND="Agg")
        done = subprocess.run([sys.executable, "-c", _RUNNER, handle.name], cwd=cwd, env=env,
                              capture_output=True, text=True)
        return float(done.stdout.strip().splitlines()[-1])
    finally:
        os.unlink(handle.name)


def scores(root: Path, assignments: list[str]) -> dict:
    """(learner, assignment, grade_id) -> (score, max score), and flagged notebooks, from a gradebook."""
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(f"sqlite:///{root / 'grading' / 'gradebook.db'}", COURSE_ID) as gradebook:
        for assignment in assignments:
            for submission in gradebook.assignment_submissions(assignment):
                for notebook in submission.notebooks:
                    out[(submission.student.id, assignment, "flagged")] = bool(notebook.flagged)
                    for grade in notebook.grades:
                        out[(submission.student.id, assignment, grade.name)] = (grade.score, grade.max_score)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--learners", type=int, default=30, help="size of the class (default 30)")
    parser.add_argument("--assignments", nargs="*", help="default: every assignment in solutions/")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="nbgrader processes at once")
    parser.add_argument("--skip-one-worker", action="store_true",
                        help="leave out the middle run (the parallel code with one worker)")
    parser.add_argument("--isolation", choices=["bubblewrap", "none"], default="bubblewrap",
                        help="how learners' code is confined (SandboxExecute.isolation; default bubblewrap, "
                             "as `course.py grade autograde` grades; none: as --unsafe-no-isolation)")
    parser.add_argument("--keep", type=Path, help="build the three courses here and keep them")
    args = parser.parse_args()
    isolation = (f"--SandboxExecute.isolation={args.isolation}",)
    if args.isolation == "bubblewrap":
        from course_utils.grading.confine import availability

        available, reason = availability()
        if not available:
            parser.error(f"cannot grade confined here: {reason} (or --isolation none)")
    # nbgrader's own gradebook code makes SQLAlchemy warn about its session while merging.
    warnings.filterwarnings("ignore", message="Object of type .* not in session")
    assignments = args.assignments or sorted(p.parent.name for p in (ROOT / "solutions").glob("*/*.ipynb"))
    where = Path(tempfile.mkdtemp(prefix="autograde-bench-")) if args.keep is None else args.keep.resolve()
    print(f"CPU: {os.cpu_count()} logical cores; load average before: {load_average()}; "
          f"isolation: {args.isolation}")
    print(f"class: {args.learners} learners x {len(assignments)} assignments ({', '.join(assignments)}); "
          f"mix per ten submissions: {PATTERN} (C correct, W one typical mistake, B broken: {', '.join(BROKEN)})")
    try:
        seq_root = where / "sequential"
        (seq_root / "grading").mkdir(parents=True)
        shutil.copytree(ROOT / "solutions", seq_root / "solutions")
        shutil.copy(ROOT / "nbgrader_config.py", seq_root)
        generate = sum(nbgrader(seq_root, "generate_assignment", a, "--force") for a in assignments)
        print(f"generate_assignment (not timed below): {generate:.1f} s")

        plan = class_variants(assignments, args.learners)
        graded_forms, own = {}, {}
        for (learner, assignment), variant in plan.items():
            source = nbformat.read(next((seq_root / "solutions" / assignment).glob("*.ipynb")), as_version=4)
            release_path = next((seq_root / "notebooks" / assignment).glob("*.ipynb"))
            release = nbformat.read(release_path, as_version=4)
            submission, graded = variant.build(source, release)
            folder = seq_root / "grading" / "submitted" / learner / assignment
            folder.mkdir(parents=True, exist_ok=True)
            nbformat.write(submission, folder / release_path.name)
            graded_forms.setdefault(variant, graded)
        par_root = where / "parallel"
        shutil.copytree(seq_root, par_root)
        if not args.skip_one_worker:
            shutil.copytree(seq_root, where / "one-worker")

        print(f"own cell time of the {len(graded_forms)} distinct submissions (plain Python, one process each) ...",
              flush=True)
        for variant, graded in graded_forms.items():
            own[variant] = own_cell_seconds(graded, seq_root / "solutions" / variant.assignment)

        # Three gradings of the same class, one after the other:
        # - sequential: one `nbgrader autograde <assignment> --force` per assignment, as
        #   nbgrader's documentation and formgrader do it (the baseline);
        # - one worker: the parallel code path with a single worker, i.e. one nbgrader
        #   process over every assignment: what start-up paid once is worth on its own;
        # - parallel: the same with --jobs workers (course.py grade autograde --jobs N).
        seq_times = {}
        print(f"grading sequentially, one nbgrader autograde per assignment ... (load {load_average()})", flush=True)
        for assignment in assignments:
            seq_times[assignment] = nbgrader(seq_root, "autograde", assignment, "--force", *isolation)
        sequential = sum(seq_times.values())
        one_worker = None
        if not args.skip_one_worker:
            one_root = where / "one-worker"
            print(f"grading with one worker (one nbgrader process for everything) ... (load {load_average()})",
                  flush=True)
            start = time.perf_counter()
            autograde_parallel(one_root, assignments, 1, one_root / "grading" / "logs" / "autograde.log",
                               extra=isolation)
            one_worker = time.perf_counter() - start
        print(f"grading in parallel ({args.jobs} workers) ... (load {load_average()})", flush=True)
        start = time.perf_counter()
        autograde_parallel(par_root, assignments, args.jobs, par_root / "grading" / "logs" / "autograde.log",
                           extra=isolation)
        parallel = time.perf_counter() - start
        load_after = load_average()

        seq_scores = scores(seq_root, assignments)
        others = {"parallel": scores(par_root, assignments)}
        if one_worker is not None:
            others["one worker"] = scores(one_root, assignments)
        differ = [(mode, key, seq_scores.get(key), theirs.get(key)) for mode, theirs in others.items()
                  for key in sorted(seq_scores.keys() | theirs.keys()) if seq_scores.get(key) != theirs.get(key)]
        n_cells = sum(1 for k in seq_scores if k[2] != "flagged")

        print()
        print(f"{'assignment':<22} {'notebooks':>9} {'sequential s':>12} {'s/notebook':>10} "
              f"{'own cells s':>11} {'overhead s':>10}")
        total_own = 0.0
        for assignment in assignments:
            subs = [v for (learner, a), v in plan.items() if a == assignment]
            own_sum = sum(own[v] for v in subs)
            total_own += own_sum
            print(f"{assignment:<22} {len(subs):9d} {seq_times[assignment]:12.1f} "
                  f"{seq_times[assignment] / len(subs):10.2f} {own_sum / len(subs):11.2f} "
                  f"{(seq_times[assignment] - own_sum) / len(subs):10.2f}")
        n = len(plan)
        per_100 = 100 / args.learners / 60
        overhead = (sequential - total_own) / n
        print()
        print(f"{'mode':<44} {'wall s':>8} {'min/100 learners':>16} {'core-s/notebook':>15} {'speed-up':>8}")
        rows = [("sequential: nbgrader autograde per assignment", sequential, 1)]
        if one_worker is not None:
            rows.append(("one worker: one nbgrader process for all", one_worker, 1))
        rows.append((f"parallel: course.py grade autograde --jobs {args.jobs}", parallel, args.jobs))
        for name, wall, processes in rows:
            print(f"{name:<44} {wall:8.1f} {wall * per_100:16.2f} {wall * processes / n:15.2f} "
                  f"{sequential / wall:7.2f}x")
        print(f"(own cells: {total_own / n:.2f} s per notebook on average; overhead per notebook, sequential: "
              f"{overhead:.2f} s; core-s/notebook: wall seconds x processes / notebooks)")
        print(f"speed-up of --jobs {args.jobs} over sequential: {sequential / parallel:.2f}x on {os.cpu_count()} cores; "
              f"scores compared: {n} submissions, {n_cells} graded cells in each run: "
              f"{'identical' if not differ else f'{len(differ)} DIFFER'}")
        for mode, key, ours, theirs in differ[:10]:
            print(f"  {key}: sequential {ours}, {mode} {theirs}")
        print(f"load average after: {load_after}")
        print(f"minutes_per_100_learners={parallel * per_100:.2f} sequential={sequential * per_100:.2f} "
              f"overhead_s={overhead:.2f}")
        if differ:
            sys.exit(1)
    finally:
        if args.keep is None:
            shutil.rmtree(where, ignore_errors=True)


if __name__ == "__main__":
    main()
