"""grader.stats against values computed by hand on a small table, and the formulas' edge cases said in words.

The table (4 students, 3 cells worth 1, 1 and 2 points):

    student  a  b  c   total
    s1       1  1  2   4
    s2       1  0  2   3
    s3       0  1  0   1
    s4       0  0  0   0

Cell a: x = (1, 1, 0, 0), rest = T − x = (3, 2, 1, 0). Deviations (.5, .5, −.5, −.5) and (1.5, .5, −.5, −1.5):
Σ products 2, Σ squares 1 and 5, so r = 2/√5. Sorted, x and rest are already in the same order: efficiency 1.
Cell b: x = (1, 0, 1, 0), rest = (3, 3, 0, 0): Σ products .75 − .75 − .75 + .75 = 0, r = 0, efficiency 0.
Cell c: x = (2, 2, 0, 0), rest = (2, 1, 1, 0): Σ products 2, Σ squares 4 and 2, r = 2/√8 = 1/√2.
Alpha: item variances 1/3, 1/3, 4/3 (sum 2), var(T) = 10/3, alpha = 3/2 · (1 − 2 / (10/3)) = 0.6.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from grader import stats

TABLE = np.array([[1, 1, 2], [1, 0, 2], [0, 1, 0], [0, 0, 0]], dtype=float)
MAX = (1.0, 1.0, 2.0)
TOTALS = TABLE.sum(axis=1)


def column(j: int) -> np.ndarray:
    return TABLE[:, j]


def test_facility_is_the_mean_over_the_points() -> None:
    assert stats.facility(column(0), 1.0).value == 0.5
    assert stats.facility(column(2), 2.0).value == 0.5
    assert stats.facility([0.5, 1.0, 1.0], 2.0).value == pytest.approx(2.5 / 6)


def test_discrimination_is_the_corrected_item_total_correlation() -> None:
    """corr(x, T − x), not corr(x, T): a cell does not correlate with itself."""
    assert stats.discrimination(column(0), TOTALS - column(0)).value == pytest.approx(2 / math.sqrt(5))
    assert stats.discrimination(column(1), TOTALS - column(1)).value == pytest.approx(0.0, abs=1e-12)
    assert stats.discrimination(column(2), TOTALS - column(2)).value == pytest.approx(1 / math.sqrt(2))
    uncorrected = np.corrcoef(column(0), TOTALS)[0, 1]
    assert uncorrected > 2 / math.sqrt(5) + 0.05  # the item inflates its own correlation with the total


def test_efficiency_compares_with_the_best_order_of_the_same_values() -> None:
    """x = (1, 1, 0, 0), rest = (3, 1, 2, 0): cov sum 1 against 2 when sorted alike, so 0.5 (r = 1/√5)."""
    x, rest = [1, 1, 0, 0], [3, 1, 2, 0]
    assert stats.efficiency(x, rest).value == pytest.approx(0.5)
    assert stats.discrimination(x, rest).value == pytest.approx(1 / math.sqrt(5))
    assert stats.efficiency(column(0), TOTALS - column(0)).value == pytest.approx(1.0)
    assert stats.efficiency(column(1), TOTALS - column(1)).value == pytest.approx(0.0, abs=1e-12)


def test_cronbach_alpha_of_the_table() -> None:
    assert stats.cronbach_alpha(TABLE).value == pytest.approx(0.6)


def test_mean_ranks_share_ties_and_quintiles_follow_them() -> None:
    assert stats.mean_ranks([5, 3, 5, 1]).tolist() == [2.5, 1.0, 2.5, 0.0]
    assert stats.quintile_of(TOTALS).tolist() == [3, 2, 1, 0]  # floor(5 · rank / 4) with ranks 3, 2, 1, 0
    assert stats.quintile_of(list(range(10))).tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert stats.quintile_of([7, 7, 7, 7]).tolist() == [1, 1, 1, 1]  # all tied: one quintile, never split


def test_quintile_facility_says_which_fifths_are_empty() -> None:
    q = stats.quintile_facility(column(0), TOTALS, 1.0)
    assert [m.value for m in q] == [0.0, 0.0, 1.0, 1.0, None]
    assert q[4].why == "no one" and q[4].text() == "no one"


def test_item_stats_of_the_table_and_its_flags() -> None:
    items = [stats.item_stats(name, column(j), TOTALS, MAX[j]) for j, name in enumerate("abc")]
    a, b, c = items
    assert (a.n, a.mean.value, a.sd.value) == (4, 0.5, pytest.approx(math.sqrt(1 / 3)))
    assert a.discrimination.text() == "0.89" and a.flags == ()
    assert b.flags == ("low discrimination",)  # r = 0 < 0.2
    assert c.discrimination.value == pytest.approx(0.7071, abs=1e-4) and c.max_score == 2.0


def test_flags_on_facility_thresholds() -> None:
    good = stats.Measure(0.5)
    assert stats.flags(stats.Measure(0.96), good) == ("too easy",)
    assert stats.flags(stats.Measure(0.95), good) == ()  # above 0.95, not at it
    assert stats.flags(stats.Measure(0.09), stats.Measure(0.19)) == ("low discrimination", "too hard")
    assert stats.flags(stats.Measure(None, "no submissions"), stats.Measure(None, "needs 2 submissions")) == ()


def test_a_class_of_one_has_scores_but_no_comparisons() -> None:
    item = stats.item_stats("a", [1.0], [3.0], 1.0)
    assert item.facility.value == 1.0 and item.flags == ("too easy",)
    assert item.sd.text() == "needs 2 submissions"
    assert item.discrimination.text() == "needs 2 submissions" and item.efficiency.value is None
    assert [m.value for m in item.quintiles] == [1.0, None, None, None, None]  # rank 0 of 1: the lowest fifth
    assert stats.cronbach_alpha(np.array([[1.0, 2.0]])).text() == "needs 2 submissions"


def test_nobody_submitted_gives_reasons_not_nan() -> None:
    item = stats.item_stats("a", [], [], 1.0)
    measures = [item.mean, item.facility, item.sd, item.discrimination, item.efficiency, *item.quintiles]
    assert all(m.value is None and m.why for m in measures)
    assert item.facility.text() == "no submissions" and item.n == 0
    assert stats.mean([]).text() == "no submissions" and stats.median([]).text() == "no submissions"
    assert stats.cronbach_alpha(np.zeros((0, 3))).text() == "needs 2 submissions"
    assert sum(count for _, _, count in stats.histogram([], 10.0)) == 0


def test_zero_variance_is_said_in_words() -> None:
    """Everyone scored the same on the cell, or on the rest: correlation is 0/0, so there is none."""
    same = stats.discrimination([1, 1, 1, 1], [0, 1, 2, 3])
    assert same.value is None and same.text() == "everyone scored the same here"
    rest = stats.discrimination([1, 0, 1, 0], [2, 2, 2, 2])
    assert rest.text() == "everyone scored the same on the rest"
    assert stats.efficiency([1, 1, 1, 1], [0, 1, 2, 3]).text() == "everyone scored the same here"
    assert stats.cronbach_alpha(np.array([[1.0, 0.0], [0.0, 1.0]])).text() == "everyone has the same total"
    assert stats.cronbach_alpha(np.array([[1.0], [0.0]])).text() == "needs 2 graded cells"
    assert stats.facility([1.0], 0.0).text() == "worth no points"
    everyone = stats.item_stats("a", [1, 1, 1], [1, 2, 3], 1.0)
    assert everyone.flags == ("too easy",)  # no discrimination: not flagged as low for lack of one


def test_histogram_has_one_bin_per_whole_point_up_to_25_points() -> None:
    bins = stats.histogram([0, 1, 20, 21, 21], 21.0)
    assert len(bins) == 22 and bins[0] == (0.0, 1.0, 1) and bins[20] == (20.0, 21.0, 1) and bins[21] == (21.0, 22.0, 2)
    wide = stats.histogram([0, 2.9, 3, 60], 60.0)  # bins of ceil(60 / 25) = 3 points
    assert len(wide) == 21 and wide[0] == (0.0, 3.0, 2) and wide[1][2] == 1 and wide[-1] == (60.0, 63.0, 1)


def test_measure_text_rounds_or_says_why() -> None:
    assert stats.Measure(0.8944).text() == "0.89" and stats.Measure(2 / 3).text(1) == "0.7"
    assert stats.Measure(None, "no one").text() == "no one"
