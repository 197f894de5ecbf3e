"""Each learner's numbers in backprop: m, the number of examples of Experiment 3 (a forgotten 1/m).

Shipped to learners as source text (grader.variant_runtime), so it imports nothing but NumPy and nothing of the
course. The answer that depends on it, q_missing_m_relative_difference, is (m - 1) / (m + 1) (answers.py); every
claim the notebook makes about Experiment 3 is proved over the whole range in test_claims.py.
"""

VERSION = "1"  # change it whenever a change below would give anyone other numbers

M_RANGE = (21, 100)
"""Experiment 3's number of examples, both ends included: the first m of the 200 training points. Above
Experiment 1's 20, so that (m - 1) / (m + 1) of Experiment 1 is no one's answer; up to 100, where the answers of
m and m + 1 still differ by twice answers.py's tolerance."""


def parameters(stream):
    """stream(question) -> numpy.random.Generator, one stream per question."""
    low, high = M_RANGE
    return {"m": int(stream("q_missing_m_relative_difference").integers(low, high + 1))}


def extremes():
    """Every range's low end, then every high end."""
    return [{"m": M_RANGE[0]}, {"m": M_RANGE[1]}]
