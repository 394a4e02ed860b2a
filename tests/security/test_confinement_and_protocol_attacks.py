"""What a learner's code can reach and use (issue 13, rows 6, 7 and 9, and more), and the wire to the grader.

- ``solutions/`` read through ``../..``, absolute paths and ``course_utils.__file__``: the
  hidden tests printed, the solution's answers run (full marks if the file is readable);
- other learners' submissions read and their answers run;
- 3 GiB allocated, a 1 GiB file written, 400 processes started (three learners); a TCP
  connection to a listener the test opened on 127.0.0.1; the instructor's secret variable
  looked for in its own and every visible process's environment;
- symlinks and a hard link from its folder to the solutions and the gradebook;
- a markdown cell with ``<script>``, ``<img onerror>``, ``<svg onload>``, a ``javascript:`` link.
- on the wire between its sandbox and the grader (rows 1 and 8): replies forged on the reply
  channel, names never asked for, malformed messages (garbage, a 2**62-byte length, 300,000
  levels of nesting, wrong types), 60 MB printed, 51 MB of output in its own replies, and
  values pickled as object arrays that run a command if loaded.
Each attacker has only stubs: its code earns 0. All of them are graded in ONE class, twice (a
copy of the course and a class's grading cost some 50 s: once, not once for each kind).
"""
from __future__ import annotations

import os
import re
import uuid
import textwrap
import threading
from html.parser import HTMLParser

import pytest

from attacks import PRELUDE, extra_names, forged_output, forged_replies, huge_output, malformed, pickled_array
from classroom import SECRET_NAME, CourseCopy, describe, grade_class
from learners import attacker
from ports import listening_socket

pytestmark = pytest.mark.slow

READ_SOLUTIONS = PRELUDE + textwrap.dedent('''
    _places = _find("solutions/01_loss/01_loss.ipynb") + [os.path.abspath(os.path.join(os.getcwd(), *[".."] * n,
                    "solutions/01_loss/01_loss.ipynb")) for n in range(1, 7)]
    for _path in dict.fromkeys(_places):
        try:
            _cells = json.load(open(_path))["cells"]
        except OSError:
            continue
        for _cell in _cells:
            _source = "".join(_cell["source"])
            if "BEGIN HIDDEN TESTS" in _source:
                print("ATTACK solutions: hidden test\\n" + _source)
            if _cell.get("metadata", {}).get("nbgrader", {}).get("solution") and _cell["cell_type"] == "code":
                exec(_source, globals())
        print("ATTACK solutions: read and ran", _path)
        break
    else:
        print("ATTACK solutions: nothing readable")
''')

COPY_OTHERS = PRELUDE + textwrap.dedent('''
    _places = _roots() + ["/submissions", "/scratch", "/tmp"]
    _theirs = [p for r in _places for pattern in ("*honest-correct*/**/*.ipynb", "*/*honest-correct*/**/*.ipynb")
               for p in glob.glob(os.path.join(r, pattern), recursive=True)]
    for _path in _theirs:
        for _cell in json.load(open(_path))["cells"]:
            if _cell.get("metadata", {}).get("nbgrader", {}).get("solution") and _cell["cell_type"] == "code":
                exec("".join(_cell["source"]), globals())
        print("ATTACK copy: ran the answers of", _path)
        break
    else:
        print("ATTACK copy: no other learner in sight")
''')

MEMORY = textwrap.dedent('''
    try:
        import numpy as _np
        _big = _np.ones(3 << 30, dtype=_np.uint8)
        print("ATTACK memory: allocated and filled 3 GiB")
        del _big
    except MemoryError:
        print("ATTACK memory: refused")
''')

BIG_FILE = textwrap.dedent('''
    import os
    _written = 0
    try:
        with open("big.bin", "wb") as _f:
            _chunk = b"\\0" * (64 << 20)
            while _written < (1 << 30):
                _f.write(_chunk)
                _written += len(_chunk)
    except OSError as error:
        print("ATTACK file: stopped", error)
    finally:
        print("ATTACK file: wrote", _written >> 20, "MiB")
        try:
            os.remove("big.bin")
        except OSError:
            pass
''')

FORKS = textwrap.dedent('''
    import os
    _children = []
    for _ in range(400):
        try:
            _pid = os.fork()
        except OSError as error:
            print("ATTACK processes: fork refused", error)
            break
        if _pid == 0:
            import time
            time.sleep(2)
            os._exit(0)
        _children.append(_pid)
    print("ATTACK processes: started", len(_children))
    for _pid in _children:
        os.waitpid(_pid, 0)
''')


def network_and_secrets(port: int) -> str:
    return textwrap.dedent(f'''
        import os, socket
        try:
            with socket.create_connection(("127.0.0.1", {port}), timeout=3) as _s:
                _s.sendall(b"hello from a learner")
            print("ATTACK network: connected to 127.0.0.1:{port}")
        except OSError as error:
            print("ATTACK network: refused", error)
        print("ATTACK secrets: my environment has", sorted(os.environ))
        print("ATTACK secrets: mine", os.environ.get("{SECRET_NAME}"))
        for _pid in os.listdir("/proc"):
            try:
                _env = open(f"/proc/{{_pid}}/environ", "rb").read().split(b"\\0")
            except OSError:
                continue
            for _entry in _env:
                if _entry.startswith(b"{SECRET_NAME}="):
                    print("ATTACK secrets: process", _pid, _entry.decode())
    ''')


LINKS = PRELUDE + textwrap.dedent('''
    for _target in _find("solutions/01_loss/01_loss.ipynb") + _gradebooks() + ["/"]:
        _name = "link-" + _target.strip("/").replace("/", "_")[-40:]
        try:
            os.symlink(_target, _name)
            print("ATTACK links: symlink", _name, "->", _target)
        except OSError as error:
            print("ATTACK links: symlink refused", error)
    for _target in _gradebooks():
        try:
            os.link(_target, "hard-gradebook")
            print("ATTACK links: hard link to", _target)
        except OSError as error:
            print("ATTACK links: hard link refused", error)
''')

XSS = ("Notes\n\n<script>window.lfmXss = 1; alert('lfm-xss')</script>\n\n<img src=x onerror=\"alert('lfm-xss')\">\n\n"
       "<svg onload=\"alert('lfm-xss')\"></svg>\n\n<a href=\"javascript:alert('lfm-xss')\">click</a>\n\n"
       "<iframe srcdoc=\"<script>alert('lfm-xss')</script>\"></iframe>\n")
XSS_CODE = textwrap.dedent('''
    from IPython.display import HTML, display
    display(HTML("<script>alert('lfm-xss')</script><img src=x onerror=\\"alert('lfm-xss')\\">"))
''')


class LiveScript(HTMLParser):
    """Collects everything in a page that a browser would run on its own."""

    def __init__(self):
        super().__init__()
        self.found, self.in_script = [], False

    def handle_starttag(self, tag, attrs):
        self.in_script = tag == "script"
        for name, value in attrs:
            value = value or ""
            if name.startswith("on") or (name in ("href", "src", "srcdoc") and
                                         ("javascript:" in value.lower() or "<script" in value.lower())):
                self.found.append(f"<{tag} {name}={value[:60]!r}>")

    def handle_data(self, data):
        if self.in_script and "lfm" in data:
            self.found.append(f"<script>{data[:60]!r}")

    def handle_endtag(self, tag):
        self.in_script = False


@pytest.fixture(scope="module")
def listener():
    server = listening_socket()  # outside the kernels' ephemeral range: tests/ports.py
    server.settimeout(0.5)
    connections, stop = [], threading.Event()

    def serve():
        while not stop.is_set():
            try:
                connections.append(server.accept()[1])
            except OSError:
                continue
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], connections
    stop.set()
    thread.join()
    server.close()


PICKLE_FLAG = f"/tmp/lfm-pickle-{uuid.uuid4().hex[:10]}"
PROTOCOL_ATTACKERS = {
    "m-forged-replies": forged_replies,
    "m-extra-names": extra_names,
    "m-malformed-garbage": lambda: malformed("garbage"),
    "m-malformed-huge-length": lambda: malformed("huge-length"),
    "m-malformed-deep-nesting": lambda: malformed("deep-nesting"),
    "m-malformed-wrong-types": lambda: malformed("wrong-types"),
    "m-huge-output": huge_output,
    "m-pickle": lambda: pickled_array(PICKLE_FLAG),
    "m-forged-output": forged_output,
}


@pytest.fixture(scope="module")
def graded(template, tmp_path_factory, listener):
    where = tmp_path_factory.mktemp("confinement-and-protocol")
    course = CourseCopy.clone(template, where / "course")
    attackers = {"m-solutions": attacker(course, READ_SOLUTIONS, every_answer=True),
                 "m-copy": attacker(course, COPY_OTHERS, every_answer=True),
                 "m-memory": attacker(course, MEMORY), "m-big-file": attacker(course, BIG_FILE),
                 "m-forks": attacker(course, FORKS),
                 "m-network": attacker(course, network_and_secrets(listener[0])),
                 "m-links": attacker(course, LINKS), "m-xss": attacker(course, XSS_CODE, markdown=XSS),
                 **{name: attacker(course, make()) for name, make in PROTOCOL_ATTACKERS.items()}}
    yield grade_class(course, attackers, where)
    if os.path.exists(PICKLE_FLAG):
        os.remove(PICKLE_FLAG)


def test_confinement_and_protocol_attacks_leave_every_promise_standing(graded):
    problems = graded.postcondition_failures({name: 0.0 for name in graded.notes})
    assert not problems, "\n".join(problems) + "\n" + describe(graded)


def test_hidden_tests_never_reach_feedback_or_output(graded):
    hidden = re.findall(r"_rng_\w+ = np\.random\.default_rng\(\d+\)", graded.course.solution_notebook().__repr__())
    assert hidden
    for student in graded.notes:
        page = graded.course.feedback_page(student).read_text()
        assert not [line for line in hidden if line in page], student
    printed = graded.course.printed("m-solutions")
    assert not [line for line in hidden if line in printed], printed[:500]


def test_no_connection_reached_the_instructors_machine(graded, listener):
    assert listener[1] == [], describe(graded)


def test_the_instructors_secret_is_nowhere(graded, secret):
    texts = [r.output for r, *_ in graded.runs] + [graded.feedback.output, graded.export.output]
    files = [p for p in (graded.course.root / "grading").rglob("*") if p.is_file() and not p.is_symlink()]
    leaks = [str(p) for p in files if secret.encode() in p.read_bytes()]
    assert not leaks and not [t for t in texts if secret in t], (leaks, describe(graded))


def test_resources_are_limited(graded):
    notes = " | ".join(graded.notes["m-memory"] + graded.notes["m-big-file"] + graded.notes["m-forks"])
    assert "memory: refused" in notes and "wrote 1024 MiB" not in notes and "file: wrote" in notes, notes
    started = re.search(r"processes: started (\d+)", notes)
    assert started is not None and int(started.group(1)) < 400, notes


def test_no_link_from_grading_outputs_leads_out(graded):
    grading = graded.course.root / "grading"
    links = [p for p in grading.rglob("*") if p.is_symlink()]
    assert links == [] and graded.course.gradebook.stat().st_nlink == 1, (links, describe(graded))


def test_feedback_html_has_no_live_script(graded):
    parser = LiveScript()
    parser.feed(graded.course.feedback_page("m-xss").read_text())
    assert parser.found == [], parser.found


# ---- the wire between the sandbox and the grader

@pytest.mark.parametrize("name", sorted(PROTOCOL_ATTACKERS))
def test_attacker_earns_nothing_and_is_reported_in_every_run(graded, name):
    for number, (result, grades, _, _) in enumerate(graded.runs, 1):
        assert grades.get(name, {}).get("total") == 0, (number, name, describe(graded))
        assert f"  {name}" in result.stdout, (number, result.stdout[-2000:])


@pytest.mark.parametrize("name", ["m-huge-output", "m-forged-output"])
def test_huge_output_is_cut_to_the_limit(graded, name):
    """20,000 characters a cell are kept (README), however the output reached the grader."""
    for path in (graded.course.autograded(name), graded.course.feedback_page(name)):
        assert path.exists() and path.stat().st_size < 1_000_000, (path, path.exists() and path.stat().st_size)


def test_nothing_the_sandbox_sends_is_unpickled(graded):
    assert not os.path.exists(PICKLE_FLAG), describe(graded)
