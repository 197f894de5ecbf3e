"""What the init functions of ``init_symmetry`` and ``init_scale`` must return, and the known wrong spreads, as
registries.

An :class:`InitSpec` says which parts of the parameters are random and with which standard deviation (a formula
of fan_in = n_(l-1), fan_out = n_l and the function's ``scale`` or ``negative_slope``), and lists :class:`Mistake`
spreads whose messages name what a student did when the measured std matches them instead. The formulas of the
schemes (Xavier's, He's with its gain, LeCun's) are ``reference.init``'s :func:`~reference.init.xavier_std` and
:func:`~reference.init.he_std`, whether they are the std asked for or the one a student used by mistake.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from reference.init import calculate_gain, he_std, xavier_std


@dataclass(frozen=True)
class Spread:
    """A standard deviation parameters could be drawn with: a formula of the layer's fan_in, fan_out and scale."""

    formula: str
    """How a student would write it, e.g. "sqrt(2 / n_(l-1))"."""
    std: Callable[[int, int, float], float]
    """(fan_in = n_(l-1), fan_out = n_l, scale) -> std."""


@dataclass(frozen=True)
class Mistake:
    """A known wrong spread and the message that names it."""

    spread: Spread
    message: str


@dataclass(frozen=True)
class InitSpec:
    """What an init function of the course must return; None spreads mean "exactly zero"."""

    function: str
    weights: Spread | None
    biases: Spread | None
    weight_mistakes: tuple[Mistake, ...] = ()
    bias_mistakes: tuple[Mistake, ...] = ()
    uses_rng: bool = True
    calls: tuple[dict[str, float], ...] = ({},)
    """Keyword arguments :func:`~.inits.spread` calls the function with (the default first)."""
    default_scale: float = 1.0
    """The value the function uses when its :attr:`param` is not passed."""
    param: str = "scale"
    """The keyword argument the spread formulas read as their third argument (``scale``, ``negative_slope``)."""
    trains: bool = False
    """Whether :func:`~.inits.training` applies: the reference net must learn from it within a few hundred steps."""


def _spread(formula: str, std: Callable[[int, int, float], float]) -> Spread:
    return Spread(formula, std)


def _he(fan_in: int, fan_out: int, **kw: float | str) -> float:
    """He's std for the weight of a layer (n_l, n_(l-1)) = (fan_out, fan_in): reference.init.he_std."""
    return he_std((fan_out, fan_in), **kw)


def _xavier(fan_in: int, fan_out: int) -> float:
    """Xavier's std for the weight of a layer (n_l, n_(l-1)) = (fan_out, fan_in): reference.init.xavier_std."""
    return xavier_std((fan_out, fan_in))


_HE = _spread("sqrt(2 / n_(l-1))", lambda i, o, s: _he(i, o))
_XAVIER = _spread("sqrt(2 / (n_(l-1) + n_l))", lambda i, o, s: _xavier(i, o))
_LECUN = _spread("sqrt(1 / n_(l-1))", lambda i, o, s: _he(i, o, gain=1.0))
_SCALE = _spread("scale", lambda i, o, s: s)

_UNSCALED = Mistake(
    _spread("1", lambda i, o, s: 1.0),
    "your weights have std 1: you drew standard normal numbers but did not multiply them by the std",
)
_KEPT_001 = Mistake(
    _spread("0.01", lambda i, o, s: 0.01),
    "your weights have std 0.01, the fixed scale of initialize_parameters_random; this init computes its std "
    "from the layer sizes",
)

INIT_SPECS: dict[str, InitSpec] = {
    "zeros": InitSpec("initialize_parameters_zeros", None, None, uses_rng=False),
    "random": InitSpec(
        "initialize_parameters_random",
        _SCALE,
        None,
        weight_mistakes=(
            Mistake(
                _spread("0.01", lambda i, o, s: 0.01),
                "your weights have std 0.01 even though scale was passed: use the scale argument instead of a "
                "hard-coded 0.01",
            ),
            Mistake(
                _spread("scale^2", lambda i, o, s: s * s),
                "your weights have std scale^2: scale is the standard deviation, not the variance",
            ),
            Mistake(
                _spread("sqrt(scale)", lambda i, o, s: math.sqrt(s)),
                "your weights have std sqrt(scale): you passed scale as a variance; it is the standard deviation",
            ),
            _UNSCALED,
        ),
        calls=({}, {"scale": 0.5}),
        default_scale=0.01,
    ),
    "xavier": InitSpec(
        "initialize_parameters_xavier",
        _XAVIER,
        None,
        weight_mistakes=(
            Mistake(
                _spread("2 / (n_(l-1) + n_l)", lambda i, o, s: _xavier(i, o) ** 2),
                "your std equals the variance 2/(n_(l-1) + n_l): take the square root (rng.normal's scale and "
                "the factor you multiply by are a standard deviation, not a variance)",
            ),
            Mistake(
                _spread("sqrt(6 / (n_(l-1) + n_l))", lambda i, o, s: math.sqrt(3) * _xavier(i, o)),
                "your std is sqrt(6/(n_(l-1) + n_l)), the BOUND of Xavier's uniform version; the normal version "
                "has std sqrt(2/(n_(l-1) + n_l))",
            ),
            Mistake(
                _spread("sqrt(1 / (n_(l-1) + n_l))", lambda i, o, s: _xavier(i, o) / math.sqrt(2)),
                "your std is sqrt(1/(n_(l-1) + n_l)): the numerator is 2",
            ),
            Mistake(
                _HE,
                "your std is sqrt(2/n_(l-1)), which is He's formula; Xavier averages fan_in and fan_out: "
                "sqrt(2/(n_(l-1) + n_l))",
            ),
            Mistake(
                _LECUN,
                "your std is sqrt(1/n_(l-1)) (LeCun's formula, fan_in only); Xavier uses sqrt(2/(n_(l-1) + n_l))",
            ),
            _KEPT_001,
            _UNSCALED,
        ),
        trains=True,
    ),
    "he": InitSpec(
        "initialize_parameters_he",
        _HE,
        None,
        weight_mistakes=(
            Mistake(
                _spread("sqrt(2 / n_l)", lambda i, o, s: _he(i, o, mode="fan_out")),
                "your std matches sqrt(2/n_l): you used fan_out (the number of units n_l of the layer itself) "
                "where He uses fan_in (n_(l-1), the number of inputs of each unit, layer_dims[l-1])",
            ),
            Mistake(
                _spread("2 / n_(l-1)", lambda i, o, s: _he(i, o) ** 2),
                "your std equals the variance 2/n_(l-1): the square root is missing (rng.normal's scale and the "
                "factor you multiply by are a standard deviation, not a variance)",
            ),
            Mistake(
                _spread("sqrt(2) / n_(l-1)", lambda i, o, s: calculate_gain("relu") / i),
                "your std is sqrt(2)/n_(l-1): the square root must cover the whole fraction, sqrt(2 / n_(l-1))",
            ),
            Mistake(
                _LECUN,
                "your std is sqrt(1/n_(l-1)) (LeCun's): He's factor 2 makes up for ReLU zeroing half the inputs",
            ),
            Mistake(
                _XAVIER,
                "your std is sqrt(2/(n_(l-1) + n_l)), Xavier's formula; He uses fan_in only: sqrt(2/n_(l-1))",
            ),
            _KEPT_001,
            _UNSCALED,
        ),
        trains=True,
    ),
    "zero_weights_random_bias": InitSpec(
        "initialize_parameters_zero_weights_random_bias",
        None,
        _SCALE,
        bias_mistakes=(
            Mistake(
                _spread("1", lambda i, o, s: 1.0),
                "your biases have std 1 even though another scale was passed: multiply by the scale argument",
            ),
            Mistake(
                _spread("scale^2", lambda i, o, s: s * s),
                "your biases have std scale^2: scale is the standard deviation, not the variance",
            ),
        ),
        calls=({}, {"scale": 0.5}),
        default_scale=1.0,
    ),
}
"""The init functions of ``init_symmetry`` by scheme name."""


# --- init_scale ------------------------------------------------------------------------------------------------------


SCALE_INIT_SPECS: dict[str, InitSpec] = {
    "he_leaky": InitSpec(
        "initialize_parameters_he",
        _spread("sqrt(2 / ((1 + a^2) n_(l-1)))", lambda i, o, a: _he(i, o, negative_slope=a)),
        None,
        weight_mistakes=(
            Mistake(
                _HE,
                "your std is sqrt(2/n_(l-1)) whatever negative_slope is: you ignored negative_slope. A leaky ReLU "
                "with slope a keeps (1 + a^2)/2 of the variance, so the gain is sqrt(2 / (1 + a^2))",
            ),
            Mistake(
                _spread("sqrt(2 / ((1 + a) n_(l-1)))", lambda i, o, a: _he(i, o, gain=math.sqrt(2 / (1 + a)))),
                "your std is sqrt(2/((1 + a) n_(l-1))): the slope must be squared, gain = sqrt(2 / (1 + a^2)), "
                "because the negative side scales the variance by a^2",
            ),
            Mistake(
                _spread("sqrt(2 / ((1 + a^2) n_l))", lambda i, o, a: _he(i, o, mode="fan_out", negative_slope=a)),
                "your std matches sqrt(2/((1 + a^2) n_l)): you used fan_out (the number of units n_l of the layer "
                "itself) where He uses fan_in (n_(l-1), the number of inputs of each unit, layer_dims[l-1])",
            ),
            Mistake(
                _spread("2 / ((1 + a^2) n_(l-1))", lambda i, o, a: _he(i, o, negative_slope=a) ** 2),
                "your std equals the variance 2/((1 + a^2) n_(l-1)): the square root is missing",
            ),
            Mistake(
                _LECUN,
                "your std is sqrt(1/n_(l-1)) (LeCun's): the gain sqrt(2 / (1 + a^2)) is missing",
            ),
            _UNSCALED,
        ),
        calls=({}, {"negative_slope": 0.5}),
        default_scale=0.0,
        param="negative_slope",
        trains=True,
    ),
}
"""The init functions of ``init_scale`` by scheme name (its He takes a leaky-ReLU slope)."""

ALL_INIT_SPECS: dict[str, InitSpec] = {**INIT_SPECS, **SCALE_INIT_SPECS}
"""Every init function of the course by scheme name: what :func:`get_spec` looks up."""


def get_spec(scheme: str) -> InitSpec:
    """The :class:`InitSpec` called ``scheme`` (any assignment's); a ValueError lists the known names otherwise."""
    try:
        return ALL_INIT_SPECS[scheme]
    except KeyError:
        raise ValueError(f"unknown init scheme {scheme!r}; known: {', '.join(sorted(ALL_INIT_SPECS))}") from None
