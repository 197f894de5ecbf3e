"""The shipped course's checks and grading modules, loaded as the grader loads them (`grader.hidden.load`): guarded
and sealed, from ``assignments/grading/``. The tests of the course's checks take them from here."""

from __future__ import annotations

import importlib
import types

from grader import hidden
from grader.checks.loader import AssignmentChecks
from grader.course import EMBEDDED_COURSE
from grader.grading import package_name


def checks(assignment: str) -> AssignmentChecks:
    """The checks and answer key of ``assignment`` (``.run(name, *values)`` is what ``hidden.check`` calls)."""
    return hidden.load(EMBEDDED_COURSE, assignment)


def module(path: str) -> types.ModuleType:
    """A module of the course's grading folder by its dotted path there, e.g. ``init_symmetry.duplicates``."""
    return importlib.import_module(f"{package_name(EMBEDDED_COURSE)}.{path}")
