"""Item analysis of one assignment: the classical test statistics of a table of scores, as pure functions.

The table is ``scores`` of shape (n_students, n_items): row s holds student s's points on each graded cell (item),
``max_scores`` of shape (n_items,) the points available. Every statistic is a `Measure`: a number, or None with the
reason it has no value (one student, a cell everyone scored the same on...) said in words, never NaN.

========================  =================================================================================
statistic                 formula
========================  =================================================================================
facility F_i              mean(x_i) / max_i: the share of the points the class got (Moodle's facility index)
discrimination D_i        corr(x_i, T − x_i), T the total of every item: the corrected item–total correlation
efficiency E_i            cov(x_i, T − x_i) / cov(sort(x_i), sort(T − x_i)): D_i against the largest covariance
                          these two sets of values allow (Moodle's discriminative efficiency)
quintile means            mean(x_i) / max_i within each fifth of the class ranked by T (ties share a mean rank)
Cronbach's alpha          k / (k − 1) · (1 − Σ var(x_i) / var(T)), k items
========================  =================================================================================

Variances and covariances are sample ones (n − 1); each ratio above is the same with n.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

LOW_DISCRIMINATION = 0.2
"""A cell whose discrimination is below this does not tell strong students from weak ones."""
TOO_EASY = 0.95
"""A cell whose facility is above this: nearly everyone got it."""
TOO_HARD = 0.1
"""A cell whose facility is below this: nearly no one got it."""
QUINTILES = 5
TOLERANCE = 1e-12
"""A variance at or below this (relative to the points squared) counts as zero: everyone scored the same."""


@dataclass(frozen=True)
class Measure:
    """A statistic: its value, or None and `why` there is none (a sentence fragment such as "one submission")."""

    value: float | None
    why: str = ""

    def text(self, digits: int = 2) -> str:
        """The value with `digits` decimals, or the reason in words."""
        return self.why if self.value is None else f"{self.value:.{digits}f}"


@dataclass(frozen=True)
class ItemStats:
    """The statistics of one graded cell over the class.

    name:           the cell's name
    max_score:      points available
    n:              students whose score on it counts
    mean:           mean points
    facility:       mean / max_score
    sd:             sample standard deviation of the points
    discrimination: corrected item–total correlation
    efficiency:     discriminative efficiency
    quintiles:      facility within each fifth of the class by total, lowest first
    flags:          what is wrong with it: "low discrimination", "too easy", "too hard"
    """

    name: str
    max_score: float
    n: int
    mean: Measure
    facility: Measure
    sd: Measure
    discrimination: Measure
    efficiency: Measure
    quintiles: tuple[Measure, ...]
    flags: tuple[str, ...]


def _array(values: Sequence[float] | np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=np.float64)


def _constant(x: np.ndarray, scale: float = 1.0) -> bool:
    return x.size > 0 and float(np.var(x)) <= TOLERANCE * max(scale, 1.0) ** 2


def mean(x: Sequence[float] | np.ndarray) -> Measure:
    """The mean; none for an empty class."""
    x = _array(x)
    return Measure(None, "no submissions") if x.size == 0 else Measure(float(x.mean()))


def median(x: Sequence[float] | np.ndarray) -> Measure:
    """The median; none for an empty class."""
    x = _array(x)
    return Measure(None, "no submissions") if x.size == 0 else Measure(float(np.median(x)))


def sd(x: Sequence[float] | np.ndarray) -> Measure:
    """The sample standard deviation (n − 1); none under two students."""
    x = _array(x)
    if x.size < 2:
        return Measure(None, "needs 2 submissions")
    return Measure(float(x.std(ddof=1)))


def facility(x: Sequence[float] | np.ndarray, max_score: float) -> Measure:
    """F = mean(x) / max_score; none for an empty class or a cell worth no points."""
    x = _array(x)
    if x.size == 0:
        return Measure(None, "no submissions")
    if max_score <= 0:
        return Measure(None, "worth no points")
    return Measure(float(x.mean() / max_score))


def discrimination(x: Sequence[float] | np.ndarray, rest: Sequence[float] | np.ndarray) -> Measure:
    """corr(x, rest), rest = the total minus this item; none when either side does not vary."""
    x, rest = _array(x), _array(rest)
    why = _no_correlation(x, rest)
    if why:
        return Measure(None, why)
    return Measure(float(np.corrcoef(x, rest)[0, 1]))


def efficiency(x: Sequence[float] | np.ndarray, rest: Sequence[float] | np.ndarray) -> Measure:
    """cov(x, rest) / cov(sort(x), sort(rest)): how much of the largest covariance these values allow is reached."""
    x, rest = _array(x), _array(rest)
    why = _no_correlation(x, rest)
    if why:
        return Measure(None, why)
    best = float(np.cov(np.sort(x), np.sort(rest))[0, 1])
    return Measure(float(np.cov(x, rest)[0, 1]) / best)  # best > 0: both vary, and sorted values covary positively


def _no_correlation(x: np.ndarray, rest: np.ndarray) -> str:
    if x.size < 2:
        return "needs 2 submissions"
    scale = float(max(np.abs(x).max(), np.abs(rest).max(), 1.0))
    if _constant(x, scale):
        return "everyone scored the same here"
    if _constant(rest, scale):
        return "everyone scored the same on the rest"
    return ""


def mean_ranks(totals: Sequence[float] | np.ndarray) -> np.ndarray:
    """0-based ranks of `totals`, lowest first; tied values share the mean of their ranks."""
    totals = _array(totals)
    order = np.argsort(totals, kind="stable")
    ranks = np.empty(totals.size)
    ranks[order] = np.arange(totals.size, dtype=np.float64)
    for value in np.unique(totals):
        tied = totals == value
        ranks[tied] = ranks[tied].mean()
    return ranks


def quintile_of(totals: Sequence[float] | np.ndarray) -> np.ndarray:
    """The quintile (0 lowest ... 4 highest) of each student: floor(5 · mean rank / n)."""
    totals = _array(totals)
    if totals.size == 0:
        return np.zeros(0, dtype=int)
    return np.minimum((QUINTILES * mean_ranks(totals) / totals.size).astype(int), QUINTILES - 1)


def quintile_facility(x: Sequence[float] | np.ndarray, totals: Sequence[float] | np.ndarray,
                      max_score: float) -> tuple[Measure, ...]:
    """The facility of an item within each quintile of the totals, lowest quintile first ("no one" when empty)."""
    x, groups = _array(x), quintile_of(totals)
    out = []
    for q in range(QUINTILES):
        members = x[groups == q]
        out.append(facility(members, max_score) if members.size else Measure(None, "no one"))
    return tuple(out)


def cronbach_alpha(scores: np.ndarray) -> Measure:
    """k / (k − 1) · (1 − Σ var(x_i) / var(T)) over the (n_students, k) table; none under 2 items or 2 students, or
    when the totals do not vary."""
    scores = np.asarray(scores, dtype=np.float64)
    n, k = scores.shape
    if k < 2:
        return Measure(None, "needs 2 graded cells")
    if n < 2:
        return Measure(None, "needs 2 submissions")
    totals = scores.sum(axis=1)
    if _constant(totals, float(max(np.abs(totals).max(), 1.0))):
        return Measure(None, "everyone has the same total")
    item_variances = scores.var(axis=0, ddof=1).sum()
    return Measure(float(k / (k - 1) * (1.0 - item_variances / totals.var(ddof=1))))


def flags(item_facility: Measure, item_discrimination: Measure) -> tuple[str, ...]:
    """What to look at: discrimination below `LOW_DISCRIMINATION`, facility above `TOO_EASY` or below `TOO_HARD`."""
    out = []
    if item_discrimination.value is not None and item_discrimination.value < LOW_DISCRIMINATION:
        out.append("low discrimination")
    if item_facility.value is not None and item_facility.value > TOO_EASY:
        out.append("too easy")
    if item_facility.value is not None and item_facility.value < TOO_HARD:
        out.append("too hard")
    return tuple(out)


def item_stats(name: str, x: Sequence[float] | np.ndarray, totals: Sequence[float] | np.ndarray,
               max_score: float) -> ItemStats:
    """Every statistic of one item: `x` its points per student, `totals` the same students' totals (x included)."""
    x, totals = _array(x), _array(totals)
    rest = totals - x
    f, d = facility(x, max_score), discrimination(x, rest)
    return ItemStats(
        name=name, max_score=float(max_score), n=int(x.size), mean=mean(x), facility=f, sd=sd(x),
        discrimination=d, efficiency=efficiency(x, rest), quintiles=quintile_facility(x, totals, max_score),
        flags=flags(f, d),
    )


def histogram(totals: Sequence[float] | np.ndarray, max_score: float, most: int = 25) -> list[tuple[float, float, int]]:
    """(low, high, count) per bin of the totals, low ≤ t < high: bins of w = ceil(max_score / `most`) points (at
    least 1) from 0 until one holds `max_score`, so that with whole points each bin of width 1 is one score."""
    totals = _array(totals)
    top = max(float(max_score), float(totals.max()) if totals.size else 0.0)
    width = float(max(1, int(np.ceil(top / most))))
    bins = int(top // width) + 1
    edges = np.arange(bins + 1, dtype=np.float64) * width
    counts = np.bincount(np.minimum((np.maximum(totals, 0.0) // width).astype(int), bins - 1), minlength=bins)
    return [(float(edges[i]), float(edges[i + 1]), int(counts[i])) for i in range(bins)]
