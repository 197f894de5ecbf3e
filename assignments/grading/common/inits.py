"""Checks of the init functions of ``init_symmetry`` and ``init_scale``: shapes, spread, randomness (symmetry broken,
rng only) and training the reference network from them. Each takes the student's function and a scheme of
``init_specs``; the public helpers below (:func:`judge_spread`, :func:`assert_distinct_units`, ...) also judge
``init_symmetry``'s ``initialize_parameters_from_stds`` (``grading/init_symmetry/stds.py``)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.checks import call_student, fail, only, quiet
from reference.data import circles
from reference.symmetry import duplicate_units
from reference.train import train

from .init_specs import InitSpec, Mistake, Spread, get_spec
from .params import as_params


def _init(spec: InitSpec, fn: Callable[..., Any], layer_dims: Sequence[int], seed: int | None = 0, **kw: float):
    """Call the student's init and return its parameters as checked float64 copies."""
    dims = list(layer_dims)
    if spec.uses_rng:
        out = call_student(spec.function, fn, dims, np.random.default_rng(seed), **kw)
    else:
        out = call_student(spec.function, fn, dims, **kw)
    return as_params(out, dims, spec.function)


SHAPE_CASES: tuple[tuple[int, ...], ...] = ((3, 4, 1), (5, 3, 2, 1), (2, 1), (4, 6, 6, 2))
"""layer_dims :func:`shapes` tries: several depths, square and non-square layers."""


def _describe(values: np.ndarray) -> str:
    largest = values.ravel()[np.argmax(np.abs(values))]
    return f"values as large as {largest:.3g} (std {values.std():.3g})"


def shapes(fn: Callable[..., Any], scheme: str) -> None:
    """Keys, shapes (n_l, n_(l-1)) and (n_l, 1), float64, and the parts that must be exactly zero."""
    spec = get_spec(scheme)
    for dims in SHAPE_CASES:
        params = _init(spec, fn, dims)
        for l in range(1, len(dims)):
            for kind, spread in (("W", spec.weights), ("b", spec.biases)):
                value = params[f"{kind}{l}"]
                if spread is None and np.any(value != 0):
                    what = "biases" if kind == "b" else "weights"
                    fail(
                        spec.function,
                        f"{kind}{l} must start at zero (all {what} of this init are 0); yours has {_describe(value)}",
                    )


@dataclass(frozen=True)
class Sample:
    name: str
    values: np.ndarray
    fan_in: int
    fan_out: int


def samples_of(params: Mapping[str, np.ndarray], kind: str) -> list[Sample]:
    out = []
    for key in sorted((k for k in params if k.startswith(kind)), key=lambda k: int(k[1:])):
        W = params[f"W{key[1:]}"]
        out.append(Sample(key, params[key], fan_in=W.shape[1], fan_out=W.shape[0]))
    return out


def judge_spread(
    function: str, sample: Sample, spread: Spread, mistakes: Sequence[Mistake], scale: float, call: str
) -> None:
    """Mean 0, std = spread, normal shape; tolerances from the sample size N (about 6 standard errors)."""
    x = sample.values.ravel()
    N = x.size
    sigma = spread.std(sample.fan_in, sample.fan_out, scale)
    where = f"{sample.name} (shape {sample.values.shape}: n_(l-1) = {sample.fan_in}, n_l = {sample.fan_out})"
    s = float(x.std())
    if s == 0:
        fail(
            function,
            f"all entries of {where} are equal ({x[0]:.4g}), so all units of the layer are identical and get the "
            f"same gradient forever: symmetry is not broken. Draw the entries at random",
        )
    mean = float(x.mean())
    if abs(mean) > 6 * s / math.sqrt(N):
        fail(
            function,
            f"{where} has mean {mean:.3g}; it must be centred on 0. rng.random and rng.uniform(0, 1) draw from "
            f"[0, 1): use rng.standard_normal or rng.normal(0.0, std, size)",
        )
    tol = 6 / math.sqrt(2 * N)
    if abs(s / sigma - 1) > tol:
        for mistake in mistakes:
            alt = mistake.spread.std(sample.fan_in, sample.fan_out, scale)
            if abs(alt / sigma - 1) > tol and abs(s / alt - 1) <= tol:
                fail(
                    function,
                    f"{where}{call} has std {s:.4g} instead of {spread.formula} = {sigma:.4g}: {mistake.message}",
                )
        fail(function, f"{where}{call} has std {s:.4g}; it must be {spread.formula} = {sigma:.4g}")
    kurtosis = float(np.mean((x - mean) ** 4) / np.mean((x - mean) ** 2) ** 2)
    if abs(kurtosis - 3) > max(8 * math.sqrt(24 / N), 0.15):
        shape = "uniform" if abs(kurtosis - 1.8) < 0.3 else "not normal"
        fail(
            function,
            f"{where} has the right std but its values are {shape}ly distributed (kurtosis {kurtosis:.2f}; a "
            f"normal distribution has 3, a uniform one 1.8): this init draws from a normal distribution, "
            f"rng.standard_normal(shape) * std or rng.normal(0.0, std, size=shape), not rng.uniform",
        )


SPREAD_DIMS = {"W": (400, 100, 50), "b": (2, 3000, 1000)}
"""layer_dims :func:`spread` draws from: n_(l-1) != n_l so that fan_in and fan_out mix-ups show, and enough
numbers (40,000 in W1) for a tolerance of a few percent on the std."""


def spread(fn: Callable[..., Any], scheme: str) -> None:
    """Mean 0 and the std of the scheme (its formula, ``scale`` or ``negative_slope`` honoured), normal not uniform,
    in every layer."""
    spec = get_spec(scheme)
    for kind, spread, mistakes in (("W", spec.weights, spec.weight_mistakes), ("b", spec.biases, spec.bias_mistakes)):
        if spread is None:
            continue
        has_scale = any(spec.param in kw for kw in spec.calls)
        for kw in spec.calls:
            scale = kw.get(spec.param, spec.default_scale)
            dims = SPREAD_DIMS[kind]
            wanted = [f"{kind}{l}" for l in range(1, len(dims))]  # the other kind's 24 MB need not travel
            params = _init(spec, only(fn, wanted), dims, seed=12345, **kw)
            for sample in samples_of(params, kind):
                assert_distinct_units(spec.function, sample)
                call = f" (called with {spec.param}={scale})" if has_scale else ""
                judge_spread(spec.function, sample, spread, mistakes, scale, call)


def _equal_rows(M: np.ndarray) -> tuple[int, int] | None:
    """The first pair of exactly equal rows of M, or None."""
    _, inverse, counts = np.unique(M, axis=0, return_inverse=True, return_counts=True)
    if np.all(counts == 1):
        return None
    group = int(np.flatnonzero(counts > 1)[0])
    i, j = np.flatnonzero(inverse.ravel() == group)[:2]
    return int(i), int(j)


def assert_distinct_units(function: str, sample: Sample) -> None:
    """No two rows of a weight matrix (entries of a bias) are exactly equal: the random part breaks symmetry."""
    pair = _equal_rows(sample.values)
    if pair is not None:
        i, j = pair
        what = "rows" if sample.name.startswith("W") else "entries"
        fail(
            function,
            f"{what} {i} and {j} of {sample.name} are identical, so units {i} and {j} of layer {sample.name[1:]} "
            f"compute the same thing and receive the same gradient forever: symmetry is not broken. Every unit "
            f"(row) needs its own random numbers",
        )


RANDOMNESS_DIMS = (4, 12, 10, 8)
"""Non-square layers, so that a layer that restarts from the same random numbers shows as a rescaled prefix copy."""


def same_state(a: tuple, b: tuple) -> bool:
    return a[0] == b[0] and np.array_equal(a[1], b[1]) and tuple(a[2:]) == tuple(b[2:])


def randomness(fn: Callable[..., Any], scheme: str) -> None:
    """The random parts have pairwise different rows (symmetry broken), the result depends on ``rng`` only (not on
    np.random's global state, not on a generator made inside) and every layer draws fresh numbers from that rng."""
    spec = get_spec(scheme)
    name = spec.function
    kind = "W" if spec.weights is not None else "b"
    state = np.random.get_state()
    first = _init(spec, fn, RANDOMNESS_DIMS, seed=7)
    changed = not same_state(state, np.random.get_state())
    np.random.set_state(state)
    if changed:
        fail(
            name,
            "your function used NumPy's global random generator (np.random.randn, np.random.normal, "
            "np.random.seed, ...): draw every random number from the rng argument, e.g. rng.standard_normal(shape)",
        )
    samples = samples_of(first, kind)
    for sample in samples:
        assert_distinct_units(name, sample)
    again = _init(spec, fn, RANDOMNESS_DIMS, seed=7)
    if any(not np.array_equal(first[k], again[k]) for k in first):
        fail(
            name,
            "two calls with generators in the same state gave different parameters: your numbers come from a "
            "generator other than the rng argument (np.random.default_rng() inside the function?)",
        )
    other = _init(spec, fn, RANDOMNESS_DIMS, seed=8)
    if all(np.array_equal(first[s.name], other[s.name]) for s in samples):
        fail(
            name,
            "your parameters do not change when rng changes: you created or seeded your own generator "
            "(np.random.default_rng(0), np.random.seed, ...) instead of drawing from the rng you were given",
        )
    assert_fresh_layers(name, samples)


def assert_fresh_layers(function: str, samples: Sequence[Sample]) -> None:
    """No layer starts with (a rescaled copy of) the random numbers of another: the rng was not reseeded."""
    for i, a in enumerate(samples):
        for b in samples[i + 1 :]:
            k = min(a.values.size, b.values.size)
            x, y = a.values.ravel()[:k], b.values.ravel()[:k]
            if x.std() > 0 and y.std() > 0 and abs(np.corrcoef(x, y)[0, 1]) > 0.999:
                fail(
                    function,
                    f"{b.name} starts with the same random numbers as {a.name} (rescaled): each layer restarted "
                    f"from the same seed. A generator reseeded (or re-created) for every layer repeats itself; "
                    f"draw every layer from the one rng you were given, without reseeding it",
                )


TRAINING = {"layer_dims": (2, 10, 5, 1), "activations": ("relu", "relu", "sigmoid"), "n": 200, "lr": 0.3, "steps": 300}
"""The reference network :func:`training` trains from the student's init (circles data)."""
TRAINING_SEEDS = (3, 4)
"""Two inits per check: the loss must fall in at least one run (a correct Xavier init fails to in about 1 run in
200), and no run may keep duplicate units."""


def training(fn: Callable[..., Any], scheme: str) -> None:
    """Training the reference 2-10-5-1 ReLU net on circles from the student's init leaves no duplicate units in
    any hidden layer and lowers the loss by at least a tenth."""
    spec = get_spec(scheme)
    dims, acts, steps = list(TRAINING["layer_dims"]), list(TRAINING["activations"]), TRAINING["steps"]
    X, Y = circles(TRAINING["n"], np.random.default_rng(0))
    losses = []
    for seed in TRAINING_SEEDS:
        params = _init(spec, fn, dims, seed=seed)
        with quiet():
            trained, history = train(params, X, Y, activations=acts, loss="bce", lr=TRAINING["lr"], steps=steps)
        for l in range(1, len(dims) - 1):
            groups = duplicate_units(trained, l)
            if groups:
                fail(
                    spec.function,
                    f"after {steps} training steps from your init, layer {l} still has identical units {groups}: "
                    f"their rows of W{l}, biases and columns of W{l + 1} started equal, so gradient descent can never "
                    f"separate them",
                )
        losses.append((float(history.loss[0]), float(history.loss[-1])))
    if not any(last < 0.9 * first for first, last in losses):
        shown = ", ".join(f"{first:.4f} -> {last:.4f}" for first, last in losses)
        fail(
            spec.function,
            f"training the reference 2-10-5-1 ReLU network on circles for {steps} steps from your init barely "
            f"lowered the loss ({shown}); from a correct init it falls by more than a tenth",
        )
