"""Each learner's numbers in init_scale: the depth D of the deep networks of Parts 4 and 5 (256 units a layer).

Shipped to learners as source text (grader.variant_runtime), so it imports nothing but NumPy and nothing of the
course. The answer that depends on it, q_xavier_relu_shrink, is (1/2)^((D - 1)/2) (answers.py): Xavier's ratio
std(Z_D) / std(Z_1) on ReLU divided by He's, which the per-layer factor 1/2 of the variance gives exactly. Every claim
the notebook makes about the deep networks is proved over the whole range in test_claims.py.
"""

VERSION = "1"  # change it whenever a change below would give anyone other numbers

DEPTH_RANGE = (40, 50)
"""The number of layers, both ends included. Up to the 50 layers the notebook always had (its time budget holds at
the top); from 40, where tanh with gain 5/3 still makes the gradient grow more than 30 times on its way down. The
answers of D and D + 1 differ by a factor sqrt(2), far beyond answers.py's tolerance."""


def parameters(stream):
    """stream(question) -> numpy.random.Generator, one stream per question."""
    low, high = DEPTH_RANGE
    return {"depth": int(stream("q_xavier_relu_shrink").integers(low, high + 1))}


def extremes():
    """Every range's low end, then every high end."""
    return [{"depth": DEPTH_RANGE[0]}, {"depth": DEPTH_RANGE[1]}]
