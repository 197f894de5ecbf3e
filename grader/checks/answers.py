"""Checks of the auto-graded answers: the registry :data:`ANSWERS` (kind, right value, what to tell a student who
got it wrong) and :func:`check_answer`, which compares exact Python values only."""

from __future__ import annotations

import operator
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


ANSWERS: dict[str, Answer] = {
    "q1_first_step_W1_moves": Answer(
        "int",
        2,
        "at update t, dW1 = dZ1 X^T with dZ1 = (W2^T dZ2) * g'(Z1); W2 starts at zero and only becomes non-zero "
        "after the first update, so dW1 is exactly 0 at update 1. Print np.abs(grads['dW1']).max() per update",
        {
            1: "the thread's first guess: at update 1 dW1 = (W2^T dZ2 * g'(Z1)) X^T is exactly zero, because W2 "
            "is still all zeros",
            0: "updates are counted from 1",
        },
    ),
    "q1_rank_W1_after_two_steps": Answer(
        "int",
        1,
        "after two updates W1 = -lr * dW1(update 2), and dW1 = (w2 * g'(b1)) (X dz2)^T is an outer product of "
        "two vectors: every row is a multiple of the same row. Print np.linalg.matrix_rank(params['W1'])",
        {0: "W1 is no longer zero after the second update", 2: "all rows of W1 are multiples of one row"},
    ),
    "q1_relu_negative_bias": Answer(
        "letter",
        "a",
        "a ReLU unit whose pre-activation z = 0*x + b is negative on every example outputs 0 and has g'(z) = 0, "
        "so its row of W1 and its bias get zero gradient at every update: it stays dead",
    ),
    "q2_symmetry_condition": Answer(
        "letter",
        "c",
        "units i and j get equal gradients only if they compute the same activation (equal rows of W_l AND equal "
        "biases) and send it on with the same weights (equal columns of W_(l+1)); if any one differs, their "
        "gradients differ and they separate (the Q2 experiment shows both cases)",
        {
            "a": "equal rows with different biases give different activations, and the units separate",
            "b": "equal rows and biases with different outgoing columns of W_(l+1) get different gradients",
        },
    ),
    "q2_across_layers_matters": Answer(
        "bool",
        False,
        "the units of one layer compete for the same job; a unit of another layer has another input and another "
        "role. The Q2 experiment starts two layers as exact copies and the net still learns, with no duplicates",
    ),
    "q3_columns_are_examples": Answer(
        "bool",
        False,
        "W1 has shape (n_1, n_x): its columns index the input FEATURES, the same for every example; the examples "
        "are the columns of X (and of Z1 = W1 X + b1), which is why W1's shape does not change with m",
    ),
    "q3_columns_stay_equal": Answer(
        "bool",
        False,
        "column i of W2 gets the gradient dZ2 A1[i]^T; when units i and j of layer 1 differ, A1[i] != A1[j], so "
        "the two columns get different updates and separate after one step (the Q3 experiment measures it)",
    ),
}
"""The auto-graded answers of ``init_symmetry``; tests/assignments/test_claims.py proves each on the reference."""


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


def check_answer(name: str, value: Any) -> None:
    """Compare the student's answer ``value`` to the registered :data:`ANSWERS` entry ``name``."""
    try:
        answer = ANSWERS[name]
    except KeyError:
        raise ValueError(f"unknown answer {name!r}; known: {', '.join(sorted(ANSWERS))}") from None
    got = _exact(value, answer, name)
    if got == answer.expected and type(got) is type(answer.expected):
        return
    known = answer.wrong.get(got)
    fail(name, f"{got!r} is not right" + (f": {known}" if known else "") + f". Hint: {answer.why}")
