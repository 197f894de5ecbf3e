"""The answer key of ``means``: what one extreme value does to the mean and to the median of heights.csv."""

from __future__ import annotations

from grader.checks import Answer

ANSWERS: dict[str, Answer] = {
    "q_outlier": Answer(
        "letter",
        "a",
        "the mean adds up every value, so one person of 250 cm pulls the mean of 41 people up by about "
        "(250 - 171) / 41, nearly 2 cm; the median is the middle of the sorted values, and one more value at the top "
        "moves it at most halfway to the next value, a fraction of a centimetre in heights.csv",
        {
            "b": "the median only moves to a neighbouring value: one extreme value cannot pull it far",
            "c": "both move: the new value is part of the mean's sum and shifts the middle of the sorted values",
        },
        choices="abc",
    ),
}
