"""Tests of reference.gradcheck, and through it fact 1: reference.network.backward matches centered differences."""

from __future__ import annotations

import numpy as np
import pytest

from reference import gradcheck, network
from reference.gradcheck import (
    check_gradients,
    directional_check,
    numerical_gradient,
    reference_grads,
    relative_error,
)

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "linear"]
# (output activation, loss): the three canonical pairs, then non-canonical ones that go through dA_L = ∂L/∂A_L.
OUTPUTS = [
    ("sigmoid", "bce"),
    ("softmax", "ce"),
    ("linear", "mse"),
    ("tanh", "mse"),
    ("sigmoid", "mse"),
    ("softmax", "mse"),
]
KINK_MARGIN = 1e-2
"""Every hidden pre-activation is at least this far from 0, so that no perturbation (ε·|x| ≲ 1e-4) crosses the
kink of relu / leaky_relu, where the function has no derivative and centered differences are meaningless."""
FACT1_EPS = 1e-5
"""Step of the fact-1 checks. With ε = 1e-6 the worst case measured over these nets is 4e-7, not < 1e-7: in depth-4
sigmoid nets the first-layer gradients shrink to ~1e-4 (σ' ≤ 1/4 per layer) while the round-off of the difference,
ε_mach·|f|/ε ≈ 1e-10, does not. ε = 1e-5 (cs231n's choice) balances round-off and the O(ε²) truncation:
worst measured 5.5e-8."""


def _targets(out: str, loss: str, n_out: int, m: int, rng: np.random.Generator) -> np.ndarray:
    if loss == "ce":
        return np.eye(n_out)[:, rng.integers(0, n_out, m)]
    if out == "linear":
        return rng.normal(size=(n_out, m))
    if out == "tanh":
        return rng.uniform(-0.9, 0.9, size=(n_out, m))
    return (rng.random((n_out, m)) < 0.5).astype(np.float64)


def make_case(depth: int, hidden: str, out: str, loss: str, seed: int, m: int = 7):
    """A small float64 net (input 4, hidden widths 3-5, output 2 or 3) away from ReLU kinks, with non-zero grads."""
    rng = np.random.default_rng(seed)
    n_out = 3 if out == "softmax" else 2
    dims = [4, *rng.integers(3, 6, size=depth - 1).tolist(), n_out]
    acts = [hidden] * (depth - 1) + [out]
    X = rng.normal(size=(4, m))
    Y = _targets(out, loss, n_out, m, rng)
    for _ in range(100):  # resample (deterministically) until no hidden pre-activation sits near a kink
        params = {}
        for l in range(1, len(dims)):
            params[f"W{l}"] = rng.normal(size=(dims[l], dims[l - 1])) / np.sqrt(dims[l - 1])
            params[f"b{l}"] = 0.5 * rng.normal(size=(dims[l], 1))
        _, cache = network.forward(params, X, acts)
        near_kink = any(np.abs(cache.Z[l]).min() < KINK_MARGIN for l in range(1, depth))
        grads = reference_grads(params, X, Y, acts, loss)
        if not near_kink and all(np.linalg.norm(g) > 1e-6 for g in grads.values()):
            return params, X, Y, acts
    raise AssertionError("no parameters away from the kinks found")  # pragma: no cover


CASES = [
    pytest.param(depth, hidden, out, loss, id=f"L{depth}-{hidden or 'none'}-{out}+{loss}")
    for depth in range(1, 5)
    for hidden in (HIDDEN if depth > 1 else [None])
    for out, loss in OUTPUTS
]


@pytest.mark.parametrize(("depth", "hidden", "out", "loss"), CASES)
@pytest.mark.parametrize("seed", [0, 1])
def test_backward_matches_centered_differences(depth, hidden, out, loss, seed):
    """Fact 1: relative error below 1e-7 on every parameter, for every activation/loss pair and depths 1 to 4."""
    params, X, Y, acts = make_case(depth, hidden, out, loss, seed=seed)
    report = check_gradients(params, X, Y, acts, loss, eps=FACT1_EPS)
    assert set(report.errors) == {f"{p}{l}" for l in range(1, depth + 1) for p in "Wb"}
    assert report.max_error < 1e-7, (report.worst, report.max_error)
    assert report.max_error == report.errors[report.worst] == max(report.errors.values())


@pytest.mark.parametrize(("depth", "hidden", "out", "loss"), [c for c in CASES if c.values[0] in (1, 3)])
def test_directional_check_agrees_with_check_gradients(depth, hidden, out, loss):
    """Does the directional check pass where the per-parameter check passes?"""
    params, X, Y, acts = make_case(depth, hidden, out, loss, seed=7 + depth)
    full = check_gradients(params, X, Y, acts, loss, eps=FACT1_EPS)
    directional = directional_check(params, X, Y, acts, loss, np.random.default_rng(0), n_directions=8, eps=FACT1_EPS)
    assert full.max_error < 1e-7
    assert directional.errors.shape == (8,)
    # A random direction nearly orthogonal to ∇f makes ∇f·v small and its relative error larger: 1e-6, not 1e-7.
    assert directional.max_error < 1e-6, directional
    assert directional.max_error == directional.errors.max()


# --- deliberately broken gradients: both checks must flag them -------------------------------------------------


def _missing_one_over_m(params, X, Y, acts, loss):
    """A classic bug: the 1/m of the mean loss forgotten (every gradient m times too large)."""
    return {k: v * X.shape[1] for k, v in reference_grads(params, X, Y, acts, loss).items()}


def _transposed_dW2(params, X, Y, acts, loss):
    """dW2 = A1 dZ2ᵀ instead of dZ2 A1ᵀ (shapes agree because W2 is square)."""
    grads = reference_grads(params, X, Y, acts, loss)
    return {**grads, "dW2": grads["dW2"].T}


def _db1_dropped(params, X, Y, acts, loss):
    """db1 left at zero: a single forgotten gradient among eight."""
    grads = reference_grads(params, X, Y, acts, loss)
    return {**grads, "db1": np.zeros_like(grads["db1"])}


@pytest.mark.parametrize("broken", [_missing_one_over_m, _transposed_dW2, _db1_dropped])
def test_checks_flag_a_broken_gradient(broken):
    rng = np.random.default_rng(3)
    dims = [4, 4, 4, 1]
    params = {}
    for l in range(1, len(dims)):
        params[f"W{l}"] = rng.normal(size=(dims[l], dims[l - 1]))
        params[f"b{l}"] = rng.normal(size=(dims[l], 1))
    X, Y = rng.normal(size=(4, 7)), (rng.random((1, 7)) < 0.5).astype(np.float64)
    acts = ["tanh", "tanh", "sigmoid"]
    assert directional_check(params, X, Y, acts, "bce", np.random.default_rng(0)).max_error < 1e-6
    directional = directional_check(params, X, Y, acts, "bce", np.random.default_rng(0), grad_fn=broken)
    full = check_gradients(params, X, Y, acts, "bce", grad_fn=broken)
    assert directional.max_error > 1e-2, directional
    assert full.max_error > 1e-2, full


def test_directional_check_costs_two_forward_passes_per_direction_whatever_the_size(monkeypatch):
    """2·n_directions forward passes plus one forward and one backward, for 50 or 50,000 parameters alike."""
    calls = {"forward": 0, "backward": 0}
    real_forward, real_backward = network.forward, network.backward

    def counting_forward(*args, **kwargs):
        calls["forward"] += 1
        return real_forward(*args, **kwargs)

    def counting_backward(*args, **kwargs):
        calls["backward"] += 1
        return real_backward(*args, **kwargs)

    monkeypatch.setattr(network, "forward", counting_forward)
    monkeypatch.setattr(network, "backward", counting_backward)
    rng = np.random.default_rng(0)
    for width in (5, 200):
        params = {"W1": rng.normal(size=(width, 8)) / 3, "b1": np.zeros((width, 1)),
                  "W2": rng.normal(size=(1, width)) / width, "b2": np.zeros((1, 1))}
        X, Y = rng.normal(size=(8, 16)), (rng.random((1, 16)) < 0.5).astype(np.float64)
        calls.update(forward=0, backward=0)
        report = directional_check(params, X, Y, ["tanh", "sigmoid"], "bce", rng, n_directions=6)
        assert calls == {"forward": 2 * 6 + 1, "backward": 1}
        assert report.max_error < 1e-6
    assert gradcheck.network.forward is counting_forward  # the check really went through the counted functions


def test_directional_check_leaves_params_untouched_and_validates_arguments():
    params, X, Y, acts = make_case(2, "tanh", "sigmoid", "bce", seed=1)
    before = {k: v.copy() for k, v in params.items()}
    check_gradients(params, X, Y, acts, "bce")
    directional_check(params, X, Y, acts, "bce", np.random.default_rng(0))
    assert all(np.array_equal(before[k], params[k]) for k in params)
    with pytest.raises(TypeError, match="Generator"):
        directional_check(params, X, Y, acts, "bce", 0)
    with pytest.raises(ValueError, match="n_directions"):
        directional_check(params, X, Y, acts, "bce", np.random.default_rng(0), n_directions=0)
    with pytest.raises(ValueError, match="eps"):
        directional_check(params, X, Y, acts, "bce", np.random.default_rng(0), eps=0.0)


def test_directional_check_is_deterministic_given_rng():
    params, X, Y, acts = make_case(3, "sigmoid", "softmax", "ce", seed=2)
    a = directional_check(params, X, Y, acts, "ce", np.random.default_rng(5), n_directions=4)
    b = directional_check(params, X, Y, acts, "ce", np.random.default_rng(5), n_directions=4)
    assert np.array_equal(a.errors, b.errors) and np.array_equal(a.analytic, b.analytic)


# --- numerical_gradient ----------------------------------------------------------------------------------------


def test_numerical_gradient_of_a_known_function():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4))
    A = rng.normal(size=(4, 3))
    grad = numerical_gradient(lambda: float(np.sum(x**3) + np.trace(A @ x)), x)
    assert grad.shape == x.shape
    assert relative_error(grad, 3 * x**2 + A.T) < 1e-8


def test_numerical_gradient_perturbs_in_place_and_restores_every_bit():
    x = np.array([[-0.0, 5e-324, 1.0 / 3.0], [1e300, -2.5, np.pi]])  # −0.0 and a subnormal: easy bits to lose
    before = x.tobytes()
    seen = []

    def f():
        seen.append(x.copy())  # f sees the perturbed x: the perturbation happens in place
        return float(np.sum(np.sin(x[0])))

    numerical_gradient(f, x)
    assert x.tobytes() == before
    assert len(seen) == 2 * x.size and not np.array_equal(seen[0], x)


def test_numerical_gradient_restores_x_when_f_raises():
    x = np.linspace(-1.0, 1.0, 6).reshape(2, 3) / 3.0
    before = x.tobytes()
    calls = 0

    def f():
        nonlocal calls
        calls += 1
        if calls == 4:  # second entry, minus side: x[0, 1] is perturbed at this moment
            raise RuntimeError("boom")
        return float(np.sum(x))

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(f, x)
    assert x.tobytes() == before


def test_numerical_gradient_works_on_views():
    base = np.arange(12, dtype=np.float64).reshape(3, 4) / 7
    view = base.T[1:]  # non-contiguous; perturbing it perturbs base
    grad = numerical_gradient(lambda: float(np.sum(base**2)), view)
    assert relative_error(grad, 2 * view) < 1e-8
    assert np.array_equal(base, np.arange(12, dtype=np.float64).reshape(3, 4) / 7)


def test_numerical_gradient_rejects_what_it_cannot_perturb():
    with pytest.raises(TypeError, match="floating"):
        numerical_gradient(lambda: 0.0, np.arange(3))
    with pytest.raises(TypeError, match="floating"):
        numerical_gradient(lambda: 0.0, [1.0, 2.0])
    frozen = np.ones(3)
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match="writeable"):
        numerical_gradient(lambda: 0.0, frozen)
    with pytest.raises(ValueError, match="eps"):
        numerical_gradient(lambda: 0.0, np.ones(3), eps=-1e-6)


# --- relative_error --------------------------------------------------------------------------------------------


def test_relative_error_edge_cases():
    z = np.zeros((2, 3))
    a = np.arange(6.0).reshape(2, 3)
    assert relative_error(z, z) == 0.0
    assert relative_error(a, a) == 0.0
    assert relative_error(z, a) == 1.0
    assert relative_error(a, -a) == 1.0
    assert relative_error(a, 2 * a) == pytest.approx(1 / 3)
    assert relative_error(a, 2 * a) == relative_error(2 * a, a)
    assert relative_error(3.0, 3.0 + 3e-9) == pytest.approx(5e-10)
    tiny = np.full(3, 5e-324)  # subnormals: ‖a‖ + ‖b‖ below `tiny`, still a finite error ≤ 1
    assert 0.0 <= relative_error(tiny, 2 * tiny) <= 1.0
    with pytest.raises(ValueError, match="shapes"):
        relative_error(np.zeros(3), np.zeros((3, 1)))
