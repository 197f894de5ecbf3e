"""The answer key of {{name}}, never released.

One ``Answer`` per variable a hidden test cell checks with ``hidden.check``.

What to edit: one entry per auto-graded variable of the notebook, keyed by the variable's name. An ``Answer`` is a
kind ("int", "bool" or "letter"), the right value, the reasoning shown with any wrong value, and known wrong values
(misconceptions) with what is wrong with each.
"""

from __future__ import annotations

from grader.checks import Answer

ANSWERS: dict[str, Answer] = {
    "q_mean_of_empty": Answer(
        "letter",
        "b",
        "sum([]) is 0 and len([]) is 0, and Python's 0 / 0 raises ZeroDivisionError: the mean of no values is not "
        "defined, and plain Python division says so loudly",
        {
            "a": "0 is the sum of no values; dividing it by len([]) = 0 is still a division by zero",
            "c": "that is what np.mean([]) returns (with a warning); sum(values) / len(values) is plain Python",
        },
    ),
}
