"""Checks of the ``init_scale`` assignment: the std profile of a deep network, orthogonal init and the fraction of
dead ReLU units; its He init with a leaky-ReLU gain is judged by the init checks of ``common/inits.py`` (``shapes``,
``spread``, ``randomness``, ``training``), scheme ``he_leaky``.

The truth comes from ``reference/``: ``experiments.std_profile``, ``symmetry.dead_units`` and the orthogonality
W Wᵀ = gain²·I that ``init.orthogonal`` guarantees. Known mistakes are recognised by what they return, so that the
message names them.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from grader.checks import as_float_array, as_number, call_student, fail
from reference.experiments import std_profile as reference_profile
from reference.init import initialize
from reference.network import forward
from reference.symmetry import dead_units

from ..common.inits import randomness, shapes, spread, training

__all__ = ["dead_fraction", "orthogonal", "randomness", "shapes", "spread", "std_profile", "training"]

# --- layer_std_profile ----------------------------------------------------------------------------------------------

PROFILE_ASPECTS = ("shape", "values")

PROFILE_CASES: tuple[tuple[tuple[int, ...], str, dict, int], ...] = (
    ((6, 8, 5, 7), "relu", {"weights": "he_normal", "biases": "normal", "bias_kw": {"std": 0.5}}, 40),
    ((4, 10, 10, 3), "tanh", {"weights": "xavier_normal"}, 25),
    ((3, 6, 2), "sigmoid", {"weights": "normal", "std": 2.0, "biases": "normal", "bias_kw": {"std": 1.0}}, 9),
    ((5, 5, 5), "linear", {"weights": "orthogonal", "biases": "normal", "bias_kw": {"std": 0.3}}, 12),
)
"""(layer_dims, activation, arguments of reference.init.initialize, m) of the networks the profile checks try."""


class _RecordingInit:
    """An init_fn(layer_dims, rng) for the student, built on reference.init.initialize, that records its calls."""

    def __init__(self, kw: dict) -> None:
        self.kw, self.calls = kw, []

    def __call__(self, layer_dims: Sequence[int], rng: np.random.Generator) -> dict[str, np.ndarray]:
        self.calls.append((list(layer_dims), rng))
        return initialize(list(layer_dims), rng, **self.kw)


def _floats(value: Any, n: int, function: str, what: str) -> np.ndarray:
    """``n`` plain floats from a list, tuple or 1-D array of real numbers."""
    if isinstance(value, np.ndarray) and value.ndim == 1:
        value = list(value)
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, (list, tuple)):
        fail(function, f"must return a list of {n} numbers ({what}); got a {type(value).__name__}")
    if len(value) != n:
        fail(function, f"must return {n} numbers ({what}); got {len(value)}")
    out = []
    for x in value:
        if isinstance(x, np.ndarray) and x.ndim == 0:
            x = x[()]
        if isinstance(x, (bool, np.bool_)) or not isinstance(x, (numbers.Real, np.floating, np.integer)):
            fail(function, f"must return numbers ({what}); one of them is a {type(x).__name__}: {x!r}")
        out.append(float(x))
    return np.array(out)


def _profile_variants(
    params: dict[str, np.ndarray], X: np.ndarray, acts: list[str]
) -> dict[str, tuple[np.ndarray, str]]:
    _, cache = forward(params, X, acts)
    L = len(acts)
    Zs = [cache.Z[l] for l in range(1, L + 1)]
    return {
        "activations": (
            np.array([cache.A[l].std() for l in range(1, L + 1)]),
            "you measured the activations A_l = g(Z_l); the profile is about the pre-activations "
            "Z_l = W_l A_(l-1) + b_l, before the activation",
        ),
        "variance": (
            np.array([Z.var() for Z in Zs]),
            "you returned variances: take the square root (np.std, not np.var)",
        ),
        "ddof=1": (
            np.array([Z.std(ddof=1) for Z in Zs]),
            "you took the sample std (ddof=1); use np.std(Z), which divides by the number of entries",
        ),
        "per unit": (
            np.array([Z.std(axis=1).mean() for Z in Zs]),
            "you averaged the std of each unit over the examples; take the std over all entries of Z_l at once "
            "(units and examples together): np.std(Z)",
        ),
        "per example": (
            np.array([Z.std(axis=0).mean() for Z in Zs]),
            "you averaged the std of each example over the units; take the std over all entries of Z_l at once "
            "(units and examples together): np.std(Z)",
        ),
        "no activation": (
            reference_profile(params, X, ["linear"] * L),
            "you did not apply the activation between the layers: layer l + 1 receives A_l = g(Z_l), not Z_l",
        ),
    }


def std_profile(fn: Callable[..., Any], aspect: str) -> None:
    """``shape``: one number per layer, init_fn called once with the layer sizes and the rng given; ``values``: the
    std of every layer's pre-activations Z_l over all its entries, as reference.experiments.std_profile."""
    if aspect not in PROFILE_ASPECTS:
        raise ValueError(f"unknown aspect {aspect!r}; known: {', '.join(PROFILE_ASPECTS)}")
    name = "layer_std_profile"
    for k, (dims, activation, kw, m) in enumerate(PROFILE_CASES):
        seed = 8100 + k
        X = np.random.default_rng(seed + 50).standard_normal((dims[0], m))
        init_fn, rng = _RecordingInit(kw), np.random.default_rng(seed)
        out = call_student(name, fn, list(dims), init_fn, activation, X.copy(), rng)
        L = len(dims) - 1
        where = f"for layer_dims {list(dims)} and activation {activation!r}"
        if len(init_fn.calls) != 1:
            fail(
                name,
                f"{where}: call init_fn(layer_dims, rng) exactly once to make the network; you called it "
                f"{len(init_fn.calls)} times",
            )
        got_dims, got_rng = init_fn.calls[0]
        if got_dims != list(dims):
            fail(name, f"{where}: you called init_fn with layer sizes {got_dims}; pass layer_dims as given")
        if got_rng is not rng:
            fail(
                name,
                f"{where}: you passed another generator to init_fn; pass the rng you were given, so that the "
                f"caller decides the random numbers (a new np.random.default_rng(...) inside gives other weights)",
            )
        if (isinstance(out, (list, tuple)) or (isinstance(out, np.ndarray) and out.ndim == 1)) and len(out) == L + 1:
            fail(
                name,
                f"{where}: you returned {L + 1} numbers for a network of {L} layers: the input X is not a "
                f"layer; return std(Z_l) for l = 1, ..., L",
            )
        got = _floats(out, L, name, f"std(Z_l) for each of the {L} layers")
        if aspect == "shape":
            continue
        params = initialize(list(dims), np.random.default_rng(seed), **kw)
        acts = [activation] * L
        truth = reference_profile(params, X, acts)
        if np.allclose(got, truth, rtol=1e-9, atol=0):
            continue
        for wrong, message in _profile_variants(params, X, acts).values():
            if not np.allclose(wrong, truth, rtol=1e-6) and np.allclose(got, wrong, rtol=1e-9, atol=0):
                fail(name, f"{where}: {message}")
        shown = ", ".join(f"{x:.4g}" for x in got)
        fail(name, f"{where}: got [{shown}], expected [{', '.join(f'{x:.4g}' for x in truth)}]")


# --- orthogonal -----------------------------------------------------------------------------------------------------

ORTHOGONAL_ASPECTS = ("shape", "values", "randomness")
ORTHOGONAL_SHAPES: tuple[tuple[int, int], ...] = ((5, 5), (3, 7), (7, 3), (1, 4))
"""Square, wide (rows < cols), tall and single-row shapes."""
HAAR_DRAWS = 40
"""Draws of the randomness check: under the uniform (Haar) distribution W[0, 0] > 0 in about half of them."""


def _orthogonal(fn: Callable[..., Any], shape: tuple[int, int], seed: int, **kw: float) -> np.ndarray:
    name = "orthogonal"
    rows, cols = shape
    out = call_student(name, fn, shape, np.random.default_rng(seed), **kw)
    if isinstance(out, np.ndarray) and out.shape != shape:
        got = tuple(out.shape)
        if rows < cols and got == (rows, rows):
            fail(
                name,
                f"for shape {shape} (rows < cols) you returned a square ({rows}, {rows}) matrix: np.linalg.qr "
                f"of a wide matrix gives a square Q. Draw the transposed ({cols}, {rows}) matrix, take its Q (shape "
                f"({cols}, {rows}), orthonormal columns) and transpose it back",
            )
        if got == (cols, rows):
            fail(name, f"for shape {shape} you returned shape {got}: it is transposed")
        if rows > cols and got == (rows, rows):
            fail(
                name,
                f"for shape {shape} you returned a square ({rows}, {rows}) Q: use np.linalg.qr's default "
                f"'reduced' mode, whose Q has the shape ({rows}, {cols}) of the matrix you decompose",
            )
    return as_float_array(out, "W", shape, name)


def _gram(W: np.ndarray) -> np.ndarray:
    """W Wᵀ when rows <= cols (orthonormal rows), Wᵀ W otherwise (orthonormal columns)."""
    return W @ W.T if W.shape[0] <= W.shape[1] else W.T @ W


def orthogonal(fn: Callable[..., Any], aspect: str) -> None:
    """``shape``: float64 of the shape asked, wide and tall included; ``values``: W Wᵀ = gain²·I (rows <= cols) or
    Wᵀ W = gain²·I (rows >= cols) for several gains; ``randomness``: rng only, and uniformly distributed signs."""
    if aspect not in ORTHOGONAL_ASPECTS:
        raise ValueError(f"unknown aspect {aspect!r}; known: {', '.join(ORTHOGONAL_ASPECTS)}")
    name = "orthogonal"
    if aspect == "shape":
        for k, shape in enumerate(ORTHOGONAL_SHAPES):
            _orthogonal(fn, shape, 8200 + k)
        return
    if aspect == "values":
        for k, shape in enumerate(ORTHOGONAL_SHAPES[:3]):
            for gain in (None, 5 / 3, 0.5):
                kw = {} if gain is None else {"gain": gain}
                g = 1.0 if gain is None else gain
                G = _gram(_orthogonal(fn, shape, 8210 + k, **kw))
                n = G.shape[0]
                call = f"orthogonal({shape}, rng" + ("" if gain is None else f", gain={gain:.4g}") + ")"
                if np.allclose(G, g * g * np.eye(n), rtol=0, atol=1e-10 * max(1.0, g * g)):
                    continue
                c = float(np.trace(G)) / n
                if not np.allclose(G, c * np.eye(n), rtol=0, atol=1e-9 * max(1.0, abs(c))):
                    which = "W W^T" if shape[0] <= shape[1] else "W^T W"
                    fail(
                        name,
                        f"{call} is not orthogonal: {which} should be gain^2 times the identity but has "
                        f"off-diagonal entries as large as {np.abs(G - np.diag(np.diag(G))).max():.3g}. Take the Q "
                        f"of a QR decomposition (np.linalg.qr) of a standard normal matrix",
                    )
                scale = math.sqrt(c)
                known = {
                    1.0: "you ignored gain: multiply the orthogonal matrix by gain",
                    g * g: "you multiplied by gain^2; multiply by gain (then W W^T = gain^2 I)",
                    math.sqrt(g): "you multiplied by sqrt(gain); multiply by gain (then W W^T = gain^2 I)",
                }
                for value, message in known.items():
                    if abs(value - g) > 1e-6 and abs(scale - value) < 1e-8:
                        fail(name, f"{call}: your matrix is orthogonal times {scale:.4g}: {message}")
                fail(
                    name,
                    f"{call}: your matrix is orthogonal times {scale:.4g}; it must be orthogonal times gain = {g:.4g}",
                )
        return
    state = np.random.get_state()
    first = _orthogonal(fn, (4, 4), 8300)
    changed = state[0] != np.random.get_state()[0] or not np.array_equal(state[1], np.random.get_state()[1])
    np.random.set_state(state)
    if changed:
        fail(
            name,
            "your function used NumPy's global random generator (np.random.randn, np.random.normal, ...): "
            "draw from the rng argument, e.g. rng.standard_normal(shape)",
        )
    if not np.array_equal(first, _orthogonal(fn, (4, 4), 8300)):
        fail(
            name,
            "two calls with generators in the same state gave different matrices: draw every random "
            "number from the rng argument",
        )
    if np.array_equal(first, _orthogonal(fn, (4, 4), 8301)):
        fail(name, "your matrix does not change when rng changes: draw it from the rng you were given")
    for shape in ((4, 4), (3, 5)):
        signs = [np.sign(_orthogonal(fn, shape, 8400 + k)[0, 0]) for k in range(HAAR_DRAWS)]
        positive = sum(s > 0 for s in signs)
        if not 8 <= positive <= HAAR_DRAWS - 8:
            fail(
                name,
                f"for shape {shape}, W[0, 0] was {'positive' if positive > 20 else 'negative'} in "
                f"{max(positive, HAAR_DRAWS - positive)} of {HAAR_DRAWS} draws: your matrices are not uniformly "
                f"distributed over the orthogonal matrices. np.linalg.qr fixes the sign of each diagonal entry of "
                f"R; multiply the columns of Q by the signs of diag(R) (Q * np.sign(np.diag(R)))",
            )


# --- dead_relu_fraction ---------------------------------------------------------------------------------------------

DEAD_ASPECTS = ("values", "edges")


def _net(dims: Sequence[int], seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        key: rng.standard_normal(shape)
        for l in range(1, len(dims))
        for key, shape in ((f"W{l}", (dims[l], dims[l - 1])), (f"b{l}", (dims[l], 1)))
    }


def _dead_cases(aspect: str) -> list[tuple[str, dict[str, np.ndarray], np.ndarray]]:
    if aspect == "values":
        a = _net((3, 6, 4, 1), 8500)
        a["b1"][[1, 4]] = -20.0  # dead whatever the input
        a["b3"][0] = -20.0  # a dead output unit, which must not count
        b = _net((2, 5, 8, 3, 1), 8501)  # layers of different widths
        b["W2"][[2, 5, 6]] = -np.abs(b["W2"][[2, 5, 6]])  # all inputs A1 >= 0 meet negative weights: Z2 <= 0 ...
        b["b2"][[2, 5, 6]] = 0.0  # ... but only after the ReLU of layer 1
        c = _net((4, 3, 3, 2), 8502)
        return [
            (
                "a 3-6-4-1 network whose units 1 and 4 of layer 1 have bias -20 (and a dead output unit)",
                a,
                np.random.default_rng(8510).standard_normal((3, 25)),
            ),
            (
                "a 2-5-8-3-1 network with three units of layer 2 whose weights are all negative",
                b,
                np.random.default_rng(8511).standard_normal((2, 30)),
            ),
            ("a random 4-3-3-2 network", c, np.random.default_rng(8512).standard_normal((4, 7))),
        ]
    d = _net((3, 4, 2, 1), 8520)
    d["W1"][2] = 0.0
    d["b1"][2] = 0.0  # Z = 0 exactly on every example: dead (its ReLU derivative is 0)
    e = _net((2, 3, 1), 8521)
    e["b1"][0] = -20.0
    return [
        (
            "a 3-4-2-1 network whose unit 2 of layer 1 has zero weights and zero bias (Z = 0 on every example)",
            d,
            np.random.default_rng(8530).standard_normal((3, 10)),
        ),
        ("a 2-3-1 network on a single example", e, np.random.default_rng(8531).standard_normal((2, 1))),
    ]


def _dead_truth(params: dict[str, np.ndarray], X: np.ndarray) -> float:
    L = sum(1 for key in params if key.startswith("W"))
    acts = ["relu"] * (L - 1) + ["sigmoid"]
    dead = sum(len(dead_units(params, X, acts, l)) for l in range(1, L))
    return dead / sum(params[f"W{l}"].shape[0] for l in range(1, L))


def _dead_variants(params: dict[str, np.ndarray], X: np.ndarray) -> dict[str, tuple[float, str]]:
    L = sum(1 for key in params if key.startswith("W"))
    A, Zs = X, []
    for l in range(1, L + 1):
        Z = params[f"W{l}"] @ A + params[f"b{l}"]
        Zs.append(Z)
        A = np.maximum(Z, 0)
    hidden = Zs[:-1]
    units = sum(Z.shape[0] for Z in hidden)
    linear, B = [], X
    for l in range(1, L):
        B = params[f"W{l}"] @ B + params[f"b{l}"]
        linear.append(B)
    return {
        "any": (
            sum(int(np.any(Z <= 0, axis=1).sum()) for Z in hidden) / units,
            "you counted units that are off on SOME example; a unit is dead when Z <= 0 on every example "
            "(np.all over axis 1)",
        ),
        "strict": (
            sum(int(np.all(Z < 0, axis=1).sum()) for Z in hidden) / units,
            "a unit whose Z is exactly 0 on every example is dead too (ReLU's output and derivative are 0 there): "
            "use Z <= 0, not Z < 0",
        ),
        "output": (
            sum(int(np.all(Z <= 0, axis=1).sum()) for Z in Zs) / (units + Zs[-1].shape[0]),
            "you counted the output layer; only the hidden (ReLU) layers 1, ..., L-1 count",
        ),
        "mean of layers": (
            float(np.mean([np.all(Z <= 0, axis=1).mean() for Z in hidden])),
            "you averaged the fractions of the layers; pool the units instead: dead hidden units / all hidden units "
            "(layers of different widths weigh differently)",
        ),
        "no relu": (
            sum(int(np.all(Z <= 0, axis=1).sum()) for Z in linear) / units,
            "you fed Z_l to the next layer; layer l + 1 receives A_l = relu(Z_l)",
        ),
        "entries": (
            sum(int((Z <= 0).sum()) for Z in hidden) / sum(Z.size for Z in hidden),
            "you counted entries of Z (unit and example pairs); count units: a unit is dead when Z <= 0 on every "
            "example",
        ),
    }


def dead_fraction(fn: Callable[..., Any], aspect: str) -> None:
    """``values``: dead hidden units / hidden units, pooled over layers 1..L-1 (ReLU), on planted networks;
    ``edges``: Z exactly 0 counts as dead, a single example works. The truth is reference.symmetry.dead_units."""
    if aspect not in DEAD_ASPECTS:
        raise ValueError(f"unknown aspect {aspect!r}; known: {', '.join(DEAD_ASPECTS)}")
    name = "dead_relu_fraction"
    for story, params, X in _dead_cases(aspect):
        got = as_number(call_student(name, fn, {k: v.copy() for k, v in params.items()}, X.copy()), name)
        truth = _dead_truth(params, X)
        if abs(got - truth) <= 1e-12:
            continue
        hidden = sum(params[f"W{l}"].shape[0] for l in range(1, len(params) // 2))
        if abs(got - truth * hidden) <= 1e-12 and truth > 0:
            fail(
                name,
                f"on {story}: you returned the number of dead units ({got:g}); return their fraction, "
                f"dead hidden units / all hidden units",
            )
        for value_, message in _dead_variants(params, X).values():
            if abs(value_ - truth) > 1e-9 and abs(got - value_) <= 1e-12:
                fail(name, f"on {story}: {message}")
        fail(name, f"on {story}: expected {truth:.4g}, got {got:.4g}")
