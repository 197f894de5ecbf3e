"""Typical mistakes in {{name}}, never released.

Wrong code a learner might write, each piece of which must lose points.

What to edit: one entry per mistake. ``MUTANTS.edit`` writes it as text replacements in solution cell ``cell``
(each old text must appear there exactly once, so a stale edit fails loudly after the solution changes);
``@MUTANTS.function`` registers a complete wrong version of a notebook function (named after its mistake), renamed
to ``replaces``, where the wrong code really differs; ``MUTANTS.code`` registers literal cell code (answer cells).
``grader validate`` grades each one: every test cell in ``targets`` must lose points with a message holding every
word of ``expect`` (case-insensitive), so the grading names the mistake.
"""

from __future__ import annotations

from grader.mutants import MutantSet

MUTANTS = MutantSet()


MUTANTS.edit(
    name="mean_divides_by_n_minus_1",
    cell="mean",
    replace={"return sum(values) / len(values)": "return sum(values) / (len(values) - 1)"},
    targets=("test_mean",),
    expect=("divided by n - 1",),
    description="I divided the sum by len(values) - 1, as for a sample variance",
)


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
