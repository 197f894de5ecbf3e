"""Typical mistakes in {{name}}, never released.

Wrong code a learner might write, each piece of which must lose points.

What to edit: one entry per mistake. ``@MUTANTS.function`` registers a complete wrong version of a notebook function
(named after its mistake) as the code of solution cell ``cell``, renamed to ``replaces``; ``MUTANTS.code`` registers
literal cell code (for answer cells). ``grader validate`` grades each one: every test cell in ``targets`` must lose
points with a message holding every word of ``expect`` (case-insensitive), so the grading names the mistake.
"""

from __future__ import annotations

from grader.mutants import MutantSet

MUTANTS = MutantSet()


@MUTANTS.function(
    cell="mean",
    replaces="mean",
    targets=("test_mean",),
    expect=("divided by n - 1",),
    description="I divided the sum by len(values) - 1, as for a sample variance",
)
def mean_divides_by_n_minus_1(values):
    return sum(values) / (len(values) - 1)


MUTANTS.code(
    name="q_mean_of_empty_is_zero",
    cell="q_mean_of_empty",
    code="""
        q_mean_of_empty = "a"
    """,
    targets=("test_q_mean_of_empty",),
    expect=("division by zero",),
    description="I thought the mean of no values is 0, since their sum is",
)
