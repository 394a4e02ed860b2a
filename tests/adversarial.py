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

import nbformat

from nbgrader_course import load_mistakes

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


def affected_tests(nb, assignment: str, answer_id: str) -> set[str]:
    """The test cells that must lose their points when this answer cell's function is broken."""
    mistakes = load_mistakes(assignment)
    if answer_id in mistakes:
        return set(mistakes[answer_id]["loses"])
    # Fallback: the test cells between this answer cell and the next answer cell.
    start = cell_index(nb, answer_id)
    found = set()
    for cell in nb.cells[start + 1:]:
        meta = nbgrader_meta(cell)
        if meta.get("solution"):
            break
        if meta.get("grade"):
            found.add(meta["grade_id"])
    return found


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

BODIES = {
    "exception": "raise ValueError('something went wrong in my code')",
    "wrong-shape": "return _each(_orig(*args, **kwargs), lambda a: a[None, ...].repeat(2, axis=0))",
    "wrong-dtype": "return _each(_orig(*args, **kwargs), lambda a: a.astype(str))",
    "nan": "return _each(_orig(*args, **kwargs), lambda a: a * float('nan'))",
    "none": "return None",
    "list": "return _each(_orig(*args, **kwargs), lambda a: a.reshape(-1).tolist())",
    "endless-loop": "while True:\n        pass",
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
    learner: str
    what: str
    notebook: nbformat.NotebookNode
    loses: set[str] = field(default_factory=set)
    function: str = ""
    answer_id: str = ""
    integrity: bool = False  # must appear in the integrity report


def broken(solution, answer, function: str, body: str, prefix: str = "") -> nbformat.NotebookNode:
    nb = nbformat.from_dict(solution)
    cell = nb.cells[cell_index(nb, nbgrader_meta(answer)["grade_id"])]
    definition = EACH + f"def {function}(*args, **kwargs):\n    {body}\n"
    cell.source = prefix + replace_function(cell.source, function, definition, keep_original_as="_orig")
    return nb


def record_visible_calls(solution, answer, function: str, test_id: str) -> list:
    """(args, kwargs, result) of each call the visible part of ``test_id`` makes to ``function``."""
    import os

    os.environ.setdefault("MPLBACKEND", "Agg")
    namespace = {"__name__": "__main__"}
    calls = []
    stop = cell_index(solution, test_id)
    for cell in solution.cells[:stop]:
        meta = nbgrader_meta(cell)
        if cell.cell_type == "code" and (meta.get("solution") or (meta.get("locked") and not meta.get("grade"))):
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


def hard_coded(solution, answer, function: str, test_id: str) -> nbformat.NotebookNode:
    """The function answers the visible test's exact inputs from a table, anything else with a guess."""
    table = base64.b64encode(pickle.dumps(record_visible_calls(solution, answer, function, test_id))).decode()
    body = (f"import pickle, base64\n    import numpy as np\n"
            f"    table = pickle.loads(base64.b64decode('{table}'))\n"
            f"    for known_args, known_kwargs, answer in table:\n"
            f"        if len(known_args) == len(args) and all(np.array_equal(np.asarray(a), np.asarray(b)) "
            f"for a, b in zip(known_args, args)):\n"
            f"            return answer\n"
            f"    return table[0][2]")
    return broken(solution, answer, function, body)


def cases(assignment: str, solution, release) -> list[Case]:
    answers = answer_cells(solution)
    tests = graded_cells(solution)
    assert answers, f"{assignment}: no answer cell defines a function"
    result = [Case("control", "the solution (control)", solution),
              Case("stub-untouched", "stub untouched (the release)", release, loses=set(tests))]
    rotation = iter(range(10_000))

    def target():
        answer = answers[next(rotation) % len(answers)]
        answer_id = nbgrader_meta(answer)["grade_id"]
        function = functions_defined(answer.source)[0]
        return answer, answer_id, function, affected_tests(solution, assignment, answer_id)

    simple = [("exception", "an exception"), ("wrong-shape", "a wrong shape"), ("wrong-dtype", "a wrong dtype (text)"),
              ("nan", "NaN"), ("none", "None"), ("list", "a list"), ("endless-loop", "an endless loop"),
              ("sys-exit", "sys.exit()"), ("os-exit", "os._exit() (the process dies)"),
              ("always-equal", "a value whose ==, <, > are always true")]
    for key, what in simple:
        answer, answer_id, function, loses = target()
        result.append(Case(key, what, broken(solution, answer, function, BODIES[key]), loses, function, answer_id))

    answer, answer_id, function, loses = target()
    result.append(Case("patched-numpy", "np.allclose/isclose/array_equal, np.testing.*, builtins patched; wrong answer",
                       broken(solution, answer, function, BODIES["zeros"], prefix=PATCH_LIBRARIES),
                       loses, function, answer_id))
    answer, answer_id, function, loses = target()
    result.append(Case("patched-checks", "the course's checks patched and shadowed; wrong answer",
                       broken(solution, answer, function, BODIES["zeros"], prefix=PATCH_CHECKS),
                       loses, function, answer_id))

    answer, answer_id, function, loses = target()
    own_test = sorted(loses, key=lambda t: cell_index(solution, t))[0]
    nb = broken(solution, answer, function, BODIES["zeros"])
    nb.cells[cell_index(nb, own_test)].source = "assert True"
    result.append(Case("edited-test", f"test cell {own_test} edited to `assert True`; wrong answer",
                       nb, loses, function, answer_id, integrity=True))

    answer, answer_id, function, loses = target()
    own_test = sorted(loses, key=lambda t: cell_index(solution, t))[0]
    nb = broken(solution, answer, function, BODIES["zeros"])
    del nb.cells[cell_index(nb, own_test)]
    result.append(Case("deleted-test", f"test cell {own_test} deleted; wrong answer", nb, loses, function, answer_id,
                       integrity=True))

    answer, answer_id, function, loses = target()
    nb = nbformat.from_dict(solution)
    index = cell_index(nb, answer_id)
    first = nbformat.from_dict(nb.cells[index])
    first.source = replace_function(first.source, function, f"def {function}(*args, **kwargs):\n    return None\n")
    first.id = first.id + "-copy"
    nb.cells.insert(index, first)  # a wrong copy first, the right one after it: the later one counts
    result.append(Case("duplicated-answer", "answer cell duplicated (wrong copy, then the right one)", nb,
                       set(), function, answer_id, integrity=True))

    answer, answer_id, function, loses = target()
    nb = nbformat.from_dict(solution)
    index = cell_index(nb, answer_id)
    second = nbformat.from_dict(nb.cells[index])
    nb.cells[index].source = replace_function(nb.cells[index].source, function, "", keep_original_as="_helper")
    second.source = f"def {function}(*args, **kwargs):\n    return _helper(*args, **kwargs)\n"
    second.id = second.id + "-part-2"
    nb.cells.insert(index + 1, second)  # one answer split over two cells with one grade id
    result.append(Case("split-answer", "answer cell split in two (same grade id)", nb, set(), function, answer_id,
                       integrity=True))

    answer, answer_id, function, loses = target()
    own_test = sorted(loses, key=lambda t: cell_index(solution, t))[0]
    result.append(Case("hard-coded", f"hard-coded to the visible test of {own_test}",
                       hard_coded(solution, answer, function, own_test), loses, function, answer_id))

    answer, answer_id, function, loses = target()
    result.append(Case("megabytes", "megabytes of printed output (and a right answer)",
                       broken(solution, answer, function, "print('spam ' * 400_000)\n"
                              "    return _orig(*args, **kwargs)", prefix="print('x' * 3_000_000)\n"),
                       set(), function, answer_id))
    return result
