"""The answer key of ``init_symmetry``: the seven auto-graded answers to the forum thread's three questions, each
proved on the reference by test_claims.py beside this file."""

from __future__ import annotations

from grader.checks import Answer

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
