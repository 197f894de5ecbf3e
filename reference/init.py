"""Initialization schemes for weights and biases as a registry (torch.nn.init's formulas); LSUV is in reference.lsuv.

Every scheme has the signature ``scheme(shape, rng, **kw) -> ndarray`` (float64, of the given shape) and
draws only from ``rng: np.random.Generator``. A weight has shape (fan_out, fan_in) = (n_l, n_{l−1}); for more
than two dimensions (fan_out, fan_in, *kernel) both fans are multiplied by the receptive field, as in torch.
The standard deviations of the Xavier and He schemes are functions of their own (:func:`xavier_std`,
:func:`he_std`), the one source of those formulas for the schemes and for whatever checks them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from reference.network import Params

Scheme = Callable[..., np.ndarray]
"""``scheme(shape, rng, **kw) -> ndarray`` of dtype float64 and shape ``shape``."""

MODES = ("fan_in", "fan_out")
"""Which fan He (kaiming) schemes divide by: fan_in keeps the forward variance, fan_out the backward one."""

LEAKY_SLOPE = 0.01
"""Default negative slope of ``leaky_relu`` in :func:`calculate_gain` (torch's default)."""

TRUNCATED_STD = 0.87962566103423978
"""Std of a standard normal truncated to [−2, 2] (Keras's correction for ``truncated_normal``)."""


# --- gains --------------------------------------------------------------------------------------------------


def _leaky_relu_gain(param: float | None) -> float:
    if param is None:
        slope = LEAKY_SLOPE
    elif isinstance(param, (int, float, np.integer, np.floating)) and not isinstance(param, bool):
        slope = float(param)
    else:
        raise ValueError(f"negative_slope {param!r} is not a valid number")
    return math.sqrt(2.0 / (1.0 + slope**2))


_UNIT_GAIN = ("linear", "sigmoid", "conv1d", "conv2d", "conv3d")
_UNIT_GAIN += tuple(f"conv_transpose{d}d" for d in (1, 2, 3))

_GAINS: dict[str, Callable[[float | None], float]] = {
    **dict.fromkeys(_UNIT_GAIN, lambda param: 1.0),
    "tanh": lambda param: 5.0 / 3.0,
    "relu": lambda param: math.sqrt(2.0),
    "leaky_relu": _leaky_relu_gain,
    "selu": lambda param: 3.0 / 4.0,
}


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain of torch.nn.init.calculate_gain for a non-linearity.

    linear, conv*, sigmoid → 1;  tanh → 5/3;  relu → √2;  selu → 3/4;
    leaky_relu → √(2 / (1 + slope²)) with slope = ``param`` (default 0.01). ``param`` is ignored by every
    other non-linearity, as in torch.
    """
    try:
        rule = _GAINS[nonlinearity]
    except KeyError:
        raise ValueError(
            f"unknown nonlinearity {nonlinearity!r}; known: {', '.join(sorted(_GAINS))}"
        ) from None
    return rule(param)


def _resolve_gain(
    gain: float | None, nonlinearity: str | None, negative_slope: float | None, default: str
) -> float:
    """``gain`` if given, else calculate_gain(nonlinearity, negative_slope); a lone slope means leaky_relu."""
    if gain is not None:
        if nonlinearity is not None or negative_slope is not None:
            raise ValueError("give either gain or nonlinearity/negative_slope, not both")
        if not math.isfinite(gain) or gain < 0:
            raise ValueError(f"gain must be a finite number >= 0; got {gain!r}")
        return float(gain)
    if nonlinearity is None:
        nonlinearity = "leaky_relu" if negative_slope is not None else default
    if negative_slope is not None and nonlinearity != "leaky_relu":
        raise ValueError(f"negative_slope applies to nonlinearity='leaky_relu' only; got {nonlinearity!r}")
    return calculate_gain(nonlinearity, negative_slope)


# --- shapes and fans ----------------------------------------------------------------------------------------


def _shape(shape: int | Sequence[int]) -> tuple[int, ...]:
    dims = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if not dims or any(isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1 for d in dims):
        raise ValueError(f"shape must be a non-empty tuple of positive ints; got {shape!r}")
    return tuple(int(d) for d in dims)


def fan_in_out(shape: Sequence[int]) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of shape (fan_out, fan_in, *kernel), as torch computes them.

    fan_in = shape[1]·r and fan_out = shape[0]·r with the receptive field r = ∏ shape[2:] (1 if dense).
    Fewer than two dimensions raise a ValueError, as in torch.
    """
    dims = _shape(shape)
    if len(dims) < 2:
        raise ValueError(
            f"fan_in and fan_out need a shape (fan_out, fan_in, *kernel) of 2+ dimensions; got {dims}"
        )
    receptive = math.prod(dims[2:])
    return dims[1] * receptive, dims[0] * receptive


def _fan(shape: tuple[int, ...], mode: str) -> int:
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; allowed: {', '.join(MODES)}")
    fan_in, fan_out = fan_in_out(shape)
    return fan_in if mode == "fan_in" else fan_out


# --- standard deviations ------------------------------------------------------------------------------------


def xavier_std(
    shape: Sequence[int],
    *,
    gain: float | None = None,
    nonlinearity: str | None = None,
    negative_slope: float | None = None,
) -> float:
    """σ = gain·√(2 / (fan_in + fan_out)): the std of :func:`xavier_normal` and :func:`xavier_uniform` for a
    weight of ``shape``, with gain as there (default 1)."""
    fan_in, fan_out = fan_in_out(shape)
    g = _resolve_gain(gain, nonlinearity, negative_slope, default="linear")
    return g * math.sqrt(2.0 / (fan_in + fan_out))


def he_std(
    shape: Sequence[int],
    *,
    mode: str = "fan_in",
    nonlinearity: str | None = None,
    negative_slope: float | None = None,
    gain: float | None = None,
) -> float:
    """σ = gain / √fan: the std of :func:`he_normal` and :func:`he_uniform` for a weight of ``shape``, with
    ``mode``, ``nonlinearity``, ``negative_slope`` and ``gain`` as there (gain √2 by default; gain 1 on fan_in
    is LeCun's std)."""
    fan = _fan(_shape(shape), mode)
    g = _resolve_gain(gain, nonlinearity, negative_slope, default="relu")
    return g / math.sqrt(fan)


def _nonneg(name: str, value: float) -> float:
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0; got {value!r}")
    return float(value)


def check_rng(rng: np.random.Generator) -> None:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy.random.Generator (np.random.default_rng(seed)); got {type(rng).__name__}"
        )


# --- schemes ------------------------------------------------------------------------------------------------


def zeros(shape: Sequence[int], rng: np.random.Generator | None = None) -> np.ndarray:
    """All entries 0 (``rng`` unused; kept so every scheme has the same signature)."""
    return np.zeros(_shape(shape))


def ones(shape: Sequence[int], rng: np.random.Generator | None = None) -> np.ndarray:
    """All entries 1 (``rng`` unused)."""
    return np.ones(_shape(shape))


def constant(shape: Sequence[int], rng: np.random.Generator | None = None, *, value: float) -> np.ndarray:
    """All entries equal to ``value`` (``rng`` unused)."""
    return np.full(_shape(shape), float(value))


def normal(
    shape: Sequence[int], rng: np.random.Generator, *, std: float = 1.0, mean: float = 0.0
) -> np.ndarray:
    """w ~ N(mean, std²), i.i.d."""
    check_rng(rng)
    return rng.normal(float(mean), _nonneg("std", std), size=_shape(shape))


def uniform(shape: Sequence[int], rng: np.random.Generator, *, limit: float = 1.0) -> np.ndarray:
    """w ~ U(−limit, limit), i.i.d.; std = limit/√3."""
    check_rng(rng)
    limit = _nonneg("limit", limit)
    return rng.uniform(-limit, limit, size=_shape(shape))


def truncated_normal(
    shape: Sequence[int], rng: np.random.Generator, *, std: float = 1.0, mean: float = 0.0
) -> np.ndarray:
    """w = mean + x, x ~ N(0, σ'²) truncated to |x| <= 2σ', with σ' = std / 0.87962566103423978 (Keras).

    The truncated normal has standard deviation 0.8796…·σ' = ``std``. Out-of-range entries are redrawn (not
    clipped) until none is left, all of them at once in each round.
    """
    check_rng(rng)
    sigma = _nonneg("std", std) / TRUNCATED_STD
    x = rng.normal(0.0, sigma, size=_shape(shape))
    out = np.abs(x) > 2.0 * sigma
    while out.any():
        x[out] = rng.normal(0.0, sigma, size=int(out.sum()))
        out = np.abs(x) > 2.0 * sigma
    return x + float(mean)


def xavier_uniform(
    shape: Sequence[int],
    rng: np.random.Generator,
    *,
    gain: float | None = None,
    nonlinearity: str | None = None,
    negative_slope: float | None = None,
) -> np.ndarray:
    """Glorot & Bengio (2010): w ~ U(−a, a) with a = gain·√(6 / (fan_in + fan_out)).

    The std is gain·√(2 / (fan_in + fan_out)). gain defaults to 1; ``nonlinearity`` (and ``negative_slope``)
    instead give gain = calculate_gain(...).
    """
    check_rng(rng)
    dims = _shape(shape)
    std = xavier_std(dims, gain=gain, nonlinearity=nonlinearity, negative_slope=negative_slope)
    bound = math.sqrt(3.0) * std  # U(−a, a) has std a/√3
    return rng.uniform(-bound, bound, size=dims)


def xavier_normal(
    shape: Sequence[int],
    rng: np.random.Generator,
    *,
    gain: float | None = None,
    nonlinearity: str | None = None,
    negative_slope: float | None = None,
) -> np.ndarray:
    """Glorot & Bengio (2010): w ~ N(0, σ²), σ = gain·√(2 / (fan_in + fan_out)); gain as in xavier_uniform."""
    check_rng(rng)
    dims = _shape(shape)
    std = xavier_std(dims, gain=gain, nonlinearity=nonlinearity, negative_slope=negative_slope)
    return rng.normal(0.0, std, size=dims)


def he_normal(
    shape: Sequence[int],
    rng: np.random.Generator,
    *,
    mode: str = "fan_in",
    nonlinearity: str | None = None,
    negative_slope: float | None = None,
    gain: float | None = None,
) -> np.ndarray:
    """He et al. (2015), torch's kaiming_normal_: w ~ N(0, σ²) with σ = gain / √fan.

    fan is fan_in or fan_out by ``mode``; gain = calculate_gain(nonlinearity, negative_slope) with
    nonlinearity "relu" by default (gain √2), "leaky_relu" when only ``negative_slope`` is given; an explicit
    ``gain`` replaces both.
    """
    check_rng(rng)
    dims = _shape(shape)
    std = he_std(dims, mode=mode, nonlinearity=nonlinearity, negative_slope=negative_slope, gain=gain)
    return rng.normal(0.0, std, size=dims)


def he_uniform(
    shape: Sequence[int],
    rng: np.random.Generator,
    *,
    mode: str = "fan_in",
    nonlinearity: str | None = None,
    negative_slope: float | None = None,
    gain: float | None = None,
) -> np.ndarray:
    """He et al. (2015), torch's kaiming_uniform_: w ~ U(−a, a) with a = √3·gain / √fan (std gain/√fan).

    ``mode``, ``nonlinearity``, ``negative_slope`` and ``gain`` as in :func:`he_normal`.
    """
    check_rng(rng)
    dims = _shape(shape)
    std = he_std(dims, mode=mode, nonlinearity=nonlinearity, negative_slope=negative_slope, gain=gain)
    bound = math.sqrt(3.0) * std  # U(−a, a) has std a/√3
    return rng.uniform(-bound, bound, size=dims)


def lecun_normal(shape: Sequence[int], rng: np.random.Generator) -> np.ndarray:
    """LeCun et al. (1998): w ~ N(0, σ²) with σ = 1/√fan_in (He with gain 1 on fan_in)."""
    return he_normal(shape, rng, mode="fan_in", gain=1.0)


def lecun_uniform(shape: Sequence[int], rng: np.random.Generator) -> np.ndarray:
    """LeCun et al. (1998): w ~ U(−a, a) with a = √(3/fan_in), i.e. std 1/√fan_in."""
    return he_uniform(shape, rng, mode="fan_in", gain=1.0)


def orthogonal(
    shape: Sequence[int],
    rng: np.random.Generator,
    *,
    gain: float | None = None,
    nonlinearity: str | None = None,
    negative_slope: float | None = None,
) -> np.ndarray:
    """Saxe et al. (2014), torch's orthogonal_: a (semi-)orthogonal matrix times gain (default 1).

    Flatten to (rows, cols) = (shape[0], ∏ shape[1:]), draw A ~ N(0, 1) of that shape, transpose it if
    rows < cols, Q, R = qr(A), Q ← Q·sign(diag R) (so that Q is uniform over orthogonal matrices), transpose
    back, times gain. Then W Wᵀ = gain²·I when rows <= cols and Wᵀ W = gain²·I when rows >= cols.
    """
    check_rng(rng)
    dims = _shape(shape)
    if len(dims) < 2:
        raise ValueError(f"orthogonal needs a shape of 2 or more dimensions; got {dims}")
    g = _resolve_gain(gain, nonlinearity, negative_slope, default="linear")
    rows = dims[0]
    cols = math.prod(dims[1:])
    A = rng.standard_normal((rows, cols))
    if rows < cols:
        A = A.T
    Q, R = np.linalg.qr(A)
    Q = Q * np.sign(np.diag(R))
    if rows < cols:
        Q = Q.T
    return g * Q.reshape(dims)


SCHEMES: dict[str, Scheme] = {
    "zeros": zeros,
    "ones": ones,
    "constant": constant,
    "normal": normal,
    "uniform": uniform,
    "truncated_normal": truncated_normal,
    "xavier_uniform": xavier_uniform,
    "xavier_normal": xavier_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
    "lecun_uniform": lecun_uniform,
    "lecun_normal": lecun_normal,
    "orthogonal": orthogonal,
}


def get_scheme(name: str) -> Scheme:
    """The registered scheme called ``name``; a ValueError lists the known names otherwise."""
    try:
        return SCHEMES[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown init scheme {name!r}; known: {', '.join(sorted(SCHEMES))}") from None


def _as_scheme(scheme: str | Scheme) -> Scheme:
    return scheme if callable(scheme) else get_scheme(scheme)


# --- whole networks -----------------------------------------------------------------------------------------


def _check_layer_dims(layer_dims: Sequence[int]) -> list[int]:
    dims = list(layer_dims)
    if len(dims) < 2 or any(
        isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1 for n in dims
    ):
        raise ValueError(
            f"layer_dims must be a list of 2 or more positive ints [n_x, n_1, ..., n_L]; got {layer_dims!r}"
        )
    return [int(n) for n in dims]


def initialize(
    layer_dims: Sequence[int],
    rng: np.random.Generator,
    weights: str | Scheme = "he_normal",
    biases: str | Scheme = "zeros",
    *,
    bias_kw: dict | None = None,
    **kw: object,
) -> Params:
    """Parameters of a dense network with layer sizes [n_x, n_1, ..., n_L].

    W_l = weights((n_l, n_{l−1}), rng, **kw) and b_l = biases((n_l, 1), rng, **bias_kw), drawn in the order
    W1, b1, W2, b2, ... from the one generator ``rng`` (never reseeded). ``weights``/``biases`` are names in
    :data:`SCHEMES` or schemes themselves; the extra keywords ``kw`` go to the weight scheme only.
    """
    dims = _check_layer_dims(layer_dims)
    check_rng(rng)
    weight_scheme, bias_scheme = _as_scheme(weights), _as_scheme(biases)
    bias_kw = {} if bias_kw is None else dict(bias_kw)
    params: Params = {}
    for layer in range(1, len(dims)):
        params[f"W{layer}"] = np.asarray(
            weight_scheme((dims[layer], dims[layer - 1]), rng, **kw), dtype=np.float64
        )
        params[f"b{layer}"] = np.asarray(bias_scheme((dims[layer], 1), rng, **bias_kw), dtype=np.float64)
    return params
