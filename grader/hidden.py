"""The one interface of hidden test cells: ``from grader import hidden``, then ``hidden.check("name", value, ...)``.

``name`` is a check of the assignment's grading folder (a function of its ``checks.py``) or a variable of its answer
key (``answers.py``); the values are the student's objects, then the check's own arguments::

    ### BEGIN HIDDEN TESTS
    from grader import hidden
    hidden.check("spread", initialize_parameters_he, "he_normal")
    hidden.check("q1_rank", q1_rank)
    ### END HIDDEN TESTS

A failing check raises AssertionError with a message for the student, and nbgrader scores the cell 0.

Where the check runs:

- ``grader autograde`` (either executor) sets ``GRADER_JUDGE``: the check runs in the course's judge, a process of
  the grader's (`grader.judge`); this process only calls the student's functions when the judge asks, and the
  grader takes the verdict from the judge, not from here.
- Otherwise (plain ``nbgrader autograde`` and ``nbgrader validate``) it runs here, in the notebook's process, with
  the course's checks guarded against tampering (`grader.checks.seal`) but readable by the student's code. The
  course and assignment come from ``GRADER_COURSE`` and ``GRADER_ASSIGNMENT``, or else from the notebook's
  folder: the course is the nearest folder above it with an nbgrader_config.py, the assignment the nearest folder
  on the way whose name has a grading folder (``autograded/<student>/<assignment>/``, ``source/<assignment>/``).

This module seals itself when imported: ``hidden.check = ...`` in a notebook raises AttributeError.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from grader.checks import loader
from grader.checks.seal import seal_package
from grader.grading import (
    ASSIGNMENT_VARIABLE,
    CONFIG_FILE,
    COURSE_VARIABLE,
    DEFAULT_WATCH,
    JUDGE_VARIABLE,
    TOKEN_VARIABLE,
    assignment_dir,
    engine_settings,
    grading_assignments,
)
from grader.judge.client import Client

_loaded: dict[tuple[str, str], loader.AssignmentChecks] = {}
_remote: dict[str, Client] = {}


def check(name: str, *values: Any, **options: Any) -> None:
    """Run check (or answer) ``name`` of this notebook's assignment on ``values``; AssertionError when it fails."""
    if os.environ.get(JUDGE_VARIABLE):
        if "client" not in _remote:
            _remote["client"] = Client(os.environ[JUDGE_VARIABLE], os.environ.get(TOKEN_VARIABLE, ""))
        _remote["client"].check(name, values, options)
        return
    root, assignment = locate()
    checks = _loaded.get((str(root), assignment))
    if checks is None:
        checks = load(root, assignment)
    checks.run(name, *values, **options)


def load(root: Path, assignment: str, watch: Sequence[str] | None = None) -> loader.AssignmentChecks:
    """The checks of ``assignment``, loaded once per process; ``watch`` defaults to the course's c.Engine.watch."""
    key = (str(root), assignment)
    if key not in _loaded:
        if watch is None:
            watch = engine_settings(root).watch if (root / CONFIG_FILE).is_file() else DEFAULT_WATCH
        _loaded[key] = loader.load(root, assignment, watch)
    return _loaded[key]


def locate(cwd: Path | str | None = None, environ: Mapping[str, str] | None = None) -> tuple[Path, str]:
    """(course root, assignment) of the notebook running here; LookupError when neither the environment nor the
    folders say."""
    environ = os.environ if environ is None else environ
    course, assignment = environ.get(COURSE_VARIABLE), environ.get(ASSIGNMENT_VARIABLE)
    if course and assignment:
        return Path(course), assignment
    here = Path(os.getcwd() if cwd is None else cwd).resolve()
    for root in [here, *here.parents]:
        if (root / CONFIG_FILE).is_file():
            way = here.relative_to(root).parts
            for name in reversed(way):
                if assignment_dir(root, name).is_dir():
                    return root, name
            raise LookupError(f"hidden tests: {here} is in the course {root}, but no folder on the way names one of "
                              f"its grading folders ({', '.join(grading_assignments(root)) or 'none'}); set "
                              f"{COURSE_VARIABLE} and {ASSIGNMENT_VARIABLE}")
    raise LookupError(f"hidden tests: {here} is not inside an nbgrader course (no {CONFIG_FILE} above it); set "
                      f"{COURSE_VARIABLE} and {ASSIGNMENT_VARIABLE}")


seal_package([__name__, *loader.SEALED])  # all of the checks' machinery, before any notebook code runs
