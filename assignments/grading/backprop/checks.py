"""Checks of the ``backprop`` assignment: the layer functions, the whole-network passes and the gradient checker.

Every check runs the student's function on shapes and seeds the notebook never shows, compares the result with
``reference/`` (``network.forward``/``backward``, the activations' backward passes) or with centered differences
(``reference.gradcheck.numerical_gradient``), and checks that the inputs are left exactly as they were. When a
wrong result matches a known mistake (a missing or extra 1/m, a transposed dW, ``db`` summed over the wrong axis, a
derivative taken at A instead of Z, one-sided differences, ...) the message names it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from grader.checks import as_float_array, as_number, call_student, fail, quiet
from reference.activations import get_activation
from reference.gradcheck import numerical_gradient as centered_differences
from reference.gradcheck import relative_error
from reference.losses import compute_loss
from reference.network import Cache, backward, forward

TOL = 1e-7
"""Largest relative difference (Frobenius norms) accepted between a student's array and the truth."""

Variants = dict[str, tuple[np.ndarray, str]]
"""Known wrong results: a label -> (what that mistake returns on this case, the message naming it)."""


# --- helpers ------------------------------------------------------------------------------------------------------


def _draw(seed: int, *shapes: tuple[int, ...], scale: float = 1.0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [scale * rng.standard_normal(shape) for shape in shapes]


def _close(a: np.ndarray, b: np.ndarray, tol: float = TOL) -> bool:
    return a.shape == b.shape and relative_error(a, b) <= tol


def _parts(value: Any, n: int, function: str, what: str) -> tuple[Any, ...]:
    """The n items of a returned tuple/list, or a message saying what the function must return."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, (tuple, list)) or len(value) != n:
        got = f"a {type(value).__name__}" + (f" of length {len(value)}" if isinstance(value, (tuple, list)) else "")
        fail(function, f"must return {what}; got {got}")
    return tuple(value)


def _array(value: Any, name: str, shape: tuple[int, ...], function: str, hints: Mapping[tuple, str] = {}) -> np.ndarray:
    """A float64 copy of ``value`` of ``shape``; known wrong shapes (``hints``) get their own message first."""
    if isinstance(value, np.ndarray):
        got = tuple(int(n) for n in np.asarray(value).shape)
        if got != shape and got in hints:
            fail(function, f"{name} has shape {got} but must have shape {shape}: {hints[got]}")
    return as_float_array(value, name, shape, function)


def _judge(function: str, name: str, got: np.ndarray, expected: np.ndarray, variants: Variants, where: str) -> None:
    """Pass if ``got`` is ``expected``; otherwise name the known mistake whose result ``got`` matches."""
    if _close(got, expected):
        return
    for wrong, message in variants.values():
        if wrong.shape == got.shape and not _close(wrong, expected, 1e-4) and _close(got, wrong, 1e-6):
            fail(function, f"{where}: {name} is wrong: {message}")
    fail(
        function,
        f"{where}: {name} differs from the right values (relative difference {relative_error(got, expected):.2g}; "
        f"a correct result agrees to better than {TOL:g})",
    )


def _unchanged(function: str, saved: Mapping[str, np.ndarray], passed: Mapping[str, np.ndarray]) -> None:
    """Every array the student was given still holds exactly what it held before the call."""
    for name, before in saved.items():
        after = np.asarray(passed[name])
        if after.shape != before.shape or not np.array_equal(after, before, equal_nan=True):
            fail(
                function,
                f"your function changed its input {name} in place (an assignment like {name}[...] = ... or "
                f"{name} *= ..., -=, /=): the caller still needs {name}. Build a new array instead, for example "
                f"{name} * mask or {name}.copy() first",
            )


def _copies(**arrays: np.ndarray) -> dict[str, np.ndarray]:
    return {name: np.array(a, copy=True) for name, a in arrays.items()}


# --- linear_forward -------------------------------------------------------------------------------------------------

LINEAR_CASES: tuple[tuple[int, int, int], ...] = ((5, 3, 7), (1, 4, 2), (6, 6, 1), (4, 4, 6))
"""(n_prev, n, m) of the layers the linear checks try: non-square, a single input, a single example, square."""


def _linear_case(k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n_prev, n, m = LINEAR_CASES[k]
    A_prev, W, b = _draw(7100 + k, (n_prev, m), (n, n_prev), (n, 1))
    return A_prev, W, b


def _linear_z(A_prev: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Z = W A_prev + b, as the reference's forward pass computes it (one linear layer)."""
    _, cache = forward({"W1": W, "b1": b}, A_prev, ["linear"])
    return cache.Z[1]


def linear_forward(fn: Callable[..., Any]) -> None:
    """Z = W A_prev + b of shape (n, m) and cache = (A_prev, W, b), inputs untouched, on unseen layer sizes."""
    name = "linear_forward"
    for k, (n_prev, n, m) in enumerate(LINEAR_CASES):
        A_prev, W, b = _linear_case(k)
        saved = _copies(A_prev=A_prev, W=W, b=b)
        out = call_student(name, fn, A_prev, W, b)
        _unchanged(name, saved, {"A_prev": A_prev, "W": W, "b": b})
        Z, cache = _parts(out, 2, name, "the pair (Z, cache)")
        hints = {(m, n): "it is transposed; Z = W A_prev + b has one row per unit and one column per example"}
        Z = _array(Z, "Z", (n, m), name, hints)
        where = f"with A_prev of shape {(n_prev, m)}, W {(n, n_prev)}, b {(n, 1)}"
        variants = {"no b": (saved["W"] @ saved["A_prev"], "you forgot to add the bias b (Z = W A_prev + b)")}
        _judge(name, "Z", Z, _linear_z(saved["A_prev"], saved["W"], saved["b"]), variants, where)
        parts = _parts(cache, 3, name, "cache = (A_prev, W, b), the tuple linear_backward reads")
        for part, key in zip(parts, ("A_prev", "W", "b"), strict=True):
            value = _array(part, f"cache's {key}", saved[key].shape, name)
            if not np.array_equal(value, saved[key]):
                fail(name, f"cache must be (A_prev, W, b) in that order; its {key} is not the {key} you were given")


# --- linear_backward ------------------------------------------------------------------------------------------------

LINEAR_BACKWARD_ASPECTS = ("shapes", "values")

_PER_M = (
    "you divided by m. In this course dZ is already the gradient of the MEAN loss (the 1/m is inside dZ), so "
    "linear_backward is the plain chain rule: dW = dZ A_prev^T, db = the sum of dZ over the examples, "
    "dA_prev = W^T dZ"
)


def _linear_truth(dZ: np.ndarray, A_prev: np.ndarray, W: np.ndarray, b: np.ndarray) -> dict[str, np.ndarray]:
    """dA_prev, dW, db by centered differences of φ = Σ dZ ⊙ (W A_prev + b): what linear_backward must return."""
    work = {"A_prev": A_prev.copy(), "W": W.copy(), "b": b.copy()}

    def phi() -> float:
        return float(np.sum(dZ * _linear_z(work["A_prev"], work["W"], work["b"])))

    return {f"d{key}": centered_differences(phi, work[key]) for key in ("A_prev", "W", "b")}


def _db_hints(n: int, m: int) -> dict[tuple, str]:
    axis0 = (
        "you summed dZ over axis 0, the units. b has one entry per unit, so sum over the examples (the columns): "
        "np.sum(dZ, axis=1, keepdims=True)"
    )
    everything = (
        "you summed every entry of dZ into one number; sum over the examples only: np.sum(dZ, axis=1, keepdims=True)"
    )
    hints = {
        (n,): (
            "np.sum(dZ, axis=1) drops the summed axis and leaves a 1-D array; pass keepdims=True so that db is a "
            "column (n, 1) like b"
        ),
        (1, m): axis0,
        (m,): axis0,
        (): everything,
        (1, 1): everything,
        (n, m): "db has the shape of dZ: sum it over the examples (axis=1, keepdims=True)",
    }
    if n == 1:  # (1,) and (1, 1) are then the right count of entries; only the shape is wrong
        hints.pop((1, 1), None)
    return hints


def _linear_outputs(out: Any, n_prev: int, n: int, m: int, name: str) -> dict[str, np.ndarray]:
    dA_prev, dW, db = _parts(out, 3, name, "the triple (dA_prev, dW, db)")
    transposed = "it is transposed; a gradient has the shape of what it is the gradient of"
    return {
        "dA_prev": _array(dA_prev, "dA_prev", (n_prev, m), name, {(m, n_prev): f"{transposed} (A_prev: (n_prev, m))"}),
        "dW": _array(dW, "dW", (n, n_prev), name, {(n_prev, n): f"{transposed}: dW = dZ A_prev^T has the shape of W"}),
        "db": _array(db, "db", (n, 1), name, _db_hints(n, m)),
    }


def linear_backward(fn: Callable[..., Any], aspect: str) -> None:
    """``shapes``: dA_prev (n_prev, m), dW (n, n_prev), db (n, 1); ``values``: the chain rule, checked against
    centered differences, with no 1/m (dZ already holds it) and the inputs untouched."""
    if aspect not in LINEAR_BACKWARD_ASPECTS:
        raise ValueError(f"unknown aspect {aspect!r}; known: {', '.join(LINEAR_BACKWARD_ASPECTS)}")
    name = "linear_backward"
    cases = range(1) if aspect == "shapes" else range(len(LINEAR_CASES))
    for k in cases:
        n_prev, n, m = LINEAR_CASES[k]
        A_prev, W, b = _linear_case(k)
        (dZ,) = _draw(7200 + k, (n, m))
        saved = _copies(dZ=dZ, A_prev=A_prev, W=W, b=b)
        out = call_student(name, fn, dZ, (A_prev, W, b))
        _unchanged(name, saved, {"dZ": dZ, "A_prev": A_prev, "W": W, "b": b})
        got = _linear_outputs(out, n_prev, n, m, name)
        if aspect == "shapes":
            continue
        truth = _linear_truth(saved["dZ"], saved["A_prev"], saved["W"], saved["b"])
        where = f"with dZ of shape {(n, m)}, A_prev {(n_prev, m)}, W {(n, n_prev)}"
        variants: dict[str, Variants] = {
            "dW": {"1/m": (truth["dW"] / m, _PER_M)},
            "db": {"1/m": (truth["db"] / m, _PER_M)},
            "dA_prev": {"1/m": (truth["dA_prev"] / m, _PER_M)},
        }
        if n == n_prev:
            variants["dW"]["T"] = (truth["dW"].T, "it is transposed: dW = dZ A_prev^T, not A_prev dZ^T")
            variants["dA_prev"]["W"] = (saved["W"] @ saved["dZ"], "dA_prev = W^T dZ: transpose W")
        for key in ("dW", "db", "dA_prev"):
            _judge(name, key, got[key], truth[key], variants[key], where)


# --- activation backward passes --------------------------------------------------------------------------------------

ACTIVATION_CASES: tuple[tuple[int, int], ...] = ((4, 6), (1, 3), (5, 1))
"""Shapes of the (dA, Z) pairs the activation checks try."""

_AT_A = "you took the derivative at A = g(Z) instead of at Z: the function is given Z, use g'(Z) directly"
_NO_DA = "you returned g'(Z) alone: the chain rule multiplies it by the gradient that arrives, dZ = dA * g'(Z)"


def _activation_variants(activation: str, dA: np.ndarray, Z: np.ndarray) -> Variants:
    g = get_activation(activation)
    ones = np.ones_like(dA)
    variants: Variants = {
        "at A": (g.backward(dA, g.forward(Z)), _AT_A),
        "no dA": (g.backward(ones, Z), _NO_DA),
    }
    if activation == "sigmoid":
        variants["Z as A"] = (
            dA * Z * (1 - Z),
            "you used Z where the formula needs A: sigma'(z) = a (1 - a) with a = sigmoid(z); compute "
            "s = sigmoid(Z) first and return dA * s * (1 - s)",
        )
    elif activation == "tanh":
        variants["Z as A"] = (
            dA * (1 - Z**2),
            "you used Z where the formula needs A: tanh'(z) = 1 - a^2 with a = tanh(z); return "
            "dA * (1 - np.tanh(Z) ** 2)",
        )
        variants["no square"] = (dA * (1 - np.tanh(Z)), "tanh'(z) = 1 - tanh(z)^2: the square is missing")
    elif activation == "relu":
        variants["times relu"] = (
            dA * np.maximum(Z, 0),
            "you multiplied dA by relu(Z) = max(0, z) itself; the derivative of ReLU is 1 where z > 0 and 0 "
            "elsewhere: dA * (Z > 0)",
        )
        variants["negative side"] = (dA * (Z < 0), "you kept dA where z < 0; ReLU passes the gradient where z > 0")
    return variants


def activation_backward(fn: Callable[..., Any], activation: str) -> None:
    """dZ = dA * g'(Z) for ``activation`` ("sigmoid", "relu" or "tanh"), dA and Z untouched."""
    if activation not in ("sigmoid", "relu", "tanh"):
        raise ValueError(f"unknown activation {activation!r}; known: relu, sigmoid, tanh")
    name = f"{activation}_backward"
    truth = get_activation(activation).backward
    for k, shape in enumerate(ACTIVATION_CASES):
        dA, Z = _draw(7300 + k, shape, shape)
        Z = 2.5 * Z  # both sides of every kink, some saturation, no overflow
        saved = _copies(dA=dA, Z=Z)
        out = call_student(name, fn, dA, Z)
        _unchanged(name, saved, {"dA": dA, "Z": Z})
        got = _array(out, "dZ", shape, name, {shape[::-1]: "it is transposed"})
        variants = _activation_variants(activation, saved["dA"], saved["Z"])
        _judge(name, "dZ", got, truth(saved["dA"], saved["Z"]), variants, f"with dA and Z of shape {shape}")


# --- model_forward / model_backward ----------------------------------------------------------------------------------

MODEL_CASES: tuple[tuple[tuple[int, ...], tuple[str, ...], int], ...] = (
    ((3, 4, 2, 1), ("relu", "tanh", "sigmoid"), 5),
    ((2, 3, 1), ("tanh", "sigmoid"), 7),
    ((4, 5, 3, 2, 1), ("sigmoid", "relu", "tanh", "sigmoid"), 3),
    ((3, 1), ("sigmoid",), 4),
)
"""(layer_dims, activations, m) of the networks the model checks try: mixed activations, depths 1 to 4."""


def _model_case(k: int) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, list[str]]:
    dims, acts, m = MODEL_CASES[k]
    rng = np.random.default_rng(7400 + k)
    params: dict[str, np.ndarray] = {}
    for l in range(1, len(dims)):
        params[f"W{l}"] = rng.standard_normal((dims[l], dims[l - 1]))
        params[f"b{l}"] = 0.5 * rng.standard_normal((dims[l], 1))
    X = rng.standard_normal((dims[0], m))
    Y = (rng.random((1, m)) < 0.5).astype(np.float64)
    return params, X, Y, list(acts)


def _notebook_caches(params: Mapping[str, np.ndarray], cache: Cache) -> list[tuple[tuple[np.ndarray, ...], np.ndarray]]:
    """The reference's forward cache in the notebook's layout: caches[l-1] = ((A_prev, W_l, b_l), Z_l)."""
    L = len(cache.activations)
    return [((cache.A[l - 1], params[f"W{l}"], params[f"b{l}"]), cache.Z[l]) for l in range(1, L + 1)]


def model_forward(fn: Callable[..., Any]) -> None:
    """A_L of the reference's forward pass and caches[l-1] = ((A_prev, W_l, b_l), Z_l), inputs untouched."""
    name = "model_forward"
    for k in range(len(MODEL_CASES)):
        params, X, _, acts = _model_case(k)
        given = _copies(X=X, **params)  # the student gets copies; the truth comes from the originals
        AL_ref, cache = forward(params, X, acts)
        L = len(acts)
        out = call_student(name, fn, given["X"], {key: given[key] for key in params}, list(acts))
        _unchanged(name, _copies(X=X, **params), given)
        AL, caches = _parts(out, 2, name, "the pair (AL, caches)")
        AL = _array(AL, "AL", AL_ref.shape, name)
        where = f"for layer_dims {_dims(params, X)} and activations {acts}"
        variants: Variants = {
            "no output activation": (cache.Z[L], "AL is Z_L: apply the last layer's activation too"),
            "first activation everywhere": (
                forward(params, X, [acts[0]] * L)[0],
                "every layer used activations[0]; layer l uses activations[l - 1]",
            ),
            "relu hidden": (
                forward(params, X, ["relu"] * (L - 1) + [acts[-1]])[0],
                "you used relu in every hidden layer; layer l uses activations[l - 1]",
            ),
        }
        _judge(name, "AL", AL, AL_ref, variants, where)
        layout = "caches must be a list with one entry per layer, caches[l - 1] = ((A_prev, W_l, b_l), Z_l)"
        entries = _parts(caches, L, name, f"{layout} ({L} entries {where})")
        for l, entry in enumerate(entries, start=1):
            linear, Z = _parts(entry, 2, name, f"{layout} (entry {l - 1} is not a pair)")
            A_prev, W, b = _parts(linear, 3, name, f"{layout} (the linear cache of layer {l} is not (A_prev, W, b))")
            parts = {
                "A_prev": (A_prev, cache.A[l - 1]),
                "W": (W, params[f"W{l}"]),
                "b": (b, params[f"b{l}"]),
                "Z": (Z, cache.Z[l]),
            }
            for part, (value, truth) in parts.items():
                value = _array(value, f"caches[{l - 1}]'s {part}", truth.shape, name)
                if not _close(value, truth):
                    fail(name, f"{where}: {layout}; the {part} of caches[{l - 1}] is not layer {l}'s {part}")


MODEL_BACKWARD_ASPECTS = ("shapes", "values")


def _grad_arrays(value: Any, params: Mapping[str, np.ndarray], function: str) -> dict[str, np.ndarray]:
    """grads["dW1"], grads["db1"], ... as float64 copies of the shapes of W1, b1, ... (other keys are ignored)."""
    if not isinstance(value, Mapping):
        fail(function, f"must return a dict {{'dW1': ..., 'db1': ..., ...}}; got a {type(value).__name__}")
    keys = [str.__str__(k) for k in value if isinstance(k, str)]
    wanted = [f"d{k}" for k in params]
    missing = [k for k in wanted if k not in keys]
    if missing:
        hint = " Layers are numbered from 1 (dW1 is the gradient of W1)." if "dW0" in keys else ""
        fail(function, f"grads has no {missing}; it must hold {wanted} (it has {sorted(keys)}).{hint}")
    out = {}
    for key in params:
        shape = params[key].shape
        n = shape[0]
        hints = (
            {shape[::-1]: "it is transposed: a gradient has the shape of its parameter"}
            if key[0] == "W"
            else {(n,): "db must be a column (n_l, 1) like b: np.sum(dZ, axis=1, keepdims=True)"}
        )
        out[f"d{key}"] = _array(value[f"d{key}"], f"grads['d{key}']", shape, function, hints)
    return out


def model_backward(fn: Callable[..., Any], aspect: str) -> None:
    """``shapes``: grads holds dW_l (n_l, n_(l-1)) and db_l (n_l, 1) for every layer; ``values``: the gradients of
    the mean binary cross-entropy, against the reference's backward pass and against centered differences, with AL,
    Y and the caches untouched."""
    if aspect not in MODEL_BACKWARD_ASPECTS:
        raise ValueError(f"unknown aspect {aspect!r}; known: {', '.join(MODEL_BACKWARD_ASPECTS)}")
    name = "model_backward"
    for k in range(len(MODEL_CASES)):
        params, X, Y, acts = _model_case(k)
        AL, cache = forward(params, X, acts)
        caches = _notebook_caches(params, cache)
        L, m = len(acts), X.shape[1]
        given = (AL.copy(), Y.copy(), [((a.copy(), w.copy(), b.copy()), z.copy()) for (a, w, b), z in caches])
        grads = _grad_arrays(call_student(name, fn, *given, list(acts)), params, name)
        if aspect == "shapes":
            continue
        _unchanged(name, _inputs_of_backward(AL, Y, caches), _inputs_of_backward(*given))
        truth = backward(params, cache, Y, "bce")
        if k == 0:
            _assert_truth_by_differences(params, X, Y, acts, truth)
        where = f"for layer_dims {_dims(params, X)}, activations {acts}, m = {m}"
        _judge_grads(name, grads, truth, m, L, where)


def _assert_truth_by_differences(
    params: Mapping[str, np.ndarray], X: np.ndarray, Y: np.ndarray, acts: Sequence[str], truth: Mapping[str, np.ndarray]
) -> None:
    """The reference's gradients agree with centered differences of the mean loss (an internal invariant)."""
    work = {key: value.copy() for key, value in params.items()}

    def loss() -> float:
        AL, _ = forward(work, X, acts)
        return compute_loss(AL, Y, "bce")

    for key in work:
        assert relative_error(centered_differences(loss, work[key]), truth[f"d{key}"]) < 1e-6, key


def _inputs_of_backward(AL: np.ndarray, Y: np.ndarray, caches: Sequence) -> dict[str, np.ndarray]:
    """model_backward's inputs as named arrays: AL, Y and every array of every cache."""
    arrays = {"AL": AL, "Y": Y}
    for l, ((A_prev, W, b), Z) in enumerate(caches):
        arrays.update({f"caches[{l}]'s A_prev": A_prev, f"caches[{l}]'s W": W, f"caches[{l}]'s b": b})
        arrays[f"caches[{l}]'s Z"] = Z
    return arrays


def _dims(params: Mapping[str, np.ndarray], X: np.ndarray) -> list[int]:
    L = sum(1 for key in params if key.startswith("W"))
    return [X.shape[0]] + [params[f"W{l}"].shape[0] for l in range(1, L + 1)]


def _judge_grads(
    name: str, grads: dict[str, np.ndarray], truth: dict[str, np.ndarray], m: int, L: int, where: str
) -> None:
    keys = [f"d{p}{l}" for l in range(L, 0, -1) for p in ("W", "b")]
    wrong = [key for key in keys if not _close(grads[key], truth[key])]
    if not wrong:
        return
    factors: dict[float, str] = {
        float(m): (
            f"your gradients are m = {m} times too large: the 1/m is missing. The loss is the MEAN over the m "
            f"examples, so dAL (or dZL = AL - Y for a sigmoid output) carries a factor 1/m"
        ),
        1.0 / m: (
            f"your gradients are m = {m} times too small: you divided by m twice (once in dAL or dZL and again "
            f"later); the 1/m belongs in dAL (or dZL) only"
        ),
        -1.0: "your gradients have the wrong sign: dL/dAL = -(Y / AL - (1 - Y) / (1 - AL)) / m, or dZL = (AL - Y) / m",
    }
    for factor, message in factors.items():
        if m == 1 and factor != -1.0:
            continue
        if all(_close(grads[key], factor * truth[key], 1e-6) for key in keys if np.any(truth[key])):
            fail(name, f"{where}: {message}")
    first = wrong[0]
    layer = int(first[2:])
    if layer == L:
        fail(
            name,
            f"{where}: {first} (the last layer) differs from the right values (relative difference "
            f"{relative_error(grads[first], truth[first]):.2g}). Start from dZL = (AL - Y) / m for the sigmoid "
            f"output, then dW_L = dZ_L A_(L-1)^T and db_L = the sum of dZ_L over the examples",
        )
    fail(
        name,
        f"{where}: the gradients of layer {layer + 1} and above are right but {first} is not (relative difference "
        f"{relative_error(grads[first], truth[first]):.2g}). Going from layer {layer + 1} back to layer {layer}: "
        f"dA_{layer} = W_{layer + 1}^T dZ_{layer + 1}, then dZ_{layer} = dA_{layer} * g'(Z_{layer}) where g is "
        f"layer {layer}'s activation, activations[{layer - 1}] (activations[l-1] for layer l), and Z_{layer} comes "
        f"from caches[{layer - 1}]",
    )


# --- numerical_gradient / relative_difference ------------------------------------------------------------------------

NUMERICAL_ASPECTS = ("values", "input")


class _Recorder:
    """A scalar function f(x) of an array shaped like x that records the shapes it was called with."""

    def __init__(self, shape: tuple[int, ...], value: Callable[[np.ndarray], float]) -> None:
        self.shape, self.value, self.calls = shape, value, 0

    def __repr__(self) -> str:
        return "f"  # how error messages show the call: numerical_gradient(f, <array of shape (3, 2)>, ...)

    def __call__(self, x: Any) -> float:
        self.calls += 1
        x = np.asarray(x, dtype=np.float64)
        if x.shape != self.shape:
            raise ValueError(
                f"f was called with an array of shape {x.shape}; call f with an array shaped like x, {self.shape}"
            )
        return float(self.value(x))


def _quadratic(
    seed: int, shape: tuple[int, ...]
) -> tuple[Callable[[np.ndarray], float], Callable[[np.ndarray], np.ndarray]]:
    n = int(np.prod(shape))
    rng = np.random.default_rng(seed)
    B = rng.standard_normal((n, n))
    H, c = B @ B.T / n + 2 * np.eye(n), rng.standard_normal(n)

    def f(x: np.ndarray) -> float:
        v = x.ravel()
        return 0.5 * v @ H @ v + c @ v

    return f, lambda x: (H @ x.ravel() + c).reshape(shape)


def _numerical_variants(f: Callable[[np.ndarray], float], x: np.ndarray, eps: float) -> Variants:
    one_sided, forward_all = np.empty_like(x), np.empty_like(x)
    f0 = f(x)
    for idx in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[idx] = eps
        one_sided[idx] = (f(x + step) - f0) / eps
    forward_all[...] = (f(x + eps) - f(x - eps)) / (2 * eps)
    centered = np.empty_like(x)
    for idx in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[idx] = eps
        centered[idx] = (f(x + step) - f(x - step)) / (2 * eps)
    return {
        "one-sided": (
            one_sided,
            "these are one-sided differences (f(x + eps) - f(x)) / eps, whose error shrinks only like eps; use "
            "centered differences (f(x + eps) - f(x - eps)) / (2 eps), whose error shrinks like eps^2",
        ),
        "/eps": (
            2 * centered,
            "you divided by eps, but x + eps and x - eps are 2 eps apart: divide by 2 * eps",
        ),
        "all at once": (
            forward_all,
            "you moved every entry of x at once; perturb one entry at a time (the others unchanged)",
        ),
    }


def numerical_gradient(fn: Callable[..., Any], aspect: str) -> None:
    """``values``: centered differences, one entry at a time, with the eps it is given and an array shaped like
    x; ``input``: x is exactly the same after the call and f is always called with an array shaped like x."""
    if aspect not in NUMERICAL_ASPECTS:
        raise ValueError(f"unknown aspect {aspect!r}; known: {', '.join(NUMERICAL_ASPECTS)}")
    name = "numerical_gradient"
    if aspect == "input":
        for k, shape in enumerate(((3, 4), (5,), (2, 1))):
            (x,) = _draw(7500 + k, shape)
            f, _ = _quadratic(7510 + k, shape)
            saved = x.copy()
            recorder = _Recorder(shape, f)
            call_student(name, fn, recorder, x, 1e-3)
            if recorder.calls == 0:
                fail(name, "never called f: evaluate f at x + eps and x - eps for every entry of x")
            if not np.array_equal(x, saved):
                fail(
                    name,
                    "x is not the same after your call: you perturbed x in place and did not put every entry back "
                    "exactly (x[i] += eps ... x[i] -= eps does not always give back the same float). Perturb a copy "
                    "(x_plus = x.copy()), or save x[i] first and restore the saved value",
                )
        return
    cases: list[tuple[str, tuple[int, ...], Callable, Callable, dict]] = []
    for k, shape in enumerate(((3, 4), (6,))):
        f, grad = _quadratic(7520 + k, shape)
        cases.append((f"a quadratic function of x of shape {shape}, eps=1e-2", shape, f, grad, {"eps": 1e-2}))
    cube = lambda x: float(np.sum(x**3))  # noqa: E731
    cases.append(
        (
            "f(x) = sum(x**3) with eps=0.1 (centered differences give 3x^2 + eps^2)",
            (2, 3),
            cube,
            lambda x: 3 * x**2 + 0.01,
            {"eps": 0.1},
        )
    )
    cases.append(("f(x) = sum(sin(x)) with the default eps", (4, 2), lambda x: float(np.sum(np.sin(x))), np.cos, {}))
    for k, (story, shape, f, grad, kwargs) in enumerate(cases):
        (x,) = _draw(7530 + k, shape)
        out = call_student(name, fn, _Recorder(shape, f), x.copy(), **kwargs)
        hints = {(x.size,): f"return an array shaped like x, {shape} (reshape, or fill np.zeros_like(x))"}
        got = _array(out, "the numerical gradient", shape, name, hints)
        # the default step is the notebook's (1e-5): any step from about 1e-8 to 1e-3 meets tol on sin
        variants = _numerical_variants(f, x, kwargs["eps"]) if "eps" in kwargs else {}
        if kwargs.get("eps") == 0.1:
            variants["eps ignored"] = (
                3 * x**2,
                "you ignored the eps argument (the step must be the eps the caller passes, not a fixed number)",
            )
        tol = 1e-8 if kwargs else 1e-6
        if _close(got, grad(x), tol):
            continue
        for wrong, message in variants.values():
            if not _close(wrong, grad(x), 1e-4) and _close(got, wrong, 1e-5):
                fail(name, f"on {story}: {message}")
        fail(
            name,
            f"on {story}: your result differs from the centered differences (f(x + eps e_i) - f(x - eps e_i)) / "
            f"(2 eps) (relative difference {relative_error(got, grad(x)):.2g})",
        )


def _relative_variants(g: np.ndarray, h: np.ndarray) -> dict[str, tuple[float, str]]:
    ng, nh, nd = np.linalg.norm(g), np.linalg.norm(h), np.linalg.norm(g - h)
    with quiet():
        return {
            "by grad": (nd / ng, "you divided by ||grad|| only; the denominator is ||grad|| + ||grad_approx||"),
            "by approx": (
                nd / nh,
                "you divided by ||grad_approx|| only; the denominator is ||grad|| + ||grad_approx||",
            ),
            "absolute": (nd, "you returned ||grad - grad_approx|| without dividing by ||grad|| + ||grad_approx||"),
            "by sum": (
                nd / np.linalg.norm(g + h),
                "divide by ||grad|| + ||grad_approx||, not by ||grad + grad_approx||",
            ),
            "squared": (nd**2 / (ng**2 + nh**2), "use the norms themselves, not their squares"),
        }


def relative_difference(fn: Callable[..., Any]) -> None:
    """||g − g̃|| / (||g|| + ||g̃||) with Frobenius norms, 0.0 when both are zero, on unseen arrays."""
    name = "relative_difference"
    rng = np.random.default_rng(7600)
    g = rng.standard_normal((3, 4))
    near = g + 1e-3 * rng.standard_normal((3, 4))
    cases = [
        ("two random (3, 4) arrays", g, rng.standard_normal((3, 4))),
        ("a (3, 4) array and a close copy of it", g, near),
        ("grad and 3 * grad (expected 0.5)", g, 3 * g),
        ("a column and its negative (expected 1.0)", g[:, :1], -g[:, :1]),
    ]
    for story, a, b in cases:
        saved = _copies(grad=a, grad_approx=b)
        got = as_number(call_student(name, fn, a.copy(), b.copy()), name)
        expected = relative_error(a, b)
        if abs(got - expected) <= 1e-9 * max(1.0, expected):
            continue
        for value, message in _relative_variants(saved["grad"], saved["grad_approx"]).values():
            if abs(value - expected) > 1e-6 and abs(got - value) <= 1e-9 * max(1.0, abs(value)):
                fail(name, f"on {story}: {message}")
        fail(name, f"on {story}: expected {expected:.6g}, got {got:.6g}")
    zero = np.zeros((2, 3))
    got = as_number(call_student(name, fn, zero.copy(), zero.copy()), name)
    if got != 0.0:
        fail(
            name,
            f"when both gradients are all zeros they do not differ at all: return 0.0 (you returned {got}; 0 / 0 "
            f"gives nan, so handle the case where the denominator is 0)",
        )
