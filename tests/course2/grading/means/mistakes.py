"""Typical mistakes in ``means``: column means over the wrong axis, medians of unsorted data or sorted in place, the
population standard deviation or the variance for the sample standard deviation, and a misread outlier question.

Each function below is a complete wrong version of a notebook function, named after its mistake; the decorator says
which solution cell it replaces, which test cells must lose points and which words their message must contain. Only
``np`` may be used inside them. ``median_unsorted`` and ``median_sorts_in_place`` pass the public tests (their data
is sorted already): only the hidden part of test_median catches them; an answer, like ``q_outlier_median``'s, is only
ever checked by a hidden test.
"""

from __future__ import annotations

import numpy as np

from grader.mutants import MutantSet

MUTANTS = MutantSet()

# --- column_means -------------------------------------------------------------------------------------------------


@MUTANTS.function(
    cell="column_means",
    replaces="column_means",
    targets=("test_column_means",),
    expect=("axis=1", "axis=0"),
    description="I took the mean over axis=1, which averages each row",
)
def column_means_wrong_axis(X):
    return np.mean(X, axis=1)


# --- median -------------------------------------------------------------------------------------------------------


@MUTANTS.function(
    cell="median",
    replaces="median",
    targets=("test_median",),
    expect=("sort them first",),
    description="I took the middle value without sorting the data",
)
def median_unsorted(x):
    n = len(x)
    mid = n // 2
    if n % 2 == 1:
        return float(x[mid])
    return float((x[mid - 1] + x[mid]) / 2)


@MUTANTS.function(
    cell="median",
    replaces="median",
    targets=("test_median",),
    expect=("in place",),
    description="I sorted x with x.sort(), which reorders the caller's array",
)
def median_sorts_in_place(x):
    x.sort()
    n = len(x)
    mid = n // 2
    if n % 2 == 1:
        return float(x[mid])
    return float((x[mid - 1] + x[mid]) / 2)


@MUTANTS.function(
    cell="median",
    replaces="median",
    targets=("test_median",),
    expect=("two middle values",),
    description="for an even number of values I returned the upper of the two middle values",
)
def median_upper_middle(x):
    s = np.sort(x)
    return float(s[len(s) // 2])


# --- sample_std ---------------------------------------------------------------------------------------------------


@MUTANTS.function(
    cell="sample_std",
    replaces="sample_std",
    targets=("test_sample_std",),
    expect=("divided by n", "n - ddof"),
    description="I divided by n (the population standard deviation) and ignored ddof",
)
def population_std(x, ddof=1):
    return float(np.sqrt(np.sum((x - np.mean(x)) ** 2) / len(x)))


@MUTANTS.function(
    cell="sample_std",
    replaces="sample_std",
    targets=("test_sample_std",),
    expect=("variance", "square root"),
    description="I returned the variance and forgot the square root",
)
def std_without_sqrt(x, ddof=1):
    return float(np.sum((x - np.mean(x)) ** 2) / (len(x) - ddof))


# --- the outlier question -----------------------------------------------------------------------------------------

MUTANTS.code(
    name="q_outlier_median",
    cell="q_outlier_answer",
    code='q_outlier = "b"\n',
    targets=("test_q_outlier",),
    expect=("neighbouring value",),
    description="I answered that the median moves more than the mean",
)
