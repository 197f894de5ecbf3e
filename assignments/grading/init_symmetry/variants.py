"""Each learner's numbers in init_symmetry: the depth and the hidden width of Question 1's zero-weights network.

Shipped to learners as source text (grader.variant_runtime), so it imports nothing but NumPy and nothing of the
course. The answer that depends on them, q1_first_step_W1_moves, is the depth (answers.py); every claim the notebook
makes about Question 1's run is proved over the whole ranges in test_claims.py.
"""

VERSION = "1"  # change it whenever a change below would give anyone other numbers

DEPTH_RANGE = (3, 8)
"""Layers of weights L of Question 1's network (L - 1 ReLU hidden layers, then a sigmoid unit), both ends included.
From 3, so that 2, the answer of a one-hidden-layer 2-10-1 network, is no one's; up to 8, where the first non-zero
dW1 (above 1e-150 in every variant, test_claims.py) is still far from underflowing to 0."""
WIDTH_RANGE = (7, 12)
"""Units of every hidden layer, both ends included. From 7, so that layer 1 has two units whose bias starts negative
(Question 3 looks at them): the biases are the first numbers of default_rng(SEED), the same for everyone."""


def parameters(stream):
    """stream(question) -> numpy.random.Generator, one stream per question."""
    network = stream("q1_first_step_W1_moves")
    return {
        "depth": int(network.integers(DEPTH_RANGE[0], DEPTH_RANGE[1] + 1)),
        "width": int(network.integers(WIDTH_RANGE[0], WIDTH_RANGE[1] + 1)),
    }


def extremes():
    """Every range's low end, then every high end."""
    return [{"depth": DEPTH_RANGE[0], "width": WIDTH_RANGE[0]}, {"depth": DEPTH_RANGE[1], "width": WIDTH_RANGE[1]}]
