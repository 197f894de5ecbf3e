"""Hidden checks of {{name}}, never released.

Each public function is one check, called by its name from a hidden test cell.

What to edit: replace ``mean`` with a check per function learners write (or list them in ``__all__``). A hidden test
cell calls ``hidden.check("mean", mean)``: the first values are the learner's objects, then the check's own
arguments. A check runs the learner's function on inputs the notebook never shows, turns what it returns into
trusted values (``as_number``, ``as_float_array``) and raises through ``fail`` with a message that names the
mistake when it is a known one (``grader validate`` holds mistakes.py to those words).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from grader.checks import as_number, call_student, fail

CASES: tuple[tuple[float, ...], ...] = ((-4.0, 1.0, 9.5), (3, 4), (0.1, 0.2, 0.3, 0.4, 1e6), (-7.25, -7.25), (2.5,))
"""Inputs the notebook never shows: negatives, whole numbers, a large spread, equal values, one value."""


def mean(fn: Callable[..., Any]) -> None:
    """mean(values) returns sum(values) / len(values) on unseen lists, and leaves the list as it was."""
    name = "mean"
    for case in CASES:
        values = list(case)
        got = as_number(call_student(name, fn, values), name)
        if values != list(case):
            fail(name, f"mean({list(case)}) changed the list it was given; compute the mean without changing it")
        n, total = len(case), math.fsum(case)
        truth = total / n
        if math.isclose(got, truth, rel_tol=1e-9, abs_tol=1e-12):
            continue
        call = f"mean({list(case)}) returned {got:g} instead of {truth:g}"
        if math.isclose(got, total, rel_tol=1e-9, abs_tol=1e-12):
            fail(name, f"{call}: you returned the sum; divide it by the number of values, len(values)")
        if n > 1 and math.isclose(got, total / (n - 1), rel_tol=1e-9, abs_tol=1e-12):
            fail(name, f"{call}: you divided by n - 1 (as for a sample variance); the mean divides by n = {n}")
        fail(name, f"{call}: the mean is the sum of the values divided by how many there are")
