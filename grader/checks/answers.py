"""Answer keys: an :class:`Answer` per auto-graded variable (kind, right value, what to tell a student who got it
wrong), and :func:`check_answer`, which compares exact Python values only.

An assignment's key is ``ANSWERS = {"variable": Answer(...)}`` in the ``answers.py`` of its grading folder; a hidden
test cell checks a variable with ``hidden.check("variable", variable)``."""

from __future__ import annotations

import operator
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grader.checks.common import fail


@dataclass(frozen=True)
class Answer:
    """An auto-graded answer: its kind, the right value and what to tell a student who got it wrong."""

    kind: str
    """"int", "bool" or "letter"."""
    expected: int | bool | str
    why: str
    """Shown with any wrong value: how to find the answer (the reasoning, not a bare value)."""
    wrong: dict[Any, str] = field(default_factory=dict)
    """Known wrong values (misconceptions) -> what is wrong with them."""
    choices: str = "abcd"


def _exact(value: Any, answer: Answer, name: str) -> int | bool | str:
    if answer.kind == "bool":
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        fail(name, f"must be True or False (without quotes); got {value!r}")
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


def check_answer(key: Mapping[str, Answer], name: str, value: Any) -> None:
    """Compare the student's answer ``value`` to the entry ``name`` of the answer ``key``; an AssertionError that
    says why (and names a known misconception) when it is wrong."""
    try:
        answer = key[name]
    except KeyError:
        raise ValueError(f"unknown answer {name!r}; known: {', '.join(sorted(key))}") from None
    got = _exact(value, answer, name)
    if got == answer.expected and type(got) is type(answer.expected):
        return
    known = answer.wrong.get(got)
    fail(name, f"{got!r} is not right" + (f": {known}" if known else "") + f". Hint: {answer.why}")
