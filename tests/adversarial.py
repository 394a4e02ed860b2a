"""Deliberately bad submissions, derived from any assignment's nbgrader metadata.

Nothing here knows a notebook: answer cells are found by their grade id, the functions
they define by parsing their source, the test cells each answer feeds from
tests/mistakes/<assignment>.py ("loses"). Each case breaks ONE function of ONE answer cell
(cases rotate over the answer cells) and says which test cells must then score 0; every
other test cell must keep full marks.
"""
from __future__ import annotations

import ast
import base64
import contextlib
import io
import pickle
import textwrap
from dataclasses import dataclass, field
from typing import Callable

import nbformat


HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"


def nbgrader_meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def answer_cells(nb) -> list:
    """Code answer cells that define at least one top-level function."""
    cells = []
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if cell.cell_type == "code" and meta.get("solution") and functions_defined(cell.source):
            cells.append(cell)
    return cells


def graded_cells(nb) -> dict[str, float]:
    return {nbgrader_meta(c)["grade_id"]: float(nbgrader_meta(c)["points"]) for c in nb.cells
            if c.cell_type == "code" and nbgrader_meta(c).get("grade") and not nbgrader_meta(c).get("solution")}


def functions_defined(source: str) -> list[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return [node.name for node in tree.body if isinstance(node, ast.FunctionDef)]


def replace_function(source: str, name: str, new_definition: str, keep_original_as: str | None = None) -> str:
    """``source`` with the top-level function ``name`` replaced (the original optionally renamed)."""
    tree = ast.parse(source)
    lines = source.split("\n")
    node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)
    start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
    original = "\n".join(lines[start:node.end_lineno])
    kept = original.replace(f"def {name}(", f"def {keep_original_as}(", 1) + "\n" if keep_original_as else ""
    return "\n".join(lines[:start] + [kept + new_definition] + lines[node.end_lineno:])


def cell_index(nb, grade_id: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if nbgrader_meta(c).get("grade_id") == grade_id)


def names_in(source: str) -> set[str]:
    try:
        return {n.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Name)}
    except SyntaxError:
        return set()


def dependencies(solution) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """For each answer function: the test cells that call it directly (its own tests), and
    those that reach it only through another answer function or through a variable made by a
    cell that calls it (e.g. a network trained by a cell above the test).

    Derived from the solution's source: a function uses another when its body names it; a
    variable depends on the functions (and variables) its cell names.
    """
    bodies = {}
    for cell in answer_cells(solution):
        for node in ast.parse(cell.source).body:
            if isinstance(node, ast.FunctionDef):
                bodies[node.name] = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    users = {f: {g for g in bodies if g != f and f in bodies[g]} for f in bodies}
    variables: dict[str, set[str]] = {}  # variable -> answer functions its value depends on
    tests = {}
    for cell in solution.cells:
        if cell.cell_type != "code":
            continue
        meta = nbgrader_meta(cell)
        names = names_in(cell.source)
        if meta.get("grade") and not meta.get("solution"):
            tests[meta["grade_id"]] = names
            continue
        needs = (names & set(bodies)).union(*[variables[v] for v in names & set(variables)])
        try:
            stored = {n.id for node in ast.parse(cell.source).body for n in ast.walk(node)
                      if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        except SyntaxError:
            stored = set()
        for name in stored - set(bodies):
            variables[name] = variables.get(name, set()) | needs
    own, through = {}, {}
    for f in bodies:
        reach, todo = {f}, [f]
        while todo:  # f and every function that uses it, directly or not
            for g in users[todo.pop()]:
                if g not in reach:
                    reach.add(g)
                    todo.append(g)
        own[f] = {t for t, names in tests.items() if f in names}
        through[f] = {t for t, names in tests.items()
                      if (names | set().union(*[variables[v] for v in names & set(variables)])) & reach} - own[f]
    return own, through


def calling_cells(solution) -> dict[str, int]:
    """For each function the notebook defines: how many code cells call it when they run,
    directly or through another function (a definition alone calls nothing).

    A function that never returns costs a whole timeout in each of these cells, learners'
    cells included (07's training cell calls ``init_params``); a cell that only uses a
    variable such a cell failed to make stops at once, with a NameError.
    """
    bodies, calls = {}, []
    for cell in solution.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        called = set()
        for node in tree.body:
            names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
            if isinstance(node, ast.FunctionDef):
                bodies[node.name] = names
            else:
                called |= names
        calls.append(called)
    result = {}
    for f in bodies:
        reach, todo = {f}, [f]
        while todo:  # f and every function that uses it, directly or not
            used = todo.pop()
            for g, names in bodies.items():
                if used in names and g not in reach:
                    reach.add(g)
                    todo.append(g)
        result[f] = sum(1 for called in calls if called & reach)
    return result


# What the broken function does instead of its job. `_orig` is the correct function
# (kept under another name), `_each` applies a change to every returned array.
EACH = textwrap.dedent('''
    def _each(value, change):
        import numpy as np
        if isinstance(value, tuple):
            return tuple(_each(v, change) for v in value)
        if isinstance(value, dict):
            return {k: _each(v, change) for k, v in value.items()}
        return change(np.asarray(value))
''')

ENDLESS_LOOP_AT_THE_LOWEST_PRIORITY = textwrap.indent(textwrap.dedent('''
    import ctypes, os, time
    os.nice(19)
    try:  # the grader made /proc/self root's (not dumpable): make it this user's again
        ctypes.CDLL(None).prctl(4, 1, 0, 0, 0)   # PR_SET_DUMPABLE
    except Exception:
        pass
    for _attempt in range(100):
        try:
            with open("/proc/self/autogroup", "w") as _group:
                _group.write("19")
            break
        except BlockingIOError:   # EAGAIN: another session changed its priority < 0.1 s ago
            time.sleep(0.02)
        except OSError:           # no autogroup here: the process's own nice is the whole story
            break
    while True:
        pass
'''), "    ").strip()   # a function body: break_function puts its first line after 4 spaces

BODIES = {
    "exception": "raise ValueError('something went wrong in my code')",
    "wrong-shape": "return _each(_orig(*args, **kwargs), lambda a: a[None, ...].repeat(2, axis=0))",
    "wrong-dtype": "return _each(_orig(*args, **kwargs), lambda a: a.astype(str))",
    "nan": "return _each(_orig(*args, **kwargs), lambda a: a * float('nan'))",
    "none": "return None",
    "list": "return _each(_orig(*args, **kwargs), lambda a: a.reshape(-1).tolist())",
    # A loop that burns a core until the grader's timeout kills its process, at the lowest
    # priority: the rest of the suite keeps the cores it needs (a timeout costs wall time,
    # not up to 90 core-seconds). Every sandbox is a session of its own (setsid), and where
    # the kernel groups the scheduling of each session (autogroup, on by default), a
    # process's own nice only orders it within its session: against the rest of the machine
    # it still had a full share (130 core-seconds of a 660 s suite). So the loop lowers its
    # session's priority too, retrying while the kernel's limit of one such change per
    # tenth of a second refuses it (the session's file in /proc is the learner's own only
    # once the process is dumpable again). Both die with the killed process; the cells after it
    # run in a new sandbox, a new session, at the usual priority.
    "endless-loop": ENDLESS_LOOP_AT_THE_LOWEST_PRIORITY,
    "sys-exit": "import sys\n    sys.exit(0)",
    "os-exit": "import os\n    os._exit(3)",
    "always-equal": ("class AlwaysEqual:\n"
                     "        __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = lambda self, other: True\n"
                     "        __bool__ = lambda self: True\n"
                     "        __float__ = lambda self: 0.0\n"
                     "    return AlwaysEqual()"),
    "zeros": "return _each(_orig(*args, **kwargs), lambda a: a * 0.0 + 0.123)",
}

# Top-level code placed in the answer cell before the broken function.
PATCH_LIBRARIES = textwrap.dedent('''
    import builtins
    import numpy as np
    import numpy.testing
    np.allclose = lambda *a, **k: True
    np.isclose = lambda a, b, *r, **k: np.ones(np.shape(a), dtype=bool)
    np.array_equal = lambda *a, **k: True
    for _name in dir(np.testing):
        if _name.startswith("assert"):
            setattr(np.testing, _name, lambda *a, **k: None)
    builtins.abs = lambda x: 0
    builtins.all = lambda *a, **k: True
    builtins.any = lambda *a, **k: False
''')

PATCH_CHECKS = textwrap.dedent('''
    import sys
    def _always_pass(*args, **kwargs):
        print("PASSED")
    for _module_name, _module in list(sys.modules.items()):
        if _module_name.startswith("course_utils") and _module is not None:
            for _attr in list(vars(_module)):
                if _attr.startswith("check") or _attr in ("fail", "compare", "call_learner", "diagnose"):
                    setattr(_module, _attr, _always_pass)
    for _name in list(globals()):
        if _name.startswith("check"):
            globals()[_name] = _always_pass  # shadow the checks the test cells call
''')


@dataclass
class Case:
    key: str
    what: str
    function: str = ""
    answer_id: str = ""
    breaks: bool = True          # its function's own tests must score 0
    integrity: bool = False      # must appear in the integrity report
    change: Callable = None      # notebook -> None, edits the learner's copy in place
    own: set = field(default_factory=set)
    through: set = field(default_factory=set)


@dataclass
class Learner:
    name: str
    notebook: nbformat.NotebookNode
    cases: list = field(default_factory=list)

    @property
    def zero(self) -> set:
        return set().union(*[c.own for c in self.cases if c.breaks]) if self.cases else set()

    @property
    def free(self) -> set:
        """Test cells this learner's changes may or may not reach: no expectation."""
        return set().union(*[c.through for c in self.cases]) if self.cases else set()

    @property
    def integrity(self) -> bool:
        return any(c.integrity for c in self.cases)


def answer_cell(nb, answer_id: str):
    return nb.cells[cell_index(nb, answer_id)]


def break_function(answer_id: str, function: str, body: str, prefix: str = "") -> Callable:
    def change(nb):
        cell = answer_cell(nb, answer_id)
        definition = EACH + f"def {function}(*args, **kwargs):\n    {body}\n"
        cell.source = prefix + replace_function(cell.source, function, definition, keep_original_as="_orig")
    return change


def record_visible_calls(solution, answer, function: str, test_id: str) -> list:
    """(args, kwargs, result) of each call the visible part of ``test_id`` makes to ``function``."""
    import os

    os.environ.setdefault("MPLBACKEND", "Agg")
    namespace = {"__name__": "__main__"}
    calls = []
    stop = cell_index(solution, test_id)
    for cell in solution.cells[:stop]:  # every code cell before the test, as the notebook runs them
        meta = nbgrader_meta(cell)
        if cell.cell_type == "code" and not (meta.get("grade") and not meta.get("solution")):
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(cell.source, "<cell>", "exec"), namespace)
    real = namespace[function]

    def recorder(*args, **kwargs):
        result = real(*args, **kwargs)
        calls.append((args, kwargs, result))
        return result

    namespace[function] = recorder
    visible = solution.cells[stop].source.split(HIDDEN_BEGIN)[0]
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(visible, "<visible test>", "exec"), namespace)
    return calls


def hard_coded(solution, answer_id: str, function: str, test_id: str) -> Callable:
    """The function answers the visible test's exact inputs from a table, anything else with a guess."""
    def storable(value):  # a function argument (e.g. f of a derivative) matches anything
        try:
            pickle.dumps(value)
            return value
        except Exception:
            return "<any>"

    calls = [(tuple(storable(a) for a in args), {k: storable(v) for k, v in kwargs.items()}, storable(result))
             for args, kwargs, result in record_visible_calls(solution, None, function, test_id)]
    table = base64.b64encode(pickle.dumps(calls)).decode()
    body = (f"import pickle, base64\n    import numpy as np\n"
            f"    def same(a, b):\n"
            f"        if isinstance(a, str) and a == '<any>':\n"
            f"            return True\n"
            f"        if isinstance(a, dict) and isinstance(b, dict):\n"
            f"            return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)\n"
            f"        if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):\n"
            f"            return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))\n"
            f"        try:\n"
            f"            return bool(np.array_equal(np.asarray(a), np.asarray(b)))\n"
            f"        except Exception:\n"
            f"            return False\n"
            f"    table = pickle.loads(base64.b64decode('{table}'))\n"
            f"    for known_args, known_kwargs, answer in table:\n"
            f"        if same(list(known_args), list(args)) and same(known_kwargs, kwargs):\n"
            f"            return answer\n"
            f"    return table[0][2]")
    return break_function(answer_id, function, body)


# Cases that cost a cell's whole timeout in every cell that calls them (the grader cannot
# tell an endless loop from a slow answer): aimed at the function that the fewest cells call
# (learners' cells too: see calling_cells), then the fewest test cells reach, so the loop is
# still stopped, and costs only its own points, at the price of one timeout where the
# notebook allows it (01, 03-06) instead of two to four.
AIMED_AT_THE_FEWEST_CELLS = {"endless-loop"}


def cases(assignment: str, solution) -> list[Case]:
    """Every kind of bad submission, each aimed at one answer function (rotating over them)."""
    own, through = dependencies(solution)
    called = calling_cells(solution)
    targets = [(nbgrader_meta(cell)["grade_id"], name) for cell in answer_cells(solution)
               for name in functions_defined(cell.source)[:1] if own.get(name)]
    assert targets, f"{assignment}: no answer function is called by a test cell"
    rotation = iter(range(10_000))
    result = []

    def add(key, what, make, breaks=True, integrity=False):
        answer_id, function = targets[next(rotation) % len(targets)]
        if key in AIMED_AT_THE_FEWEST_CELLS:
            answer_id, function = min(targets, key=lambda t: (called[t[1]], len(own[t[1]] | through[t[1]])))
        first_test = sorted(own[function], key=lambda t: cell_index(solution, t))[0]
        change = make(answer_id, function, first_test)
        result.append(Case(key, what.format(test=first_test), function, answer_id, breaks, integrity, change,
                           own[function], through[function]))

    for key, what in [("exception", "an exception"), ("wrong-shape", "a wrong shape"),
                      ("wrong-dtype", "a wrong dtype (text)"), ("nan", "NaN"), ("none", "None"), ("list", "a list"),
                      ("endless-loop", "an endless loop"), ("sys-exit", "sys.exit()"),
                      ("os-exit", "os._exit() (the process dies)"),
                      ("always-equal", "a value whose ==, <, > are always true")]:
        add(key, what, lambda a, f, t, key=key: break_function(a, f, BODIES[key]))
    add("patched-numpy", "np.allclose/isclose/array_equal, np.testing.*, builtins patched; wrong answer",
        lambda a, f, t: break_function(a, f, BODIES["zeros"], prefix=PATCH_LIBRARIES))
    add("patched-checks", "the course's checks patched and shadowed; wrong answer",
        lambda a, f, t: break_function(a, f, BODIES["zeros"], prefix=PATCH_CHECKS))

    def edit_test(a, f, t):
        wrong = break_function(a, f, BODIES["zeros"])

        def change(nb):
            wrong(nb)
            nb.cells[cell_index(nb, t)].source = "assert True"
        return change
    add("edited-test", "test cell {test} edited to `assert True`; wrong answer", edit_test, integrity=True)

    def delete_test(a, f, t):
        wrong = break_function(a, f, BODIES["zeros"])

        def change(nb):
            wrong(nb)
            del nb.cells[cell_index(nb, t)]
        return change
    add("deleted-test", "test cell {test} deleted; wrong answer", delete_test, integrity=True)

    def duplicate(a, f, t):
        def change(nb):
            index = cell_index(nb, a)
            copy = nbformat.from_dict(nb.cells[index])
            copy.source = replace_function(copy.source, f, f"def {f}(*args, **kwargs):\n    return None\n")
            copy.id = copy.id + "-copy"
            nb.cells.insert(index, copy)  # a wrong copy first, the right one after it: the later one counts
        return change
    add("duplicated-answer", "answer cell duplicated (wrong copy, then the right one)", duplicate, breaks=False,
        integrity=True)

    def split(a, f, t):
        def change(nb):
            index = cell_index(nb, a)
            second = nbformat.from_dict(nb.cells[index])
            nb.cells[index].source = replace_function(nb.cells[index].source, f, "", keep_original_as="_helper_" + f)
            second.source = f"def {f}(*args, **kwargs):\n    return _helper_{f}(*args, **kwargs)\n"
            second.id = second.id + "-part-2"
            nb.cells.insert(index + 1, second)  # one answer over two cells with one grade id
        return change
    add("split-answer", "answer cell split in two (same grade id)", split, breaks=False, integrity=True)
    add("hard-coded", "hard-coded to the visible test of {test}", lambda a, f, t: hard_coded(solution, a, f, t))
    add("megabytes", "megabytes of printed output (and a right answer)",
        lambda a, f, t: break_function(a, f, "print('spam ' * 400_000)\n    return _orig(*args, **kwargs)",
                                       prefix="print('x' * 3_000_000)\n"), breaks=False)
    return result


def learners(assignment: str, solution, release) -> list[Learner]:
    """The control, the untouched release, and the cases packed into as few learners as possible:
    cases share a learner only when the test cells they can reach are disjoint."""
    tests = set(graded_cells(solution))
    result = [Learner("control", solution), Learner("stub-untouched", release)]
    result[1].cases.append(Case("stub", "stub untouched (the release)", own=tests))
    packed: list[Learner] = []
    for case in cases(assignment, solution):
        reach = case.own | case.through
        home = next((l for l in packed if not reach & set().union(*[c.own | c.through for c in l.cases])), None)
        if home is None:
            home = Learner(f"learner-{len(packed) + 1:02d}", nbformat.from_dict(solution))
            packed.append(home)
        case.change(home.notebook)
        home.cases.append(case)
    return result + packed
