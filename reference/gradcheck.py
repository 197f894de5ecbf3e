"""Gradient checks: centered differences, per parameter or along random directions; they return numbers, never print.

The centered difference ∂f/∂x_i ≈ (f(x + ε e_i) − f(x − ε e_i)) / 2ε has truncation error O(ε²) and round-off
error O(ε_mach·|f| / ε), which balance near ε ≈ ε_mach^(1/3) ≈ 6e-6 in float64: use 1e-5 to 1e-6 (the default is
1e-6). A correct backward pass then agrees with it to a relative error below 1e-7, away from the kinks of ReLU,
as long as the gradients are not tiny next to |f|; in deep sigmoid nets they are, and 1e-5 is the safer step
(tests/reference/test_gradcheck.py, FACT1_EPS). A smaller step is not better: at 1e-7 round-off alone can push a
correct backward pass above 1e-7 (measured on the small tanh nets of the backprop assignment).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from reference import network
from reference.losses import compute_loss
from reference.network import Params

_TINY = np.finfo(np.float64).tiny

GradFn = Callable[[Params, np.ndarray, np.ndarray, Sequence[str], str], Params]
"""``grad_fn(params, X, Y, activations, loss) -> {"dW1": ..., "db1": ..., ...}``: the gradients under test."""


def reference_grads(
    params: Params, X: np.ndarray, Y: np.ndarray, activations: Sequence[str], loss: str
) -> Params:
    """The gradients of :func:`reference.network.backward` (one forward and one backward pass)."""
    _, cache = network.forward(params, X, activations)
    return network.backward(params, cache, Y, loss)


def numerical_gradient(f: Callable[[], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Centered differences of the scalar ``f()`` with respect to every entry of ``x``; same shape as ``x``.

    ``x`` is perturbed in place (``f`` reads it, typically through a closure) one entry at a time:
    x_i ← x_i + ε, x_i ← x_i − ε, then x_i is written back from a saved copy, so that ``x`` is bit-identical
    afterwards, even when ``f`` raises. Cost: 2·x.size calls of ``f``.
    """
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        got = f"an array of dtype {x.dtype}" if isinstance(x, np.ndarray) else type(x).__name__
        raise TypeError(f"x must be a floating-point numpy array (it is perturbed in place); got {got}")
    if not x.flags.writeable:
        raise ValueError("x must be writeable: numerical_gradient perturbs it in place")
    if not (np.isfinite(eps) and eps > 0):
        raise ValueError(f"eps must be a positive finite step; got {eps}")
    grad = np.empty(x.shape, dtype=np.float64)
    for idx in np.ndindex(x.shape):
        saved = x[idx].copy()  # a 0-d copy: writing it back restores the exact bits (−0.0, NaN payloads too)
        try:
            x[idx] = saved + eps
            f_plus = float(f())
            x[idx] = saved - eps
            f_minus = float(f())
        finally:
            x[idx] = saved
        grad[idx] = (f_plus - f_minus) / (2.0 * eps)
    return grad


def relative_error(a: np.ndarray | float, b: np.ndarray | float) -> float:
    """‖a − b‖ / max(‖a‖ + ‖b‖, tiny) with Frobenius norms: 0 when a = b (both zero included), at most 1."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare arrays of shapes {a.shape} and {b.shape}")
    num = np.linalg.norm((a - b).ravel())
    return float(num / max(np.linalg.norm(a.ravel()) + np.linalg.norm(b.ravel()), _TINY))


@dataclass(frozen=True)
class GradCheckReport:
    """Per-parameter comparison of an analytic gradient with centered differences."""

    errors: dict[str, float]
    """relative_error(analytic dK, numerical dK) for every parameter name K ("W1", "b1", ...)."""
    max_error: float
    """The largest of ``errors``."""
    worst: str
    """The parameter name with the largest error."""


def _loss(params: Params, X: np.ndarray, Y: np.ndarray, activations: Sequence[str], loss: str) -> float:
    AL, _ = network.forward(params, X, activations)
    return compute_loss(AL, Y, loss)


def _param_names(params: Params) -> list[str]:
    return [f"{p}{l}" for l in range(1, network.num_layers(params) + 1) for p in ("W", "b")]


def check_gradients(
    params: Params,
    X: np.ndarray,
    Y: np.ndarray,
    activations: Sequence[str],
    loss: str,
    eps: float = 1e-6,
    grad_fn: GradFn | None = None,
) -> GradCheckReport:
    """Compare ``grad_fn`` (default: :func:`reference.network.backward`) with centered differences on every entry
    of every parameter. Cost: 2·(number of parameters) forward passes; ``params`` is not modified (a copy is
    perturbed).
    """
    grad_fn = reference_grads if grad_fn is None else grad_fn
    work = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    analytic = grad_fn(work, X, Y, activations, loss)
    errors: dict[str, float] = {}
    for name in _param_names(work):
        numeric = numerical_gradient(lambda: _loss(work, X, Y, activations, loss), work[name], eps)
        errors[name] = relative_error(analytic[f"d{name}"], numeric)
    worst = max(errors, key=errors.__getitem__)
    return GradCheckReport(errors=errors, max_error=errors[worst], worst=worst)


@dataclass(frozen=True)
class DirectionalReport:
    """Directional derivatives along random unit directions v of the whole parameter vector θ."""

    errors: np.ndarray
    """errors[k] = relative_error(numerical[k], analytic[k]); shape (n_directions,)."""
    numerical: np.ndarray
    """(f(θ + εv_k) − f(θ − εv_k)) / 2ε; shape (n_directions,)."""
    analytic: np.ndarray
    """∇f(θ)·v_k from the gradients under test; shape (n_directions,)."""
    max_error: float
    """The largest of ``errors``."""


def directional_check(
    params: Params,
    X: np.ndarray,
    Y: np.ndarray,
    activations: Sequence[str],
    loss: str,
    rng: np.random.Generator,
    n_directions: int = 10,
    eps: float = 1e-6,
    grad_fn: GradFn | None = None,
) -> DirectionalReport:
    """Compare (f(θ + εv) − f(θ − εv)) / 2ε with ∇f·v along ``n_directions`` random unit directions v drawn from
    ``rng`` over all parameters at once (v ~ N(0, I) normalised to ‖v‖ = 1).

    Cost: one call of ``grad_fn`` (default: one forward and one backward pass) plus 2·n_directions forward passes,
    whatever the number of parameters; ``params`` is not modified.
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator; got {type(rng).__name__}")
    if n_directions < 1:
        raise ValueError(f"n_directions must be >= 1; got {n_directions}")
    if not (np.isfinite(eps) and eps > 0):
        raise ValueError(f"eps must be a positive finite step; got {eps}")
    grad_fn = reference_grads if grad_fn is None else grad_fn
    names = _param_names(params)
    theta = {k: np.asarray(params[k], dtype=np.float64) for k in names}
    grads = grad_fn(theta, X, Y, activations, loss)
    numerical = np.empty(n_directions)
    analytic = np.empty(n_directions)
    for k in range(n_directions):
        v = {name: rng.standard_normal(theta[name].shape) for name in names}
        norm = np.sqrt(sum(float(np.sum(d * d)) for d in v.values()))
        v = {name: d / norm for name, d in v.items()}
        f_plus = _loss({n: theta[n] + eps * v[n] for n in names}, X, Y, activations, loss)
        f_minus = _loss({n: theta[n] - eps * v[n] for n in names}, X, Y, activations, loss)
        numerical[k] = (f_plus - f_minus) / (2.0 * eps)
        analytic[k] = sum(float(np.sum(grads[f"d{n}"] * v[n])) for n in names)
    errors = np.array([relative_error(n, a) for n, a in zip(numerical, analytic, strict=True)])
    return DirectionalReport(errors=errors, numerical=numerical, analytic=analytic, max_error=float(errors.max()))
