"""Symmetry diagnostics of a dense network: duplicate units, weight rank and dead ReLU units, per hidden layer.

Unit i of hidden layer l is described by its incoming row W_l[i, :], its bias b_l[i] and its outgoing column
W_{l+1}[:, i]. Two units with equal descriptions compute the same activation on every input and receive the same
gradient, so gradient descent (full-batch or minibatch) keeps them equal forever: they are "duplicates".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from reference.network import Params, forward, num_layers

_EPS = np.finfo(np.float64).eps

DYING_ACTIVATIONS = frozenset({"relu"})
"""Activations whose derivative is exactly 0 for z ≤ 0, so that a unit with Z ≤ 0 on every example learns nothing."""


def unit_features(params: Params, layer: int) -> np.ndarray:
    """One row per unit of hidden layer ``layer``: [W_l[i, :], b_l[i], W_{l+1}[:, i]].

    Shape (n_l, n_{l−1} + 1 + n_{l+1}); ``layer`` must be 1..L−1 (a layer with an outgoing matrix).
    """
    L = num_layers(params)
    if not 1 <= layer <= L - 1:
        raise ValueError(f"layer must be a hidden layer, 1..{L - 1} for this {L}-layer network; got {layer}")
    W, b, W_next = (np.asarray(params[k], dtype=np.float64) for k in (f"W{layer}", f"b{layer}", f"W{layer + 1}"))
    n = W.shape[0]
    if b.shape != (n, 1) or W_next.ndim != 2 or W_next.shape[1] != n:
        raise ValueError(
            f"layer {layer} has {n} units (W{layer} is {W.shape}) but b{layer} is {b.shape} "
            f"and W{layer + 1} is {W_next.shape}; expected ({n}, 1) and (n_{layer + 1}, {n})"
        )
    return np.hstack([W, b, W_next.T])


def pairwise_duplicate_groups(F: np.ndarray, tol: float) -> list[list[int]]:
    """The definition behind :func:`duplicate_units`, spelled out: compare every pair of rows of F (one row per unit,
    see :func:`unit_features`) and join those whose max absolute difference is ≤ ``tol``; groups of size ≥ 2,
    sorted. O(n²) Python steps: to read, and to check the fast version against (tests, benchmarks)."""
    n = F.shape[0]
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for i in range(n):
        for j in range(i + 1, n):
            if np.max(np.abs(F[i] - F[j])) <= tol:
                parent[find(j)] = find(i)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    return sorted(g for g in groups.values() if len(g) >= 2)


def _close_pairs(F: np.ndarray, tol: float, chunk: int = 1 << 20) -> tuple[np.ndarray, np.ndarray]:
    """All pairs i < j with max_k |F[i, k] − F[j, k]| ≤ tol, without forming the n×n×d array of differences.

    Filter: such a pair has |F_i·p − F_j·p| ≤ tol·‖p‖₁ for any p; after sorting the projections s = F p, the
    candidates of i are a contiguous range found with ``searchsorted``. For distinct units the projections are far
    apart and few candidates remain; only those are compared on every coordinate, ``chunk`` numbers at a time.
    """
    n, d = F.shape
    p = np.sin(np.arange(1, d + 1) * (1 + 5**0.5))  # fixed, irregular: equal projections of distinct rows are rare
    s = F @ p
    # Slack for round-off: F p and F' p may round differently even when F = F' (BLAS may use different kernels).
    slack = tol * np.abs(p).sum() + 8 * d * _EPS * (np.abs(F) @ np.abs(p)).max(initial=0.0)
    order = np.argsort(s, kind="stable")
    s_sorted = s[order]
    hi = np.searchsorted(s_sorted, s_sorted + slack, side="right")
    counts = np.maximum(hi - np.arange(n) - 1, 0)
    starts = np.repeat(np.arange(n), counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    i, j = order[starts], order[starts + 1 + offsets]
    keep = np.zeros(i.size, dtype=bool)
    step = max(1, chunk // max(d, 1))
    with np.errstate(invalid="ignore"):  # inf − inf is NaN, and NaN ≤ tol is False: not duplicates
        for lo in range(0, i.size, step):
            sl = slice(lo, lo + step)
            keep[sl] = np.max(np.abs(F[i[sl]] - F[j[sl]]), axis=1, initial=0.0) <= tol
    return i[keep], j[keep]


def _components(n: int, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Label of the connected component of each of n nodes given edges (i, j): the smallest node of the component."""
    labels = np.arange(n)
    while True:
        low = np.minimum(labels[i], labels[j])
        new = labels.copy()
        np.minimum.at(new, i, low)
        np.minimum.at(new, j, low)
        new = new[new]  # pointer jumping: each label stays a node of the same component, and only decreases
        if np.array_equal(new, labels):
            return labels
        labels = new


def duplicate_units(params: Params, layer: int, tol: float = 1e-8) -> list[list[int]]:
    """Groups (size ≥ 2) of units of hidden layer ``layer`` (1-based, 1..L−1) whose incoming row of W_l, bias b_l
    and outgoing column of W_{l+1} are all equal within ``tol`` (max absolute difference ≤ tol). Indices within a
    group and the groups themselves are sorted.

    "Within tol" is not transitive (a ~ b and b ~ c while a ≁ c), so a group is a *chain*: a connected component
    of that relation, two units sharing a group when a chain of units, each within tol of the next, joins them.
    It is the one grouping that does not depend on how the units are numbered (renumbering the units of a layer
    gives the same network, so it must give the same groups, renumbered), and the one whose groups are the
    smallest sets closed under "within tol". Joining each unit to the first earlier unit within tol depends on
    the order; asking every pair of a group to be within tol has no unique answer (a ~ b ~ c: {a, b} or {b, c}?).
    With tol at round-off scale, far below the differences of distinct units, chains are all of the same unit.

    Roughly O(n log n + n·d) for distinct units, where d = n_{l−1} + 1 + n_{l+1}. Python steps: one per group,
    plus one per 2^20 numbers compared (all n²/2 pairs are candidates when every unit is the same).
    """
    if not tol >= 0:
        raise ValueError(f"tol must be >= 0; got {tol}")
    F = unit_features(params, layer)
    i, j = _close_pairs(F, tol)
    if i.size == 0:
        return []
    labels = _components(F.shape[0], i, j)
    order = np.argsort(labels, kind="stable")  # by component (labelled by its smallest unit), then by unit
    _, starts, counts = np.unique(labels[order], return_index=True, return_counts=True)
    units = order.tolist()
    return [units[a:a + c] for a, c in zip(starts.tolist(), counts.tolist(), strict=True) if c >= 2]


def weight_rank(W: np.ndarray, tol: float | None = None) -> int:
    """Numerical rank of W: singular values above ``tol`` (default σ_max·max(W.shape)·ε, as numpy's matrix_rank)."""
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 2:
        raise ValueError(f"W must be a matrix; got shape {W.shape}")
    if W.size == 0:
        return 0
    return int(np.linalg.matrix_rank(W, tol=tol))


def dead_units(params: Params, X: np.ndarray, activations: Sequence[str], layer: int) -> list[int]:
    """Units of layer ``layer`` (1..L) with Z_l ≤ 0 on every column of X, if that layer is a ReLU (see
    :data:`DYING_ACTIVATIONS`); such a unit outputs 0 and passes no gradient back, so it never recovers by itself.
    Other activations have no dead units: the list is empty.
    """
    L = num_layers(params)
    if not 1 <= layer <= L:
        raise ValueError(f"layer must be in 1..{L}; got {layer}")
    _, cache = forward(params, X, activations)
    return _dead(cache.Z[layer], activations[layer - 1])


def _dead(Z: np.ndarray, activation: str) -> list[int]:
    if activation not in DYING_ACTIVATIONS:
        return []
    return np.flatnonzero(np.all(Z <= 0, axis=1)).tolist()


@dataclass(frozen=True)
class LayerSymmetry:
    """Symmetry diagnostics of one hidden layer."""

    layer: int
    """l, 1-based."""
    units: int
    """n_l."""
    duplicate_groups: list[list[int]]
    """:func:`duplicate_units` of the layer."""
    distinct_units: int
    """n_l minus the redundant members of the groups: how many different units the layer really has."""
    rank: int
    """:func:`weight_rank` of W_l."""
    max_rank: int
    """min(W_l.shape), the rank of a generic W_l."""
    dead_units: list[int]
    """:func:`dead_units` of the layer on the X of the report."""


@dataclass(frozen=True)
class SymmetryReport:
    """One :class:`LayerSymmetry` per hidden layer, l = 1..L−1."""

    layers: list[LayerSymmetry]

    def as_rows(self) -> list[dict]:
        """The layers as plain dicts (keys: the fields of :class:`LayerSymmetry`), for tables and plots."""
        return [asdict(row) for row in self.layers]


def symmetry_report(
    params: Params, X: np.ndarray, activations: Sequence[str], tol: float = 1e-8
) -> SymmetryReport:
    """Duplicate groups, distinct units, rank of W_l and dead units for every hidden layer l = 1..L−1."""
    _, cache = forward(params, X, activations)
    rows = []
    for l in range(1, num_layers(params)):
        groups = duplicate_units(params, l, tol)
        W = params[f"W{l}"]
        rows.append(
            LayerSymmetry(
                layer=l,
                units=W.shape[0],
                duplicate_groups=groups,
                distinct_units=W.shape[0] - sum(len(g) - 1 for g in groups),
                rank=weight_rank(W),
                max_rank=min(W.shape),
                dead_units=_dead(cache.Z[l], activations[l - 1]),
            )
        )
    return SymmetryReport(rows)
