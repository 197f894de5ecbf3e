"""Tests of reference/init.py (fact 2): every scheme's samples match its formula, gains match torch's table,
orthogonal matrices are orthogonal, and whole networks are initialized from one generator, layer after layer.

Sampling tolerances are six standard errors: the mean of n samples of std σ is off by σ/√n, their sample std
by about σ/√(2n) (an upper bound for the uniform and truncated normal, whose tails are lighter than normal).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from reference.init import (
    SCHEMES,
    TRUNCATED_STD,
    calculate_gain,
    fan_in_out,
    get_scheme,
    he_std,
    initialize,
    orthogonal,
    xavier_std,
)

SHAPES = [(300, 200), (200, 300)]  # (fan_out, fan_in) with fan_in != fan_out, both ways round
K = 6.0  # standard errors allowed
SQRT2 = math.sqrt(2.0)


def _spec(name: str, kw: dict, fan_in: int, fan_out: int) -> tuple[str, float]:
    """(kind, scale) by the published formulas: ("normal", std), ("uniform", bound), ("truncated", std)."""
    fan = fan_in if kw.get("mode", "fan_in") == "fan_in" else fan_out
    if "gain" in kw:
        gain = kw["gain"]
    elif "nonlinearity" in kw or "negative_slope" in kw:
        gain = {
            "tanh": 5 / 3,
            "relu": SQRT2,
            "linear": 1.0,
            "leaky_relu": math.sqrt(2 / (1 + kw.get("negative_slope", 0.01) ** 2)),
        }[kw.get("nonlinearity", "leaky_relu")]
    else:
        gain = SQRT2 if name.startswith("he_") else 1.0
    return {
        "normal": ("normal", kw.get("std", 1.0)),
        "uniform": ("uniform", kw.get("limit", 1.0)),
        "truncated_normal": ("truncated", kw.get("std", 1.0)),
        "xavier_uniform": ("uniform", gain * math.sqrt(6 / (fan_in + fan_out))),
        "xavier_normal": ("normal", gain * math.sqrt(2 / (fan_in + fan_out))),
        "he_uniform": ("uniform", math.sqrt(3) * gain / math.sqrt(fan)),
        "he_normal": ("normal", gain / math.sqrt(fan)),
        "lecun_uniform": ("uniform", math.sqrt(3 / fan_in)),
        "lecun_normal": ("normal", 1 / math.sqrt(fan_in)),
        "orthogonal": (
            "normal",
            gain / math.sqrt(max(fan_in, fan_out)),
        ),  # entries of a Haar (semi-)orthogonal
    }[name]


RANDOM_CASES = [
    ("normal", {}),
    ("normal", {"std": 0.05}),
    ("uniform", {"limit": 0.3}),
    ("truncated_normal", {}),
    ("truncated_normal", {"std": 0.2}),
    ("xavier_uniform", {}),
    ("xavier_uniform", {"gain": 2.0}),
    ("xavier_normal", {}),
    ("xavier_normal", {"nonlinearity": "tanh"}),
    ("he_uniform", {}),
    ("he_uniform", {"mode": "fan_in"}),
    ("he_uniform", {"mode": "fan_out"}),
    ("he_normal", {}),
    ("he_normal", {"mode": "fan_out"}),
    ("he_normal", {"mode": "fan_in", "nonlinearity": "tanh"}),
    ("he_normal", {"mode": "fan_out", "nonlinearity": "leaky_relu", "negative_slope": 0.2}),
    ("he_uniform", {"negative_slope": 0.3}),
    ("he_normal", {"nonlinearity": "linear"}),
    ("lecun_uniform", {}),
    ("lecun_normal", {}),
    ("orthogonal", {}),
    ("orthogonal", {"gain": 0.5}),
]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(("name", "kw"), RANDOM_CASES)
def test_random_scheme_samples_match_formula(name: str, kw: dict, shape: tuple[int, int]) -> None:
    """Do the mean, the std and (for uniforms) the bound of 60 000 draws match the scheme's formula?"""
    fan_in, fan_out = shape[1], shape[0]
    kind, scale = _spec(name, kw, fan_in, fan_out)
    W = SCHEMES[name](shape, np.random.default_rng(0), **kw)
    n = W.size
    assert W.shape == shape and W.dtype == np.float64
    std = scale / math.sqrt(3) if kind == "uniform" else scale
    assert abs(W.mean()) <= K * std / math.sqrt(n)
    assert abs(W.std() - std) <= K * std / math.sqrt(2 * n), (W.std(), std)
    if kind == "uniform":
        # max |w| of n uniforms falls below (1 − 20/n)·bound with probability (1 − 20/n)^n ≈ e^−20.
        assert np.abs(W).max() <= scale
        assert np.abs(W).max() >= scale * (1 - 20 / n)
    if kind == "truncated":
        bound = 2 * scale / TRUNCATED_STD
        assert np.abs(W).max() <= bound


@pytest.mark.parametrize(("name", "kw"), [case for case in RANDOM_CASES if case[0].startswith(("xavier", "he"))])
def test_std_functions_give_the_std_of_the_published_formula(name: str, kw: dict) -> None:
    """Are xavier_std and he_std (what the schemes draw with, and what the course's checks ask for) the formulas?"""
    fan_in, fan_out = 200, 300
    kind, scale = _spec(name, kw, fan_in, fan_out)
    std = xavier_std if name.startswith("xavier") else he_std
    assert std((fan_out, fan_in), **kw) == pytest.approx(scale / math.sqrt(3) if kind == "uniform" else scale)


@pytest.mark.parametrize("shape", SHAPES)
def test_swapped_fans_would_be_caught(shape: tuple[int, int]) -> None:
    """Are fan_in and fan_out far enough apart for the tolerance above to tell He fan_in from He fan_out?"""
    n = shape[0] * shape[1]
    std_in, std_out = SQRT2 / math.sqrt(shape[1]), SQRT2 / math.sqrt(shape[0])
    assert abs(std_in - std_out) > 5 * K * max(std_in, std_out) / math.sqrt(2 * n)


def test_truncated_std_constant_is_std_of_normal_truncated_at_two() -> None:
    """Is 0.87962566103423978 the std of N(0, 1) truncated to [−2, 2]: 1 − 2aφ(a)/(2Φ(a) − 1) with a = 2?"""
    a = 2.0
    phi = math.exp(-a * a / 2) / math.sqrt(2 * math.pi)
    mass = math.erf(a / math.sqrt(2))
    assert math.sqrt(1 - 2 * a * phi / mass) == pytest.approx(TRUNCATED_STD, abs=1e-15)


@pytest.mark.parametrize("std", [1.0, 0.02])
def test_truncated_normal_redraws_instead_of_clipping(std: float) -> None:
    """Are out-of-range draws redrawn (few values near ±2σ', none beyond), not clipped (4.6% at the bound)?"""
    W = SCHEMES["truncated_normal"]((300, 200), np.random.default_rng(1), std=std, mean=3.0)
    sigma = std / TRUNCATED_STD
    dev = np.abs(W - 3.0)
    assert dev.max() <= 2 * sigma * (1 + 1e-12)
    assert np.mean(dev >= 2 * sigma * (1 - 1e-3)) < 1e-3
    assert abs(W.mean() - 3.0) <= K * std / math.sqrt(W.size)
    assert abs(W.std() - std) <= K * std / math.sqrt(2 * W.size)


@pytest.mark.parametrize(
    ("name", "kw", "value"), [("zeros", {}, 0.0), ("ones", {}, 1.0), ("constant", {"value": -0.7}, -0.7)]
)
@pytest.mark.parametrize("shape", [(3, 4), (5, 1), (7,), (2, 3, 4)])
def test_constant_schemes_are_exact(name: str, kw: dict, value: float, shape: tuple[int, ...]) -> None:
    """Do zeros, ones and constant fill any shape (bias columns and 1-D included) with one float64 value?"""
    W = SCHEMES[name](shape, np.random.default_rng(0), **kw)
    assert W.shape == shape and W.dtype == np.float64
    np.testing.assert_array_equal(W, np.full(shape, value))


@pytest.mark.parametrize("name", ["normal", "uniform", "truncated_normal"])
@pytest.mark.parametrize("shape", [(7,), (5, 1), (2, 3, 4)])
def test_fanless_schemes_accept_any_shape(name: str, shape: tuple[int, ...]) -> None:
    """Do the schemes that need no fan work for 1-D and 3-D shapes too?"""
    W = SCHEMES[name](shape, np.random.default_rng(0))
    assert W.shape == shape and W.dtype == np.float64 and np.all(np.isfinite(W))


@pytest.mark.parametrize("name", sorted(SCHEMES))
def test_same_seed_same_array_other_seed_other_array(name: str) -> None:
    """Is every scheme a pure function of (shape, rng state): equal for equal seeds, not for other seeds?"""
    kw = {"value": 0.5} if name == "constant" else {}
    a = SCHEMES[name]((6, 4), np.random.default_rng(42), **kw)
    b = SCHEMES[name]((6, 4), np.random.default_rng(42), **kw)
    c = SCHEMES[name]((6, 4), np.random.default_rng(43), **kw)
    assert a.dtype == np.float64 and a.shape == (6, 4)
    np.testing.assert_array_equal(a, b)
    if name in ("zeros", "ones", "constant"):
        np.testing.assert_array_equal(a, c)
    else:
        assert not np.array_equal(a, c)
        assert len(np.unique(a)) == a.size  # no two units start equal


def test_schemes_do_not_touch_global_numpy_random_state() -> None:
    """Does drawing from an explicit rng leave np.random's global state alone?"""
    np.random.seed(0)
    state = np.random.get_state()[1].copy()
    for name in SCHEMES:
        SCHEMES[name]((4, 3), np.random.default_rng(0), **({"value": 1.0} if name == "constant" else {}))
    np.testing.assert_array_equal(np.random.get_state()[1], state)


# --- gains and fans -----------------------------------------------------------------------------------------

GAIN_TABLE = [  # torch.nn.init.calculate_gain's documented table
    ("linear", None, 1.0),
    ("conv1d", None, 1.0),
    ("conv2d", None, 1.0),
    ("conv3d", None, 1.0),
    ("conv_transpose1d", None, 1.0),
    ("conv_transpose2d", None, 1.0),
    ("conv_transpose3d", None, 1.0),
    ("sigmoid", None, 1.0),
    ("tanh", None, 5.0 / 3.0),
    ("relu", None, 1.4142135623730951),
    ("leaky_relu", None, 1.4141428569978354),  # √(2 / (1 + 0.01²))
    ("leaky_relu", 0.2, 1.3867504905630728),  # √(2 / 1.04)
    ("leaky_relu", 0, 1.4142135623730951),
    ("leaky_relu", 1.0, 1.0),
    ("selu", None, 0.75),
]


@pytest.mark.parametrize(("nonlinearity", "param", "gain"), GAIN_TABLE)
def test_calculate_gain_matches_torch_table(nonlinearity: str, param: float | None, gain: float) -> None:
    """Does calculate_gain give torch's value for every non-linearity of its table?"""
    assert calculate_gain(nonlinearity, param) == pytest.approx(gain, rel=1e-15)


def test_calculate_gain_rejects_unknown_names_and_bad_slopes() -> None:
    """Does an unknown non-linearity raise a ValueError naming the known ones, and a non-number slope too?"""
    with pytest.raises(ValueError, match=r"swish.*leaky_relu.*tanh"):
        calculate_gain("swish")
    with pytest.raises(ValueError, match="negative_slope"):
        calculate_gain("leaky_relu", True)
    with pytest.raises(ValueError, match="negative_slope"):
        calculate_gain("leaky_relu", "0.1")


@pytest.mark.parametrize(
    ("shape", "fans"),
    [
        ((4, 3), (3, 4)),
        ((300, 200), (200, 300)),
        ((5, 1), (1, 5)),
        ((16, 3, 5, 5), (75, 400)),
        ((2, 3, 7), (21, 14)),
    ],
)
def test_fan_in_out_follows_torch(shape: tuple[int, ...], fans: tuple[int, int]) -> None:
    """Is a (fan_out, fan_in, *kernel) shape read as torch reads it, receptive field included?"""
    assert fan_in_out(shape) == fans


@pytest.mark.parametrize("shape", [(5,), (), (3, 0), (3, -1), (2.0, 3)])
def test_fan_in_out_rejects_shapes_without_two_positive_dims(shape: tuple) -> None:
    """Does a shape with under two dimensions, or a non-positive or non-integer size, raise a ValueError?"""
    with pytest.raises(ValueError, match="shape"):
        fan_in_out(shape)


@pytest.mark.parametrize(
    "name", ["xavier_uniform", "xavier_normal", "he_uniform", "he_normal", "lecun_normal", "orthogonal"]
)
def test_fan_schemes_refuse_one_dimensional_shapes(name: str) -> None:
    """Do the schemes that need a fan refuse a 1-D shape with a ValueError, as torch does?"""
    with pytest.raises(ValueError, match="dimensions"):
        SCHEMES[name]((5,), np.random.default_rng(0))


# --- orthogonal ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(300, 200), (200, 300), (64, 64), (16, 3, 5, 5), (1, 9)])
@pytest.mark.parametrize(("kw", "gain"), [({}, 1.0), ({"gain": 2.5}, 2.5), ({"nonlinearity": "relu"}, SQRT2)])
def test_orthogonal_is_orthogonal_times_gain(shape: tuple[int, ...], kw: dict, gain: float) -> None:
    """Is W (flattened to rows × cols) such that W Wᵀ = gain²·I (rows <= cols) or Wᵀ W = gain²·I, to 1e-10?"""
    W = orthogonal(shape, np.random.default_rng(3), **kw)
    assert W.shape == shape and W.dtype == np.float64
    M = W.reshape(shape[0], -1)
    G = M @ M.T if M.shape[0] <= M.shape[1] else M.T @ M
    np.testing.assert_allclose(G, gain**2 * np.eye(G.shape[0]), rtol=0, atol=1e-10)


@pytest.mark.parametrize("shape", [(8, 5), (5, 8), (6, 6)])
def test_orthogonal_is_torch_algorithm_on_the_same_draw(shape: tuple[int, int]) -> None:
    """Is it torch's recipe: normal draw, transpose if rows < cols, QR, Q·sign(diag R), transpose back?"""
    rows, cols = shape
    A = np.random.default_rng(9).standard_normal(shape)
    A = A.T if rows < cols else A
    Q, R = np.linalg.qr(A)
    Q = Q * np.sign(np.diag(R))
    expected = Q.T if rows < cols else Q
    np.testing.assert_allclose(
        orthogonal(shape, np.random.default_rng(9), gain=1.5), 1.5 * expected, atol=1e-14
    )


@pytest.mark.parametrize("shape", [(8, 5), (5, 8)])
def test_orthogonal_sign_correction_makes_entries_symmetric(shape: tuple[int, int]) -> None:
    """With Q·sign(diag R), is W[0, 0] positive half the time (plain Householder QR makes it always ≤ 0)?"""
    positive = [orthogonal(shape, np.random.default_rng(s))[0, 0] > 0 for s in range(400)]
    # Binomial(400, 1/2): six standard deviations are 0.15.
    assert 0.35 <= np.mean(positive) <= 0.65


# --- registry and keyword errors ----------------------------------------------------------------------------


def test_registry_has_the_required_schemes() -> None:
    """Does SCHEMES hold every scheme the notebooks and the depth experiment name?"""
    required = {
        "zeros",
        "constant",
        "normal",
        "uniform",
        "xavier_uniform",
        "xavier_normal",
        "he_uniform",
        "he_normal",
        "lecun_uniform",
        "lecun_normal",
        "truncated_normal",
        "orthogonal",
    }
    assert required <= set(SCHEMES)
    assert all(get_scheme(name) is SCHEMES[name] for name in SCHEMES)


def test_get_scheme_unknown_name_lists_known_ones() -> None:
    """Does an unknown scheme name raise a ValueError that lists the known names?"""
    with pytest.raises(ValueError, match=r"kaiming.*he_normal.*xavier_uniform"):
        get_scheme("kaiming")


@pytest.mark.parametrize(
    ("name", "kw", "match"),
    [
        ("he_normal", {"mode": "fan_avg"}, r"fan_avg.*fan_in.*fan_out"),
        ("he_uniform", {"mode": "in"}, r"fan_in.*fan_out"),
        ("he_normal", {"nonlinearity": "swish"}, r"swish.*relu"),
        ("he_normal", {"nonlinearity": "tanh", "negative_slope": 0.1}, "leaky_relu"),
        ("xavier_normal", {"gain": 2.0, "nonlinearity": "tanh"}, "not both"),
        ("xavier_uniform", {"gain": -1.0}, "gain"),
        ("normal", {"std": -0.1}, "std"),
        ("uniform", {"limit": float("nan")}, "limit"),
        ("truncated_normal", {"std": -1.0}, "std"),
    ],
)
def test_bad_keywords_raise_value_errors_naming_allowed_values(name: str, kw: dict, match: str) -> None:
    """Does a bad keyword value raise a ValueError that says what is allowed?"""
    with pytest.raises(ValueError, match=match):
        SCHEMES[name]((4, 3), np.random.default_rng(0), **kw)


def test_seed_instead_of_generator_is_refused() -> None:
    """Does passing an int seed (or the legacy np.random module) instead of a Generator raise a TypeError?"""
    with pytest.raises(TypeError, match="Generator"):
        SCHEMES["he_normal"]((4, 3), 0)
    with pytest.raises(TypeError, match="Generator"):
        initialize([3, 4], np.random)


# --- initialize ---------------------------------------------------------------------------------------------


def test_initialize_shapes_and_zero_biases() -> None:
    """Does initialize give W_l of shape (n_l, n_{l−1}), zero b_l of shape (n_l, 1), float64, nothing else?"""
    dims = [5, 4, 3, 1]
    params = initialize(dims, np.random.default_rng(0))
    assert set(params) == {"W1", "b1", "W2", "b2", "W3", "b3"}
    for layer in range(1, len(dims)):
        assert (
            params[f"W{layer}"].shape == (dims[layer], dims[layer - 1])
            and params[f"W{layer}"].dtype == np.float64
        )
        assert params[f"b{layer}"].shape == (dims[layer], 1) and params[f"b{layer}"].dtype == np.float64
        assert np.all(params[f"b{layer}"] == 0)


def test_initialize_uses_one_generator_never_reseeded() -> None:
    """Are layers of the same shape different, independent arrays (one generator, not reseeded per layer)?"""
    params = initialize([6, 6, 6, 6], np.random.default_rng(0), biases="normal", bias_kw={"std": 1.0})
    keys = ["W1", "W2", "W3"]
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            assert not np.array_equal(params[a], params[b])
            assert not np.shares_memory(params[a], params[b])
    assert not np.array_equal(params["b1"], params["b2"])


def test_initialize_draws_w1_b1_w2_b2_in_order() -> None:
    """Is initialize the same as drawing W1, b1, W2, b2 one after the other from the one generator?"""
    params = initialize(
        [3, 4, 2], np.random.default_rng(5), "xavier_uniform", "uniform", bias_kw={"limit": 0.1}
    )
    rng = np.random.default_rng(5)
    expected = {
        "W1": SCHEMES["xavier_uniform"]((4, 3), rng),
        "b1": SCHEMES["uniform"]((4, 1), rng, limit=0.1),
        "W2": SCHEMES["xavier_uniform"]((2, 4), rng),
        "b2": SCHEMES["uniform"]((2, 1), rng, limit=0.1),
    }
    assert params.keys() == expected.keys()
    for key in expected:
        np.testing.assert_array_equal(params[key], expected[key])


def test_initialize_is_deterministic_per_seed() -> None:
    """Does the same seed give the same parameters and another seed other weights?"""
    a = initialize([4, 3, 2], np.random.default_rng(1))
    b = initialize([4, 3, 2], np.random.default_rng(1))
    c = initialize([4, 3, 2], np.random.default_rng(2))
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    assert not np.array_equal(a["W1"], c["W1"])


def test_initialize_routes_keywords_to_weights_and_bias_kw_to_biases() -> None:
    """Do extra keywords reach the weight scheme only, and bias_kw the bias scheme?"""
    params = initialize(
        [3, 4, 2], np.random.default_rng(0), "constant", "constant", value=0.5, bias_kw={"value": 0.1}
    )
    assert np.all(params["W1"] == 0.5) and np.all(params["W2"] == 0.5)
    assert np.all(params["b1"] == 0.1) and np.all(params["b2"] == 0.1)
    # mode reaches he_normal but not zeros (which would refuse it).
    params = initialize([3, 4], np.random.default_rng(0), "he_normal", mode="fan_out")
    np.testing.assert_array_equal(
        params["W1"], SCHEMES["he_normal"]((4, 3), np.random.default_rng(0), mode="fan_out")
    )
    assert np.all(params["b1"] == 0)


def test_initialize_accepts_a_scheme_function() -> None:
    """Can a learner's own scheme function be passed instead of a registered name?"""
    params = initialize([2, 3], np.random.default_rng(0), weights=lambda shape, rng: np.full(shape, 2.0))
    assert np.all(params["W1"] == 2.0) and params["W1"].shape == (3, 2)


@pytest.mark.parametrize("dims", [[], [3], [3, 0], [3, -2], [3, 2.5], [3, True], (4,)])
def test_initialize_rejects_bad_layer_dims(dims: list) -> None:
    """Does a layer_dims that is not a list of 2+ positive ints raise a ValueError?"""
    with pytest.raises(ValueError, match="layer_dims"):
        initialize(dims, np.random.default_rng(0))


def test_initialize_rejects_unknown_scheme_names() -> None:
    """Does an unknown weight or bias scheme name raise a ValueError listing the known ones?"""
    with pytest.raises(ValueError, match="he_normal"):
        initialize([3, 2], np.random.default_rng(0), weights="glorot")
    with pytest.raises(ValueError, match="zeros"):
        initialize([3, 2], np.random.default_rng(0), biases="nil")
