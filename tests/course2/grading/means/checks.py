"""Checks of ``means``: column means, the median and the standard deviation with ddof, on data the notebook never
shows.

Each check computes the truth itself with NumPy, runs the student's function through `call_student`, turns what it
returns into a trusted value (`as_float_array`, `as_number`), checks that the input was left as it was, and when a
wrong result matches a known mistake (the mean over the wrong axis, the middle of unsorted data, n instead of
n - ddof, the variance instead of the standard deviation) the message names it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from grader.checks import as_float_array, as_number, call_student, fail

__all__ = ["column_means", "median", "sample_std"]

TOL = 1e-9
"""Largest relative (and absolute) difference accepted between a student's value and the truth."""


def _close(got: float | np.ndarray, expected: float | np.ndarray) -> bool:
    return bool(np.allclose(got, expected, rtol=TOL, atol=TOL))


def _people(seed: int, shape: tuple[int, ...]) -> np.ndarray:
    """Heights-like data (around 170, spread 10) the notebook never shows."""
    return 170.0 + 10.0 * np.random.default_rng(seed).standard_normal(shape)


def _unchanged(function: str, before: np.ndarray, after: np.ndarray, name: str) -> None:
    """The array the student was given still holds exactly what it held before the call."""
    if after.shape == before.shape and np.array_equal(after, before):
        return
    if after.shape == before.shape and after.ndim == 1 and np.array_equal(after, np.sort(before)):
        fail(function, f"your function sorted {name} in place ({name}.sort()), which reorders the caller's array: "
                       f"np.sort({name}) returns a sorted copy and leaves {name} alone")
    fail(function, f"your function changed {name} in place (an assignment like {name}[...] = ... or {name} -= ...): "
                   f"the caller still needs it. Build a new array instead")


def _shown(x: np.ndarray) -> str:
    return "[" + ", ".join(f"{v:g}" for v in x) + "]"


# --- column_means -------------------------------------------------------------------------------------------------

MEANS_SHAPES: tuple[tuple[int, int], ...] = ((7, 3), (4, 4), (1, 5), (6, 1))
"""Shapes of the arrays column_means is tried on: more rows than columns, square, one row, one column."""


def column_means(fn: Callable[..., Any]) -> None:
    """One mean per column (an array of shape (n_columns,)), the input untouched, on unseen shapes."""
    name = "column_means"
    for k, shape in enumerate(MEANS_SHAPES):
        X = _people(300 + k, shape)
        saved = X.copy()
        out = call_student(name, fn, X)
        _unchanged(name, saved, X, "X")
        rows, columns = shape
        got = tuple(int(n) for n in np.asarray(out).shape) if isinstance(out, np.ndarray) else None
        if got == (rows,) and rows != columns:
            fail(name, f"with X of shape {shape} you returned {rows} value(s), one per row: you averaged over "
                       f"axis=1. The mean of a column is taken down the rows: axis=0")
        if got == (1, columns):
            fail(name, f"with X of shape {shape} you returned shape {got}, a 2-D row; return a 1-D array of shape "
                       f"({columns},) (no keepdims=True)")
        means = as_float_array(out, "the result", (columns,), name)
        truth = np.mean(saved, axis=0)
        if _close(means, truth):
            continue
        if rows == columns and _close(means, np.mean(saved, axis=1)):
            fail(name, f"with X of shape {shape} you returned the means of the rows (axis=1); the mean of a column "
                       f"is taken down the rows: axis=0")
        fail(name, f"with X of shape {shape} the column means are off by up to {np.max(np.abs(means - truth)):.3g}")


# --- median -------------------------------------------------------------------------------------------------------

MEDIAN_CASES: tuple[Sequence[float], ...] = (
    (5.0, 1.0, 4.0, 2.0, 3.0),
    (9.0, -1.0, 4.0, 0.5),
    (2.0, 2.0, 7.0, 1.0, 2.0, 8.0),
    (42.0,),
    tuple(_people(401, (11,))),
    tuple(_people(402, (10,))),
)
"""Unsorted data of odd and even length, with ties, a single value, and two unseen samples."""


def _middle(x: np.ndarray) -> float:
    """The middle of ``x`` as given (the median when x is sorted)."""
    n, mid = len(x), len(x) // 2
    return float(x[mid]) if n % 2 else float((x[mid - 1] + x[mid]) / 2)


def median(fn: Callable[..., Any]) -> None:
    """The median (the mean of the two middle values for an even count), the input untouched, on unsorted data."""
    name = "median"
    for case in MEDIAN_CASES:
        x = np.array(case, dtype=np.float64)
        saved = x.copy()
        out = call_student(name, fn, x)
        _unchanged(name, saved, x, "x")
        value = as_number(out, name)
        ordered = np.sort(saved)
        truth = _middle(ordered)
        if _close(value, truth):
            continue
        where = f"the median of {_shown(saved)} is {truth:g}, you returned {value:g}"
        if _close(value, _middle(saved)):
            fail(name, f"{where}: the middle of the values as they come. Sort them first (np.sort(x) gives a "
                       f"sorted copy), then take the middle")
        n = len(ordered)
        if n % 2 == 0 and (_close(value, ordered[n // 2]) or _close(value, ordered[n // 2 - 1])):
            fail(name, f"{where}: one of the two middle values. For an even number of values the median is the "
                       f"mean of the two middle values of the sorted data")
        fail(name, where)


# --- sample_std ---------------------------------------------------------------------------------------------------

STD_CASES: tuple[tuple[int, int, int | None], ...] = ((501, 9, None), (502, 4, 0), (503, 12, 2), (504, 2, None))
"""(seed, n, ddof) of each try: ddof None calls sample_std(x) and expects the default ddof=1."""


def _spread(x: np.ndarray, denominator: float) -> float:
    return float(np.sum((x - np.mean(x)) ** 2) / denominator)


def sample_std(fn: Callable[..., Any]) -> None:
    """sqrt(sum((x - mean)^2) / (n - ddof)), ddof=1 by default, the input untouched, on unseen data."""
    name = "sample_std"
    for seed, n, ddof in STD_CASES:
        x = _people(seed, (n,))
        saved = x.copy()
        out = call_student(name, fn, x) if ddof is None else call_student(name, fn, x, ddof=ddof)
        _unchanged(name, saved, x, "x")
        value = as_number(out, name)
        used = 1 if ddof is None else ddof
        truth = np.sqrt(_spread(saved, n - used))
        if _close(value, truth):
            continue
        call = "sample_std(x)" if ddof is None else f"sample_std(x, ddof={ddof})"
        where = f"{call} with {n} values should be {truth:.6g}, you returned {value:.6g}"
        known = {
            "you divided by n: the standard deviation with ddof divides the sum of squared deviations by n - ddof "
            "(n - 1 by default: the sample standard deviation)": np.sqrt(_spread(saved, n)),
            "you divided by n - 1 whatever ddof is: divide by n - ddof": np.sqrt(_spread(saved, n - 1)),
            "that is the variance, the standard deviation squared: take the square root": _spread(saved, n - used),
        }
        for message, wrong in known.items():
            if not _close(wrong, truth) and _close(value, wrong):
                fail(name, f"{where}: {message}")
        fail(name, where)
