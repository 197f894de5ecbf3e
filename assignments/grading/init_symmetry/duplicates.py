"""Checks of ``find_duplicate_units``: planted layers per aspect, judged against reference.symmetry, with known
wrong finders recognised by what they return so that the message names the mistake.

A group is a chain (a connected component of "within tol"), as in ``reference.symmetry.duplicate_units``: the one
grouping that does not depend on how the units are numbered. The ``chains`` aspect plants chains whose ends differ
by more than tol."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.checks import call_student, fail
from reference.symmetry import duplicate_units


def _reference_groups(W: np.ndarray, b: np.ndarray, W_next: np.ndarray | None, tol: float) -> list[list[int]]:
    nxt = np.zeros((1, W.shape[0])) if W_next is None else W_next
    return duplicate_units({"W1": W, "b1": b, "W2": nxt}, 1, tol)


def _chains(close: Callable[[np.ndarray, np.ndarray], bool], n: int, keep_singletons: bool = False):
    """The groups of n units joined by chains of ``close(i, j)`` pairs (connected components), sorted."""
    label = list(range(n))

    def root(i: int) -> int:
        while label[i] != i:
            i = label[i]
        return i

    for i in range(n):
        for j in range(i):
            if close(i, j):
                a, c = sorted((root(i), root(j)))
                label[c] = a
    groups = [[i for i in range(n) if root(i) == r] for r in sorted({root(i) for i in range(n)})]
    return [g for g in groups if keep_singletons or len(g) >= 2]


def _variant(rows: Callable[[np.ndarray, np.ndarray, np.ndarray | None], np.ndarray], close, keep_singletons=False):
    """A wrong finder: units described by ``rows(W, b, W_next)``, compared with ``close(a, b, tol)``, grouped in
    chains as the reference groups them (so that each variant differs from it by its one mistake only)."""

    def find(W, b, W_next, tol):
        F = rows(W, b, W_next)
        return _chains(lambda i, j: close(F[i], F[j], tol), F.shape[0], keep_singletons)

    return find


def _first_earlier_match(W, b, W_next, tol):
    """Each unit joins the group of the first earlier unit within tol: the grouping depends on the numbering."""
    F = _units(W, b, W_next)
    group = list(range(F.shape[0]))
    for i in range(F.shape[0]):
        group[i] = next((group[j] for j in range(i) if _maxabs(F[i], F[j], tol)), i)
    groups = [[i for i in range(F.shape[0]) if group[i] == g] for g in sorted(set(group))]
    return [g for g in groups if len(g) >= 2]


def _first_member_only(W, b, W_next, tol):
    """Each unit joins the first group whose FIRST member is within tol: a chain through later members is cut."""
    F = _units(W, b, W_next)
    groups: list[list[int]] = []
    for i in range(F.shape[0]):
        home = next((g for g in groups if _maxabs(F[i], F[g[0]], tol)), None)
        if home is None:
            groups.append([i])
        else:
            home.append(i)
    return [g for g in groups if len(g) >= 2]


def _maxabs(a, b, tol):
    return bool(np.max(np.abs(a - b), initial=0.0) <= tol)


def _units(W, b, W_next):
    return np.hstack([W, b] + ([] if W_next is None else [W_next.T]))


def _pairs(W, b, W_next, tol):
    groups = _reference_groups(W, b, W_next, tol)
    return [[i, j] for g in groups for k, i in enumerate(g) for j in g[k + 1 :]]


_CHAIN_RULE = (
    "a group is a chain: units a and b belong together when a chain of units, each within tol of the next, joins "
    "them (a ~ c and c ~ b put a, b and c in one group even if a and b differ by more than tol)"
)

DUPLICATE_MISTAKES: dict[str, tuple[Callable[..., list[list[int]]], str]] = {
    "first earlier match": (
        _first_earlier_match,
        f"you put each unit with the first earlier unit within tol, so the groups depend on how the units are "
        f"numbered, and a unit that links two groups does not join them. {_CHAIN_RULE}",
    ),
    "first member only": (
        _first_member_only,
        f"you compared each unit with the first member of each group only, so a unit within tol of a later member "
        f"was left out. {_CHAIN_RULE}",
    ),
    "ignores biases": (
        _variant(lambda W, b, W_next: _units(W, np.zeros_like(b), W_next), _maxabs),
        "you grouped units whose rows of W are equal but whose biases differ. Such units compute different "
        "activations (z = w.x + b), so they are not duplicates: compare the biases too",
    ),
    "ignores W_next": (
        _variant(lambda W, b, W_next: _units(W, b, None), _maxabs),
        "you ignored W_next: units with equal rows and biases but different outgoing columns W_next[:, i] receive "
        "different gradients and separate, so they are not duplicates when W_next is given",
    ),
    "compares columns": (
        _variant(lambda W, b, W_next: W.T, _maxabs),
        "you compared the COLUMNS of W. Unit i of the layer is row i of W (its incoming weights) with b[i]; "
        "the columns of W belong to the units of the previous layer",
    ),
    "exact equality": (
        _variant(lambda W, b, W_next: _units(W, b, W_next), lambda a, c, tol: bool(np.array_equal(a, c))),
        "you compared with exact equality and ignored tol: units that differ by less than tol (round-off) must "
        "count as duplicates, e.g. np.max(np.abs(a - c)) <= tol",
    ),
    "np.allclose default rtol": (
        _variant(lambda W, b, W_next: _units(W, b, W_next), lambda a, c, tol: bool(np.allclose(a, c, atol=tol))),
        "you used np.allclose, which adds a relative tolerance (rtol=1e-05) on top of atol: units that differ by "
        "far more than tol were grouped. Pass rtol=0 or compare np.max(np.abs(a - c)) <= tol",
    ),
    "keeps singletons": (
        _variant(lambda W, b, W_next: _units(W, b, W_next), _maxabs, keep_singletons=True),
        "you also returned units that have no twin; only groups of at least two units are duplicates",
    ),
    "pairs instead of groups": (
        _pairs,
        "you returned pairs; return each group of identical units once, with all its members "
        "(three identical units are one group [i, j, k], not three pairs)",
    ),
}
"""Known wrong versions of find_duplicate_units -> the message that names the mistake."""


@dataclass(frozen=True)
class DuplicateCase:
    """A planted layer and what it checks, in words."""

    story: str
    W: np.ndarray
    b: np.ndarray
    W_next: np.ndarray | None = None
    tol: float | None = None
    """None: the student's default (1e-8)."""


def _planted(n: int, n_prev: int, groups: Sequence[Sequence[int]], seed: int, n_next: int | None = None):
    rng = np.random.default_rng(seed)
    W, b = rng.standard_normal((n, n_prev)), rng.standard_normal((n, 1))
    W_next = None if n_next is None else rng.standard_normal((n_next, n))
    for g in groups:
        W[g] = W[g[0]]
        b[g] = b[g[0]]
        if W_next is not None:
            W_next[:, g] = W_next[:, [g[0]]]
    return W, b, W_next


def _duplicate_cases() -> dict[str, list[DuplicateCase]]:
    W, b, _ = _planted(7, 3, [[5, 0, 3], [6, 2]], seed=1)
    W2, b2, _ = _planted(6, 4, [[1, 4]], seed=2)
    b2[4] += 0.5  # rows 1 and 4 equal, biases differ
    W3, b3, _ = _planted(4, 4, [], seed=3)
    W3[:, 2] = W3[:, 0]  # equal columns, all rows different
    W4, b4, N4 = _planted(6, 3, [[0, 2, 5]], seed=4, n_next=3)
    N4[:, 5] += 1.0  # unit 5 shares row and bias with 0 and 2, not its outgoing column
    W5, b5, N5 = _planted(5, 2, [[1, 3]], seed=5, n_next=2)
    W6, b6, _ = _planted(5, 3, [[0, 4], [1, 2, 3]], seed=6)
    W6[4] += 1e-11  # round-off sized difference
    W6[2] += 1e-6  # a real difference at tol=1e-8, within tol=1e-3
    W7, b7, _ = _planted(6, 2, [[0, 1]], seed=7)
    W7[1] += 2e-5  # within np.allclose's default rtol, far beyond tol
    W8, b8, N8 = _planted(6, 2, [], seed=10, n_next=2)
    for i, step in ((0, 0.0), (2, 0.8e-3), (3, 1.6e-3)):  # a chain 0 ~ 2 ~ 3 in index order; 0 and 3 apart
        W8[i], b8[i], N8[:, i] = (7.0 + step, 7.0), 0.5, 1.0
    W9, b9, _ = _planted(7, 2, [], seed=11)
    for i, step in ((1, 0.0), (4, 1.6e-8), (6, 0.8e-8)):  # a chain 1 ~ 6 ~ 4: its middle unit numbered last
        W9[i], b9[i] = (2.0 + step, -3.0), -1.0
    W9[5], b9[5] = W9[2] + (0.0, 5e-9), b9[2]  # and a plain pair 2 ~ 5
    return {
        "rows_and_biases": [
            DuplicateCase("units 0, 3, 5 share row and bias, units 2, 6 too (expected [[0, 3, 5], [2, 6]])", W, b),
            DuplicateCase("rows 1 and 4 of W are equal but their biases differ (expected [])", W2, b2),
            DuplicateCase("columns 0 and 2 of W are equal, every row differs (expected [])", W3, b3),
            DuplicateCase("all rows differ (expected [])", *_planted(5, 3, [], seed=8)[:2]),
            DuplicateCase("all 4 units equal (expected [[0, 1, 2, 3]])", *_planted(4, 2, [[0, 1, 2, 3]], seed=9)[:2]),
        ],
        "next_layer": [
            DuplicateCase(
                "units 0, 2, 5 share row and bias but unit 5's column of W_next differs (expected [[0, 2]])",
                W4,
                b4,
                N4,
            ),
            DuplicateCase("units 1 and 3 share row, bias and column of W_next (expected [[1, 3]])", W5, b5, N5),
            DuplicateCase("the same layer without W_next (expected [[0, 2, 5]])", W4, b4),
        ],
        "tolerance": [
            DuplicateCase(
                "with the default tol=1e-8, rows 0 and 4 differ by 1e-11 (duplicates), rows 1 and 2 by 1e-6 (not) "
                "(expected [[0, 4], [1, 3]])",
                W6,
                b6,
            ),
            DuplicateCase(
                "with tol=1e-3, rows differing by 1e-6 also count (expected [[0, 4], [1, 2, 3]])", W6, b6, None, 1e-3
            ),
            DuplicateCase("rows differing by 2e-5 with the default tol=1e-8 (expected [])", W7, b7),
        ],
        "chains": [
            DuplicateCase(
                "with tol=1e-3, units 0, 2 and 3 are equal but for W[:, 0] = 7, 7.0008, 7.0016: 0 ~ 2 and 2 ~ 3, "
                "while 0 and 3 differ by more than tol (expected [[0, 2, 3]])",
                W8,
                b8,
                N8,
                1e-3,
            ),
            DuplicateCase(
                "with the default tol=1e-8, units 1 and 4 differ by 1.6e-8 and unit 6 lies between them, 0.8e-8 "
                "from each; units 2 and 5 differ by 5e-9 (expected [[1, 4, 6], [2, 5]])",
                W9,
                b9,
            ),
        ],
    }


DUPLICATE_ASPECTS = ("rows_and_biases", "next_layer", "tolerance", "chains")


def as_groups(value: Any, function: str) -> list[list[int]]:
    """A list of lists of exact ints from whatever sequence of sequences of integers the student returned."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, (Sequence, np.ndarray)):
        fail(function, f"must return a list of groups (lists of unit indices); got a {type(value).__name__}")
    groups = []
    for g in list(value):
        if isinstance(g, (str, bytes, Mapping)) or not isinstance(g, (Sequence, np.ndarray)):
            fail(function, f"each group must be a list of unit indices; got a {type(g).__name__}: {g!r}")
        try:
            groups.append([operator.index(i) for i in list(g)])
        except TypeError:
            fail(function, f"unit indices must be integers; got the group {g!r}")
    return groups


def duplicate_finder(fn: Callable[..., Any], aspect: str) -> None:
    """Run ``fn(W, b, W_next, tol)`` on the planted layers of one aspect and compare with the reference."""
    name = "find_duplicate_units"
    cases = _duplicate_cases()
    if aspect not in cases:
        raise ValueError(f"unknown aspect {aspect!r}; known: {', '.join(cases)}")
    for case in cases[aspect]:
        kwargs: dict[str, Any] = {} if case.tol is None else {"tol": case.tol}
        tol = 1e-8 if case.tol is None else case.tol
        args = (case.W.copy(), case.b.copy()) + (() if case.W_next is None else (case.W_next.copy(),))
        got = as_groups(call_student(name, fn, *args, **kwargs), name)
        expected = _reference_groups(case.W, case.b, case.W_next, tol)
        if got == expected:
            continue
        if sorted(sorted(g) for g in got) == expected:
            fail(name, f"{case.story}: you returned {got}; sort the indices in each group and the groups")
        for mistake, (variant, message) in DUPLICATE_MISTAKES.items():
            wrong = variant(case.W, case.b, case.W_next, tol)
            if wrong != expected and sorted(sorted(g) for g in wrong) == sorted(sorted(g) for g in got):
                fail(name, f"{case.story}; you returned {got}: {message} [{mistake}]")
        fail(name, f"{case.story}; you returned {got}")
