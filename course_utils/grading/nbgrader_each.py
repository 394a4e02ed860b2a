"""One nbgrader command for several assignments, in one process.

    python -m course_utils.grading.nbgrader_each generate_assignment 01_loss 02_gradient_descent -- --force

is ``nbgrader generate_assignment 01_loss --force``, then the same for 02_gradient_descent,
run from the course folder (nbgrader reads ``nbgrader_config.py`` only from there). nbgrader
takes one assignment per command, and starting it costs about 2.5 s (its imports and its
configuration): releasing or writing feedback for eight assignments paid that eight times.
Here it is paid once, and each assignment still runs as nbgrader's own command would
(a fresh application, the same configuration read again), one after another.

Each assignment's outcome is printed as ``nbgrader_each <command> <assignment> ok|failed``,
and these lines are all that goes to standard output: whatever nbgrader (or a command it
starts) writes there goes to standard error instead, so no text nbgrader passes on can
pose as an outcome. The exit status is 0 when every one succeeded and 1 otherwise. A failure
stops nothing: the next assignment still runs, as separate commands would.
"""
from __future__ import annotations

import os
import sys


def _clear_instances() -> None:
    """nbgrader's applications are singletons: forget the last run's, so the next starts afresh."""
    from traitlets.config import SingletonConfigurable

    from nbgrader.apps.nbgraderapp import NbGraderApp

    for app in [NbGraderApp, *NbGraderApp.__subclasses__()]:
        app.clear_instance()
    for klass in list(_subclasses(SingletonConfigurable)):
        if klass._instance is not None:
            klass.clear_instance()


def _subclasses(klass):
    for sub in klass.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def run_one(command: str, assignment: str, options: list[str]) -> bool:
    """``nbgrader <command> <assignment> <options>`` in this process; whether it succeeded."""
    from nbgrader.apps.nbgraderapp import NbGraderApp

    _clear_instances()
    try:
        NbGraderApp.launch_instance([command, assignment, *options])
    except SystemExit as stop:
        return stop.code in (None, 0)
    except Exception:  # noqa: BLE001 (nbgrader's own command would print it and exit 1)
        import traceback

        traceback.print_exc()
        return False
    finally:
        _clear_instances()
    return True


def main(argv: list[str]) -> int:
    if "--" in argv:
        cut = argv.index("--")
        names, options = argv[:cut], argv[cut + 1:]
    else:
        names, options = argv, []
    if len(names) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    command, assignments = names[0], names[1:]
    sys.stdout.flush()
    report = os.fdopen(os.dup(1), "w")   # the outcomes' own channel
    os.dup2(2, 1)                        # everything else written to standard output: standard error
    failed = False
    with report:
        for assignment in assignments:
            ok = run_one(command, assignment, options)
            print(f"nbgrader_each {command} {assignment} {'ok' if ok else 'failed'}", file=report, flush=True)
            failed |= not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
