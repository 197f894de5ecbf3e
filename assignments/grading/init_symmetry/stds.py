"""Checks of ``initialize_parameters_from_stds(layer_dims, rng, weight_stds, bias_stds)``, the one loop every init of
``init_symmetry`` but the zeros is a line of: keys, shapes and exact zeros (``shapes``), the std of every layer
(``spread``), and where the numbers come from (``randomness``: rng only, fresh numbers for every layer, nothing
drawn for a part whose std is 0)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from grader.checks import call_student, fail, only

from ..common.init_specs import Mistake, Spread
from ..common.inits import (
    RANDOMNESS_DIMS,
    assert_distinct_units,
    assert_fresh_layers,
    judge_spread,
    same_state,
    samples_of,
)
from ..common.params import as_params

FUNCTION = "initialize_parameters_from_stds"
ARGUMENT = {"W": "weight_stds", "b": "bias_stds"}


def _call(fn: Callable[..., Any], dims: Sequence[int], weight_stds: Sequence[float], bias_stds: Sequence[float],
          rng: np.random.Generator | None = None, keys: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """The student's parameters for these arguments, as checked float64 copies (only ``keys`` sent back, if given)."""
    dims = list(dims)
    rng = np.random.default_rng(0) if rng is None else rng
    out = call_student(FUNCTION, fn if keys is None else only(fn, keys), dims, rng, list(weight_stds), list(bias_stds))
    return as_params(out, dims, FUNCTION)


def _called(dims: Sequence[int], weight_stds: Sequence[float], bias_stds: Sequence[float]) -> str:
    return f"called with layer_dims={list(dims)}, weight_stds={list(weight_stds)}, bias_stds={list(bias_stds)}"


def _largest(values: np.ndarray) -> str:
    return f"{values.ravel()[np.argmax(np.abs(values))]:.3g}"


def _judge_zeros(dims, weight_stds, bias_stds, params) -> None:
    """A part whose std is 0 is exactly zero; a part whose std is positive is not all zeros."""
    for l in range(1, len(dims)):
        for kind, stds in (("W", weight_stds), ("b", bias_stds)):
            value, std, arg = params[f"{kind}{l}"], stds[l - 1], f"{ARGUMENT[kind]}[{l - 1}]"
            if std == 0 and np.any(value != 0):
                fail(FUNCTION, f"{_called(dims, weight_stds, bias_stds)}: {kind}{l} must be exactly zero because "
                               f"{arg} = 0; yours has values as large as {_largest(value)}")
            if std > 0 and not np.any(value != 0):
                fail(FUNCTION, f"{_called(dims, weight_stds, bias_stds)}: {kind}{l} is all zeros although {arg} = "
                               f"{std}: draw it, rng.standard_normal(shape) * {arg}, for layer l the entry l - 1")


SHAPE_CASES: tuple[tuple[tuple[int, ...], tuple[float, ...], tuple[float, ...]], ...] = (
    ((3, 4, 1), (1.0, 0.5), (0.0, 0.0)),
    ((5, 3, 2, 1), (0.0, 0.0, 0.0), (1.0, 2.0, 0.5)),
    ((4, 6, 6, 2), (0.3, 0.0, 1.0), (0.0, 0.2, 0.0)),
    ((2, 1), (0.0,), (0.0,)),
)
"""(layer_dims, weight_stds, bias_stds) :func:`from_stds` tries for ``shapes``: several depths, parts with std 0
among random ones."""

SPREAD_CASES: dict[str, tuple[tuple[int, ...], tuple[float, ...], tuple[float, ...]]] = {
    "W": ((400, 200, 100), (0.3, 2.0), (0.0, 0.0)),
    "b": ((2, 3000, 1000), (0.0, 0.0), (0.5, 3.0)),
}
"""Big enough layers for a few-percent tolerance on the std, with a different std per layer."""


def _mistakes(stds: Sequence[float], l: int, arg: str) -> tuple[Mistake, ...]:
    """Known wrong stds for layer ``l`` given the list ``stds`` passed as ``arg``."""
    first, std = stds[0], stds[l - 1]
    return (
        Mistake(Spread(f"{arg}[0]", lambda i, o, s: first),
                f"you used the first layer's std, {arg}[0], for every layer: layer l takes {arg}[l - 1]"),
        Mistake(Spread(f"{arg}[{l - 1}]^2", lambda i, o, s: std * std),
                f"your std is {arg}[{l - 1}] squared: the list holds standard deviations, not variances; multiply "
                f"the standard normal numbers by the std itself"),
        Mistake(Spread(f"sqrt({arg}[{l - 1}])", lambda i, o, s: float(np.sqrt(std))),
                f"your std is the square root of {arg}[{l - 1}]: you took it for a variance; it is the standard "
                f"deviation itself"),
        Mistake(Spread("1", lambda i, o, s: 1.0),
                "your numbers have std 1: you drew standard normal numbers but did not multiply them by the std"),
    )


def _spread(fn: Callable[..., Any]) -> None:
    for kind, (dims, weight_stds, bias_stds) in SPREAD_CASES.items():
        stds = weight_stds if kind == "W" else bias_stds
        wanted = [f"{kind}{l}" for l in range(1, len(dims))]  # the other kind's zeros need not travel
        params = _call(fn, dims, weight_stds, bias_stds, np.random.default_rng(12345), keys=wanted)
        call = f" ({_called(dims, weight_stds, bias_stds)})"
        for sample in samples_of(params, kind):
            l = int(sample.name[1:])
            std, arg = stds[l - 1], f"{ARGUMENT[kind]}[{l - 1}]"
            x = sample.values.ravel()
            if not np.any(x != 0):
                fail(FUNCTION, f"{sample.name}{call} is all zeros although {arg} = {std}")
            assert_distinct_units(FUNCTION, sample)
            tol = 6 / np.sqrt(x.size)
            if abs(x.mean() / std - 1) < tol and abs(x.std() - 1) < tol and abs(std - 1) > 3 * tol:
                fail(FUNCTION, f"{sample.name}{call} has mean {x.mean():.4g} = {arg} and std {x.std():.4g}: "
                               f"rng.normal(std, size=shape) reads std as the mean (its first argument is loc); "
                               f"write rng.normal(0.0, std, size=shape) or rng.standard_normal(shape) * std")
            judge_spread(FUNCTION, sample, Spread(arg, lambda i, o, s, std=std: std),
                         _mistakes(stds, l, ARGUMENT[kind]), 0.0, call)


RANDOM_STDS = ((0.5, 1.0, 2.0), (0.1, 0.2, 0.3))
"""weight_stds and bias_stds for ``randomness`` on :data:`RANDOMNESS_DIMS`: every part random."""


def _draws_taken(rng: np.random.Generator, seed: int, count: int) -> bool:
    """Whether ``rng`` (made from ``seed``) is where a fresh generator is after ``count`` standard normal draws."""
    fresh = np.random.default_rng(seed)
    fresh.standard_normal(count)
    return rng.bit_generator.state == fresh.bit_generator.state


def _randomness(fn: Callable[..., Any]) -> None:
    dims = list(RANDOMNESS_DIMS)
    weight_stds, bias_stds = RANDOM_STDS
    state = np.random.get_state()
    first = _call(fn, dims, weight_stds, bias_stds, np.random.default_rng(7))
    changed = not same_state(state, np.random.get_state())
    np.random.set_state(state)
    if changed:
        fail(FUNCTION, "your function used NumPy's global random generator (np.random.randn, np.random.normal, "
                       "np.random.seed, ...): draw every random number from the rng argument, e.g. "
                       "rng.standard_normal(shape)")
    for kind in ("W", "b"):
        samples = samples_of(first, kind)
        for sample in samples:
            assert_distinct_units(FUNCTION, sample)
        assert_fresh_layers(FUNCTION, samples)
    again = _call(fn, dims, weight_stds, bias_stds, np.random.default_rng(7))
    if any(not np.array_equal(first[k], again[k]) for k in first):
        fail(FUNCTION, "two calls with generators in the same state gave different parameters: your numbers come "
                       "from a generator other than the rng argument (np.random.default_rng() inside the function?)")
    other = _call(fn, dims, weight_stds, bias_stds, np.random.default_rng(8))
    if all(np.array_equal(first[k], other[k]) for k in first):
        fail(FUNCTION, "your parameters do not change when rng changes: you created or seeded your own generator "
                       "(np.random.default_rng(0), np.random.seed, ...) instead of drawing from the rng you were given")
    sizes = {kind: [dims[l] * (dims[l - 1] if kind == "W" else 1) for l in range(1, len(dims))] for kind in "Wb"}
    for kind, zero in (("W", "b"), ("b", "W")):
        stds = {kind: [1.0] * (len(dims) - 1), zero: [0.0] * (len(dims) - 1)}
        rng = np.random.default_rng(9)
        _call(fn, dims, stds["W"], stds["b"], rng)
        if _draws_taken(rng, 9, sum(sizes[kind])):
            continue
        drew_zeros = _draws_taken(rng, 9, sum(sizes[kind]) + sum(sizes[zero]))
        called = _called(dims, stds["W"], stds["b"])
        fail(FUNCTION, (f"{called}, you took random numbers from rng for the parts whose std is 0 as well"
                        if drew_zeros else f"{called}, you took another amount of numbers from rng than the "
                        f"{sum(sizes[kind])} the {ARGUMENT[kind].split('_')[0]}s need")
             + ": a part whose std is 0 must be np.zeros(shape) and take nothing from rng (multiplying random "
               "numbers by 0 uses them up, so every later part gets other numbers than in the notebook)")


def _shapes(fn: Callable[..., Any]) -> None:
    for dims, weight_stds, bias_stds in SHAPE_CASES:
        _judge_zeros(dims, weight_stds, bias_stds, _call(fn, dims, weight_stds, bias_stds))


ASPECTS: dict[str, Callable[[Callable[..., Any]], None]] = {
    "shapes": _shapes,
    "spread": _spread,
    "randomness": _randomness,
}


def from_stds(fn: Callable[..., Any], aspect: str) -> None:
    """Judge the student's ``initialize_parameters_from_stds`` on one aspect: shapes, spread or randomness."""
    try:
        check = ASPECTS[aspect]
    except KeyError:
        raise ValueError(f"unknown aspect {aspect!r}; known: {', '.join(ASPECTS)}") from None
    check(fn)
