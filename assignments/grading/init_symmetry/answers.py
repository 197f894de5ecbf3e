"""The answer key of ``init_symmetry``: the nine auto-graded answers to the forum thread's three questions, each
proved on the reference by test_claims.py beside this file. q1_first_step_W1_moves depends on the learner's own
network (variants.py): it is judged against the owner's depth."""

from __future__ import annotations

from grader.checks import Answer

ANSWERS: dict[str, Answer] = {
    "q1_zeros_tanh_weights_move": Answer(
        "bool",
        False,
        "with every weight and bias 0, tanh(0) = 0 makes every hidden activation 0, so dW_L = dZ_L A_(L-1)^T = 0; "
        "and W_(l+1) = 0 makes dZ_l = (W_(l+1)^T dZ_(l+1)) * g'(Z_l) = 0 for every hidden layer, whatever g'(0) "
        "is. No weight ever gets a gradient: print the largest |dW| over all updates",
        {
            True: "tanh'(0) = 1 does not help: the gradient of a layer's weights is dZ times the activations of the "
            "layer below, which are tanh(0) = 0, and the signal back to the earlier layers is multiplied by W = 0",
        },
    ),
    "q1_first_step_W1_moves": Answer(
        "int",
        lambda p: p["depth"],
        "your network has depth L = {depth} (hidden layers of {width} units). At every update dW_l = dZ_l A_(l-1)^T "
        "and dZ_l = (W_(l+1)^T dZ_(l+1)) * g'(Z_l), which is exactly 0 as long as W_(l+1) is all zeros: W_L moves at "
        "update 1, W_(L-1) at update 2, one update later for every layer on the way back, so W1 first moves at "
        "update L. Print np.abs(grads['dW1']).max() per update: exactly 0, then a (tiny) number",
        {
            1: "the random biases do not make W1 move at once: at update 1 dW1 = (W2^T dZ2 * g'(Z1)) X^T is "
            "exactly zero, because W2 is still all zeros (only the last layer's weights and bias move at update 1)",
            0: "updates are counted from 1",
            2: "2 is right for a network with one hidden layer, such as 2 -> 10 -> 1, not for yours: every layer "
            "between W1 and the output delays it by one more update",
        },
    ),
    "q1_rank_W1_after_first_move": Answer(
        "int",
        1,
        "right after the update at which W1 first moves, W1 = -lr * dW1 with dW1 = dZ1 X^T. Until then every "
        "activation is the same on every example, so dZ1 is a column times the row (A_L - Y) / m: dW1 is an outer "
        "product, every row a multiple of the same row. Print rank(zw['W1']) before the next update",
        {
            0: "W1 is no longer zero after the update at which it first moves",
            2: "all rows of W1 are multiples of one row",
        },
    ),
    "q1_rank_W1_after_many_updates": Answer(
        "int",
        1,
        "from zero weights, every live ReLU unit computes b_i * relu(1 + r.x) with one shared direction r, and the "
        "gradients keep that form (ReLU is positively homogeneous), so W1 = (column of b) times r^T has rank 1 for "
        "good: the layer learns along one direction only. Print np.linalg.matrix_rank(W1) after the moons run",
        {
            2: "W1 is 10 x 2, so rank 2 is possible, but it never comes: every row of W1 stays a multiple of the same "
            "row, the network sees the input along one direction only, however long it trains",
            0: "W1 is not zero any more: it started moving at update 3, the depth of the 2-10-5-1 network",
        },
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
        "letter",
        "c",
        "column i of W2 gets the gradient dZ2 A1[i]^T, which depends on unit i only through its activations A1[i] "
        "on the examples. Two equal columns get equal updates whenever units i and j output the same activations: "
        "identical units do, but so do different units that agree on the data, such as two dead ReLU units (the "
        "Question 3 cell measures both cases)",
        {
            "a": "one update separates the two equal columns of the He experiment, whose units differ on the data",
            "b": "units that are not identical can still keep equal columns: two dead ReLU units with different "
            "biases both output 0 on every example, and their columns of W2 stay equal (Question 1's run)",
            "d": "two dead ReLU units with different biases keep equal columns of W2 for all the updates of "
            "Question 1's run",
        },
    ),
}
