"""Toy binary data sets in the plane (NumPy only): circles, moons, spirals, xor.

Each function is ``(n, rng, noise=...) -> (X, Y)`` with X of shape (2, n) float64 (examples are columns) and Y of
shape (1, n) with values in {0., 1.}; the classes have sizes ⌊n/2⌋ and ⌈n/2⌉ (class 0 first), the columns are
shuffled by ``rng``, and the same generator state gives the same data. ``noise`` is the standard deviation of the
Gaussian added to each coordinate.
"""

from __future__ import annotations

import numbers

import numpy as np


def _check(n: int, rng: np.random.Generator, noise: float) -> None:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n <= 0:
        raise ValueError(f"n must be a positive integer (the number of examples); got {n!r}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, e.g. np.random.default_rng(0); got {rng!r}")
    if not (np.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise must be a finite standard deviation >= 0; got {noise!r}")


def _finish(
    points: list[np.ndarray], labels: list[float], rng: np.random.Generator, noise: float
) -> tuple[np.ndarray, np.ndarray]:
    """Stack the (2, n_k) blocks with their labels, shuffle the columns, add N(0, noise²) to every coordinate."""
    X = np.hstack(points)
    Y = np.hstack([np.full(p.shape[1], y) for p, y in zip(points, labels, strict=True)])[None, :]
    order = rng.permutation(X.shape[1])
    X, Y = X[:, order], Y[:, order]
    if noise > 0:
        X = X + rng.normal(scale=noise, size=X.shape)
    return X.astype(np.float64), Y.astype(np.float64)


def _split(n: int, k: int) -> list[int]:
    """n as k sizes that differ by at most one, larger ones last: _split(7, 2) = [3, 4]."""
    return [n // k + (i >= k - n % k) for i in range(k)]


def circles(
    n: int, rng: np.random.Generator, noise: float = 0.05, factor: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """Two concentric circles like sklearn's ``make_circles``: class 0 on the circle of radius 1, class 1 on the
    circle of radius ``factor``, equally spaced angles in [0, 2π). The default noise 0.05 is the one of the DLAI
    "Initialization" notebook (make_circles(n_samples=300, noise=.05)); a 2-10-5-1 ReLU net fits it.
    """
    _check(n, rng, noise)
    if not 0 < factor < 1:
        raise ValueError(f"factor (inner radius / outer radius) must be in (0, 1); got {factor!r}")
    n_out, n_in = _split(n, 2)
    ring = [np.linspace(0, 2 * np.pi, k, endpoint=False) for k in (n_out, n_in)]
    outer = np.vstack([np.cos(ring[0]), np.sin(ring[0])])
    inner = factor * np.vstack([np.cos(ring[1]), np.sin(ring[1])])
    return _finish([outer, inner], [0.0, 1.0], rng, noise)


def moons(n: int, rng: np.random.Generator, noise: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles like sklearn's ``make_moons``: class 0 is (cos t, sin t), class 1 is
    (1 − cos t, 1/2 − sin t), t equally spaced in [0, π]."""
    _check(n, rng, noise)
    n_a, n_b = _split(n, 2)
    ta, tb = np.linspace(0, np.pi, n_a), np.linspace(0, np.pi, n_b)
    upper = np.vstack([np.cos(ta), np.sin(ta)])
    lower = np.vstack([1 - np.cos(tb), 0.5 - np.sin(tb)])
    return _finish([upper, lower], [0.0, 1.0], rng, noise)


def spirals(
    n: int, rng: np.random.Generator, noise: float = 0.05, turns: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spiral arms: class c ∈ {0, 1} is r·(cos θ, sin θ) with r = t and θ = 2π·turns·t + cπ,
    t equally spaced in [0.1, 1] (the arms start away from the centre, where they would meet)."""
    _check(n, rng, noise)
    if not (np.isfinite(turns) and turns > 0):
        raise ValueError(f"turns must be a positive number of revolutions; got {turns!r}")
    arms = []
    for c, k in enumerate(_split(n, 2)):
        t = np.linspace(0.1, 1.0, k)
        theta = 2 * np.pi * turns * t + c * np.pi
        arms.append(t * np.vstack([np.cos(theta), np.sin(theta)]))
    return _finish(arms, [0.0, 1.0], rng, noise)


def xor(n: int, rng: np.random.Generator, noise: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """Four Gaussian blobs of standard deviation ``noise`` centred at (±1, ±1); the label is 1 when the signs of
    the two coordinates differ (the XOR of x₁ > 0 and x₂ > 0), so no line separates the classes."""
    _check(n, rng, noise)
    centres = [(1.0, 1.0), (1.0, -1.0), (-1.0, -1.0), (-1.0, 1.0)]
    sizes = _split(n, 4)
    blobs = [np.repeat(np.array(c)[:, None], k, axis=1) for c, k in zip(centres, sizes, strict=True)]
    return _finish(blobs, [0.0, 1.0, 0.0, 1.0], rng, noise)
