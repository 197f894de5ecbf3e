"""Answer keys: an :class:`Answer` per auto-graded variable (kind, right value, what to tell a student who got it
wrong), and :func:`check_answer`, which compares exact Python values, or numbers within a relative tolerance.

An assignment's key is ``ANSWERS = {"variable": Answer(...)}`` in the ``answers.py`` of its grading folder; a hidden
test cell checks a variable with ``hidden.check("variable", variable)``. An answer whose right value depends on the
student's variant (`grader.variants`) has a function of the owner's parameters as ``expected``: only the judge,
which is given the owner's parameters, can check it (docs/variants.md)."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grader.checks.common import fail


@dataclass(frozen=True)
class Answer:
    """An auto-graded answer: its kind, the right value and what to tell a student who got it wrong."""

    kind: str
    """"int", "bool", "letter" or "number" (a float within ``rel_tol`` of the right one)."""
    expected: int | bool | str | float | Callable[[Mapping[str, Any]], Any]
    """The right value, or a function of the owner's variant parameters that gives it."""
    why: str
    """Shown with any wrong value: how to find the answer (the reasoning, not a bare value); a variant answer's may
    name the owner's parameters as ``{name}`` (``str.format``)."""
    wrong: dict[Any, str] = field(default_factory=dict)
    """Known wrong values (misconceptions) -> what is wrong with them."""
    choices: str = "abcd"
    rel_tol: float = 1e-3
    """For "number": how far, relatively, a right answer may be from the exact value (the student rounds)."""


def _exact(value: Any, answer: Answer, name: str) -> int | bool | str:
    if answer.kind == "bool":
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        fail(name, f"must be True or False (without quotes); got {value!r}")
    if answer.kind == "number":
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
            fail(name, f"must be a number like 0.25; got {value!r}")
        if not math.isfinite(float(value)):
            fail(name, f"must be a finite number; got {value!r}")
        return float(value)
    if answer.kind == "int":
        if isinstance(value, (bool, np.bool_)):
            fail(name, f"must be a whole number; got the bool {value!r}")
        if isinstance(value, (int, np.integer)):
            return operator.index(value)
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            return int(float(value))
        fail(name, f"must be a whole number like 3; got {value!r}")
    if isinstance(value, (str, np.str_)):
        letter = str.encode(value).decode().strip().strip("().").strip().lower()
        if len(letter) == 1 and letter in answer.choices:
            return letter
    fail(name, f"must be one letter among {', '.join(repr(c) for c in answer.choices)}; got {value!r}")


def check_answer(key: Mapping[str, Answer], name: str, value: Any, params: Mapping[str, Any] | None = None) -> None:
    """Compare the student's answer ``value`` to the entry ``name`` of the answer ``key``; an AssertionError that
    says why (and names a known misconception) when it is wrong. ``params``: the owner's variant parameters, which a
    variant answer needs (a ValueError without them: the answer cannot be judged outside the judge)."""
    try:
        answer = key[name]
    except KeyError:
        raise ValueError(f"unknown answer {name!r}; known: {', '.join(sorted(key))}") from None
    expected, why = answer.expected, answer.why
    if callable(expected):
        if params is None:
            raise ValueError(f"{name} depends on the student's variant, and no variant was given (no variant.json "
                             "beside the notebook): grade with grader autograde, whose judge knows each owner")
        expected, why = expected(params), why.format(**params)
    got = _exact(value, answer, name)
    if answer.kind == "number":
        if math.isclose(float(got), float(expected), rel_tol=answer.rel_tol, abs_tol=1e-12):
            return
        fail(name, f"{got!r} is not right for your own experiment. Hint: {why}")
    if got == expected and type(got) is type(expected):
        return
    known = answer.wrong.get(got)
    fail(name, f"{got!r} is not right" + (f": {known}" if known else "") + f". Hint: {why}")
