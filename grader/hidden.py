"""The one interface of hidden test cells: ``from grader import hidden``, then ``hidden.check("name", value, ...)``.

``name`` is a check of the assignment's grading folder (a function of its ``checks.py``) or a variable of its answer
key (``answers.py``); the values are the student's objects, then the check's own arguments::

    ### BEGIN HIDDEN TESTS
    from grader import hidden
    hidden.check("spread", initialize_parameters_he, "he_normal")
    hidden.check("q1_rank", q1_rank)
    ### END HIDDEN TESTS

A failing check raises AssertionError with a message for the student, and nbgrader scores the cell 0.

Which assignment is graded: ``GRADER_COURSE`` and ``GRADER_ASSIGNMENT`` in the environment (``grader autograde``
sets them); else the notebook's folder, as ``nbgrader autograde`` and ``nbgrader validate`` run it: the course is the
nearest folder above it with an nbgrader_config.py, the assignment the nearest folder on the way whose name has a
grading folder (``autograded/<student>/<assignment>/``, ``source/<assignment>/``). The checks are loaded once per
process (the fork engine's warm server loads every assignment's before any notebook runs: `preload`).

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
    assignment_dir,
    engine_settings,
    grading_assignments,
)

_loaded: dict[tuple[str, str], loader.AssignmentChecks] = {}


def check(name: str, *values: Any, **options: Any) -> None:
    """Run check (or answer) ``name`` of this notebook's assignment on ``values``; AssertionError when it fails."""
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


def preload(root: Path | str, watch: Sequence[str] = DEFAULT_WATCH) -> list[str]:
    """Load the checks of every assignment of the course at ``root`` that has some (the warm server does, before
    it forks): the assignments loaded."""
    root = Path(root)
    names = grading_assignments(root)
    for assignment in names:
        load(root, assignment, watch)
    return names


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


seal_package([__name__])
