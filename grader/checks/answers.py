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
    # --- backprop ---------------------------------------------------------------------------------------------------
    "q_centered_error_factor": Answer(
        "letter",
        "c",
        "the centered difference (f(x + eps) - f(x - eps)) / (2 eps) cancels the eps f''/2 term of the Taylor "
        "series, so its error is about eps^2 f'''/6: dividing eps by 10 divides the error by 100, as long as "
        "round-off (about 1e-16 |f| / eps) stays smaller. Read the slope of the centered curve in the log-log plot",
        {"b": "that is how the one-sided difference behaves; the centered one cancels its eps f''/2 term"},
    ),
    "q_one_sided_error_factor": Answer(
        "letter",
        "b",
        "the one-sided difference (f(x + eps) - f(x)) / eps is off by about eps f''/2, proportional to eps: "
        "dividing eps by 10 divides the error by 10 (slope 1 in the log-log plot)",
        {"c": "that is how the centered difference behaves; the one-sided one keeps the eps f''/2 term"},
    ),
    "q_missing_m_relative_difference": Answer(
        "letter",
        "c",
        "gradients m times too large give ||m g - g|| / (||m g|| + ||g||) = (m - 1) / (m + 1), close to 1 whatever "
        "the network: a gradient check cannot miss a forgotten 1/m",
        {"a": "only a correct gradient agrees that well", "b": "the difference is a factor m, not a small error"},
    ),
    "q_equal_init_rows_stay_equal": Answer(
        "bool",
        True,
        "when all weights start equal every hidden unit computes the same value on every example and, as the "
        "entries of W2 stay equal too, receives the same gradient: the rows of W1 get the same update at every step "
        "and stay equal (they move, but together), so the layer works like a single unit. The next assignment, "
        "init_symmetry, is about this",
    ),
    # --- init_scale -------------------------------------------------------------------------------------------------
    "q_xavier_relu_variance_factor": Answer(
        "letter",
        "b",
        "Var(z) = n_(l-1) Var(w) E[a^2], and a ReLU keeps half of the second moment: E[a^2] = Var(z_prev) / 2. "
        "With Xavier on a square layer Var(w) = 2 / (n + n) = 1 / n, so Var(Z_l) = Var(Z_(l-1)) / 2 at every layer "
        "(the std shrinks by 1/sqrt(2)); He's Var(w) = 2 / n makes up for the half",
        {"c": "1/sqrt(2) is the factor of the standard deviation; the question asks about the variance"},
    ),
    "q_tanh_gain_one_ratio": Answer(
        "letter",
        "b",
        "tanh is close to the identity near 0 but flattens away from it, so with gain 1 every layer loses a little "
        "variance, less and less as the signal gets smaller: the std decays slowly (about ten times over 50 layers), "
        "not exponentially as with Xavier on ReLU. The gain 5/3 makes up for the flattening",
        {"c": "that collapse is Xavier on ReLU (a factor 1/2 of variance per layer); tanh with gain 1 decays slowly"},
    ),
    "q_sigmoid_saturated_fraction": Answer(
        "letter",
        "c",
        "with weights of std 10 a unit of layer 2 sums 64 inputs in [0, 1]: its z has a std of about 10 * sqrt(32), "
        "far beyond |z| = 5, where sigmoid'(z) < 0.007. The experiment prints the saturated fraction per layer",
    ),
    "q_most_dead_bias": Answer(
        "letter",
        "c",
        "a unit is dead when w.a + b <= 0 on every example; with He weights w.a has a std of about 1, so a bias "
        "drawn from N(0, 1) is often negative enough to switch a unit off for every input, while 0 and 0.01 hardly "
        "move the threshold. Compare the dead fractions the experiment prints",
    ),
    "q_small_bias_helps": Answer(
        "bool",
        False,
        "0.01 is a hundredth of the spread of w.a under He init, so it moves almost no unit across its threshold: the "
        "dead fraction with 0.01 is within a percentage point of the one with 0 (the experiment prints both)",
    ),
}
"""The auto-graded answers of the course by variable name (``init_symmetry``, ``backprop``, ``init_scale``); the
claim tests in tests/assignments/ prove each on the reference."""


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
