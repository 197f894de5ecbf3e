"""Every claim init_scale makes about its experiments, proved on reference/ with the notebook's own settings.

The settings are read from the notebook's locked ``settings`` cell, and the notebook's given and solution inits are
shown to draw exactly what reference.init draws, so what holds here holds for the learner's run with a correct
solution. The deep networks of Parts 4 and 5 have the learner's own depth D (variants.py): each claim about them is
proved for every D of the range, on the first D layers of the deepest networks (which are the networks of depth D:
tested), and the answer that depends on D, q_xavier_relu_shrink, is shown to be what the learner's table gives.
"""

from __future__ import annotations

import numpy as np
import pytest

from grader.checks.answers import check_answer
from grader.submissions import cell_source, solution_sources
from reference.activations import get_activation, sigmoid
from reference.data import circles
from reference.experiments import grad_norm_profile, pre_activation_grads, std_profile
from reference.init import he_normal, initialize
from reference.network import accuracy, forward
from reference.symmetry import dead_units
from reference.train import train

from . import variants
from .answers import ANSWERS

D_LOW, D_HIGH = (bound["depth"] for bound in variants.extremes())
EVERY_D = range(D_LOW, D_HIGH + 1)
SOME_D = (D_LOW, D_LOW + 1, 45, D_HIGH - 1, D_HIGH)
"""Where the backward profiles are measured: both ends of the range and a few depths inside (the forward profiles
of every depth are prefixes of the deepest, so every D is measured forward)."""


def _settings_of(source_nb, depth: int) -> dict:
    """The names the notebook's locked settings cell defines for a learner whose own depth is ``depth``."""
    namespace = {"np": np, "circles": circles, "P": {"depth": depth}}
    exec(cell_source(source_nb, "settings"), namespace)
    return namespace


@pytest.fixture(scope="module")
def settings(source_nb) -> dict:
    """The settings of the deepest variant, D = 50: the networks of every other D are their first D layers."""
    return _settings_of(source_nb, D_HIGH)


def test_the_generator_draws_the_depth_from_its_extremes_and_every_value_between():
    """variants.extremes() are the ends of what parameters() draws, so the claims below cover every learner."""
    assert variants.extremes() == [{"depth": D_LOW}, {"depth": D_HIGH}]
    drawn = {variants.parameters(lambda question, seed=seed: np.random.default_rng([seed, len(question)]))["depth"]
             for seed in range(2000)}
    assert drawn == set(EVERY_D)


@pytest.mark.parametrize("depth", [D_LOW, 45, D_HIGH])
def test_the_settings_cell_gives_the_learners_depth_and_the_same_data_to_everyone(source_nb, settings, depth):
    mine = _settings_of(source_nb, depth)
    assert mine["DEPTH"] == depth and mine["DEEP_DIMS"] == [mine["WIDTH"]] * (depth + 1)
    for name in ("X_deep", "dA_deep", "X_train", "X_test"):
        np.testing.assert_array_equal(mine[name], settings[name])


@pytest.fixture(scope="module")
def notebook(source_nb) -> dict:
    """The notebook's given inits, its given backward profile and its solutions, run in one namespace."""
    namespace = {"np": np, "forward": forward, "get_activation": get_activation}
    exec(cell_source(source_nb, "given_inits"), namespace)
    exec(cell_source(source_nb, "given_backward"), namespace)
    for grade_id, source in solution_sources(source_nb).items():
        if not grade_id.startswith("q_"):
            exec(source, namespace)
    return namespace


INITS = {
    "He": {"weights": "he_normal"},
    "He (slope 0.01)": {"weights": "he_normal", "negative_slope": 0.01},
    "Xavier": {"weights": "xavier_normal"},
    "Xavier (gain 5/3)": {"weights": "xavier_normal", "gain": 5 / 3},
    "orthogonal (gain 5/3)": {"weights": "orthogonal", "gain": 5 / 3},
    "orthogonal": {"weights": "orthogonal"},
    "normal x 10": {"weights": "normal", "std": 10.0},
}
"""The notebook's inits as arguments of reference.init.initialize."""
NOTEBOOK_CALLS = {
    "He": "initialize_parameters_he(dims, rng)",
    "He (slope 0.01)": "initialize_parameters_he(dims, rng, 0.01)",
    "Xavier": "initialize_parameters_xavier(dims, rng)",
    "Xavier (gain 5/3)": "initialize_parameters_xavier(dims, rng, gain=5 / 3)",
    "orthogonal (gain 5/3)": "{k: v for l in range(1, len(dims)) for k, v in ((f'W{l}', orthogonal((dims[l], "
    "dims[l - 1]), rng, gain=5 / 3)), (f'b{l}', np.zeros((dims[l], 1))))}",
    "orthogonal": "{k: v for l in range(1, len(dims)) for k, v in ((f'W{l}', orthogonal((dims[l], dims[l - 1]), "
    "rng)), (f'b{l}', np.zeros((dims[l], 1))))}",
    "normal x 10": "initialize_parameters_normal(dims, rng, scale=10.0)",
}


@pytest.mark.parametrize("name", list(INITS))
def test_the_notebook_draws_what_the_reference_draws(notebook, settings, name):
    """Given inits, the solution's He and orthogonal = reference.init, draw for draw (orthogonal on square and tall
    layers, the only ones the notebook uses; for wide ones the solution draws the transposed matrix directly)."""
    shapes = (
        [[6, 6, 6], [3, 5, 8]] if name.startswith("orthogonal") else [[6, 6, 6], [8, 5, 3], settings["SIGMOID_DIMS"]]
    )
    for dims in shapes:
        namespace = {**notebook, "dims": dims, "rng": np.random.default_rng(3)}
        mine = eval(NOTEBOOK_CALLS[name], namespace)
        reference = initialize(dims, np.random.default_rng(3), **INITS[name])
        assert mine.keys() == reference.keys()
        for key in mine:
            np.testing.assert_allclose(mine[key], reference[key], rtol=1e-12, atol=0, err_msg=f"{name} {key}")


def test_the_solution_profile_is_the_reference_profile(notebook, settings):
    s = settings
    dims = [64] * 11
    X = s["X_deep"][:64]
    mine = notebook["layer_std_profile"](
        dims, notebook["initialize_parameters_he"], "relu", X, np.random.default_rng(0)
    )
    reference = std_profile(initialize(dims, np.random.default_rng(0), "he_normal"), X, ["relu"] * 10)
    np.testing.assert_allclose(mine, reference, rtol=1e-12)


def test_the_given_backward_profile_is_the_reference_one(notebook, settings):
    """layer_grad_norms of the locked cell = reference.experiments.grad_norm_profile, on a small net with random
    biases and on the notebook's deep tanh network with its dA_deep."""
    s = settings
    rng = np.random.default_rng(4)
    params = initialize([5, 7, 6, 4], rng, "xavier_normal", "normal", bias_kw={"std": 0.5})
    X, dA = rng.standard_normal((5, 9)), rng.standard_normal((4, 9))
    for activation in ("relu", "tanh", "sigmoid", "linear"):
        mine = notebook["layer_grad_norms"](params, X, activation, dA)
        np.testing.assert_allclose(mine, grad_norm_profile(params, X, [activation] * 3, dA), rtol=1e-12)
    params = initialize(s["DEEP_DIMS"], np.random.default_rng(s["SEED"]), **INITS["Xavier (gain 5/3)"])
    mine = notebook["layer_grad_norms"](params, s["X_deep"], "tanh", s["dA_deep"])
    reference = grad_norm_profile(params, s["X_deep"], ["tanh"] * s["DEPTH"], s["dA_deep"])
    np.testing.assert_allclose(mine, reference, rtol=1e-12)


# --- Part 4: depth, on the learner's own D --------------------------------------------------------------------------

DEPTH_CASES = {
    "He, relu": ("He", "relu"),
    "Xavier, relu": ("Xavier", "relu"),
    "He (slope 0.01), leaky_relu": ("He (slope 0.01)", "leaky_relu"),
    "Xavier (gain 1), tanh": ("Xavier", "tanh"),
    "Xavier (gain 5/3), tanh": ("Xavier (gain 5/3)", "tanh"),
    "orthogonal (gain 5/3), tanh": ("orthogonal (gain 5/3)", "tanh"),
    "orthogonal (gain 1), linear": ("orthogonal", "linear"),
}
"""The notebook's DEPTH_CASES: init (a key of INITS) and activation."""


@pytest.fixture(scope="module")
def deep_params(settings) -> dict[str, dict[str, np.ndarray]]:
    """The networks of the notebook's DEPTH_CASES at the deepest variant, drawn as the notebook draws them."""
    s = settings
    return {
        case: initialize(s["DEEP_DIMS"], np.random.default_rng(s["SEED"]), **INITS[init])
        for case, (init, _) in DEPTH_CASES.items()
    }


def _first_layers(params: dict[str, np.ndarray], depth: int) -> dict[str, np.ndarray]:
    return {f"{k}{l}": params[f"{k}{l}"] for l in range(1, depth + 1) for k in "Wb"}


def test_the_network_of_depth_d_is_the_deepest_one_cut_after_layer_d(source_nb, deep_params):
    """initialize draws layer after layer from one generator, so the learner's network of depth D is the deepest
    network's first D layers; and Z_1..Z_D do not depend on the layers after. The claims below measure every D so."""
    for depth in (D_LOW,):
        s = _settings_of(source_nb, depth)
        for case, (init, _) in DEPTH_CASES.items():
            mine = initialize(s["DEEP_DIMS"], np.random.default_rng(s["SEED"]), **INITS[init])
            cut = _first_layers(deep_params[case], depth)
            assert mine.keys() == cut.keys() and all(np.array_equal(mine[k], cut[k]) for k in mine), (case, depth)


@pytest.fixture(scope="module")
def profiles(settings, deep_params) -> dict[str, np.ndarray]:
    """The notebook's DEPTH_CASES on the reference at the deepest variant: std(Z_l) for l = 1..50 (for depth D, the
    first D entries)."""
    s = settings
    return {
        case: std_profile(deep_params[case], s["X_deep"], [activation] * s["DEPTH"])
        for case, (_, activation) in DEPTH_CASES.items()
    }


@pytest.fixture(scope="module")
def forward_by_depth(profiles) -> dict[str, dict[int, np.ndarray]]:
    """case -> D -> std(Z_l) for l = 1..D, for every depth D of the range: Part 4's profile of a learner of depth D."""
    return {case: {depth: profile[:depth] for depth in EVERY_D} for case, profile in profiles.items()}


@pytest.fixture(scope="module")
def by_depth(settings, deep_params, profiles) -> dict[str, dict[int, tuple[np.ndarray, np.ndarray]]]:
    """case -> D -> (std(Z_l), ||dZ_l|| for l = 1..D with dA_D = dA_deep) for the depths SOME_D: the profiles of the
    notebook's Parts 4 and 5 for a learner whose own depth is D."""
    s = settings
    return {
        case: {
            depth: (
                profiles[case][:depth],
                grad_norm_profile(_first_layers(deep_params[case], depth), s["X_deep"], [activation] * depth,
                                  s["dA_deep"]),
            )
            for depth in SOME_D
        }
        for case, (_, activation) in DEPTH_CASES.items()
    }


def _ratio(profile: np.ndarray) -> float:
    return float(profile[-1] / profile[0])


def _median_variance_factor(profile: np.ndarray) -> float:
    return float(np.median((profile[1:] / profile[:-1]) ** 2))


def _forward(forward_by_depth, case: str) -> dict[int, float]:
    """D -> std(Z_D) / std(Z_1) of ``case``, for every D."""
    return {depth: _ratio(profile) for depth, profile in forward_by_depth[case].items()}


@pytest.mark.parametrize("case", ["He, relu", "He (slope 0.01), leaky_relu"])
def test_he_keeps_the_scale_within_a_factor_of_3_with_a_variance_factor_near_1(forward_by_depth, case):
    for depth, profile in forward_by_depth[case].items():
        assert 1 / 3 < _ratio(profile) < 3, depth
        assert 0.9 < _median_variance_factor(profile) < 1.1, depth


def test_xavier_on_relu_halves_the_variance_per_layer_and_ends_between_1e_7_and_1e_5_times_smaller(forward_by_depth):
    for depth, profile in forward_by_depth["Xavier, relu"].items():
        assert 0.45 < _median_variance_factor(profile) < 0.55, depth
        assert 1e-7 < _ratio(profile) < 1e-5, depth
    assert ANSWERS["q_xavier_relu_variance_factor"].expected == "b"  # (b) 1/2


def test_xavier_on_relu_is_he_times_2_to_the_minus_d_minus_1_over_2_exactly_forward_and_backward(
    forward_by_depth, by_depth, deep_params
):
    """q_xavier_relu_shrink: on square layers Xavier's weights are He's divided by sqrt(2), draw for draw, and ReLU is
    positively homogeneous, so Z_l of Xavier is Z_l of He times 2^(-l/2), and dZ_l likewise from the top: the ratio of
    the two ratios is (1/2)^((D - 1)/2) to rounding, not only on average."""
    xavier_W1, he_W1 = deep_params["Xavier, relu"]["W1"], deep_params["He, relu"]["W1"]
    np.testing.assert_allclose(xavier_W1 * np.sqrt(2), he_W1, rtol=1e-12)
    for depth in EVERY_D:
        he, xavier = forward_by_depth["He, relu"][depth], forward_by_depth["Xavier, relu"][depth]
        assert _ratio(xavier) / _ratio(he) == pytest.approx(0.5 ** ((depth - 1) / 2), rel=1e-9), depth
    for depth in SOME_D:
        he_grads, xavier_grads = by_depth["He, relu"][depth][1], by_depth["Xavier, relu"][depth][1]
        exact = 0.5 ** ((depth - 1) / 2)
        assert _grad_ratio(xavier_grads) / _grad_ratio(he_grads) == pytest.approx(exact, rel=1e-9), depth


@pytest.mark.parametrize("depth", [D_LOW, D_HIGH])
def test_the_xavier_he_identity_holds_for_any_seed_not_only_the_notebooks(settings, depth):
    s = settings
    dims = [s["WIDTH"]] * (depth + 1)
    for seed in range(3):
        X = np.random.default_rng(100 + seed).standard_normal((s["WIDTH"], s["BATCH"]))
        he = std_profile(initialize(dims, np.random.default_rng(seed), **INITS["He"]), X, ["relu"] * depth)
        xavier = std_profile(initialize(dims, np.random.default_rng(seed), **INITS["Xavier"]), X, ["relu"] * depth)
        assert _ratio(xavier) / _ratio(he) == pytest.approx(0.5 ** ((depth - 1) / 2), rel=1e-9), seed


def test_tanh_with_gain_1_fades_to_about_a_tenth(forward_by_depth):
    assert all(0.09 < ratio < 0.12 for ratio in _forward(forward_by_depth, "Xavier (gain 1), tanh").values())
    assert ANSWERS["q_tanh_gain_one_ratio"].expected == "b"  # (b) 0.1


@pytest.mark.parametrize("case", ["Xavier (gain 5/3), tanh", "orthogonal (gain 5/3), tanh"])
def test_tanh_with_gain_5_3_stays_of_order_1(forward_by_depth, case):
    assert all(1 / 3 < ratio < 3 for ratio in _forward(forward_by_depth, case).values())


def test_an_orthogonal_linear_network_keeps_the_length_of_every_column_and_the_std_to_five_decimals(
    settings, forward_by_depth
):
    s = settings
    params = initialize(s["DEEP_DIMS"], np.random.default_rng(s["SEED"]), **INITS["orthogonal"])
    _, cache = forward(params, s["X_deep"], ["linear"] * s["DEPTH"])
    for l in range(1, s["DEPTH"] + 1):  # every depth's last layer
        np.testing.assert_allclose(np.linalg.norm(cache.Z[l], axis=0), np.linalg.norm(s["X_deep"], axis=0), rtol=1e-10)
    assert all(abs(ratio - 1) < 1e-4 for ratio in _forward(forward_by_depth, "orthogonal (gain 1), linear").values())


# --- Part 4's answer that depends on D: q_xavier_relu_shrink ---------------------------------------------------------

SHRINK_MISTAKES = {
    "D halvings instead of D - 1": lambda depth: 0.5 ** (depth / 2),
    "the std halved at every layer": lambda depth: 0.5 ** (depth - 1),
    "a classmate's 50-layer table": lambda depth: 1.12e-07,
}
"""The wrong answers of mistakes.py that are formulas of D (or none): refused for every D."""


def test_the_notebook_prints_each_ratio_to_3_significant_digits(source_nb):
    """The depth cell prints std(Z_D) / std(Z_1) of every case so, the table q_xavier_relu_shrink is read off."""
    depth_cell = [cell.source for cell in source_nb.cells if "DEPTH_CASES = {" in cell.source]
    assert len(depth_cell) == 1 and "ratio {profile[-1] / profile[0]:.3g}" in depth_cell[0]


@pytest.mark.parametrize("depth", EVERY_D)
def test_the_shrink_answer_is_the_solutions_formula_and_what_the_learners_table_gives(
    source_nb, forward_by_depth, depth
):
    """The key's lambda = the solution's formula of DEPTH = Xavier's printed ratio over He's printed ratio (3
    significant digits each), within rel_tol, for every D; the neighbours' answers and the mistakes are refused."""
    expected = ANSWERS["q_xavier_relu_shrink"].expected({"depth": depth})
    assert expected == 0.5 ** ((depth - 1) / 2)
    namespace = {"DEPTH": depth}
    exec(solution_sources(source_nb)["q_shrink_answer"], namespace)
    check_answer(ANSWERS, "q_xavier_relu_shrink", namespace["q_xavier_relu_shrink"], {"depth": depth})
    xavier, he = (float(f"{_ratio(forward_by_depth[case][depth]):.3g}") for case in ("Xavier, relu", "He, relu"))
    check_answer(ANSWERS, "q_xavier_relu_shrink", xavier / he, {"depth": depth})
    wrong = {
        "the deeper neighbour's": 0.5 ** (depth / 2),
        "the shallower neighbour's": 0.5 ** ((depth - 2) / 2),
        "Xavier's ratio alone": _ratio(forward_by_depth["Xavier, relu"][depth]),
        **{name: mistake(depth) for name, mistake in SHRINK_MISTAKES.items()},
    }
    for name, value in wrong.items():
        with pytest.raises(AssertionError, match=f"your D = {depth} layers"):
            check_answer(ANSWERS, "q_xavier_relu_shrink", value, {"depth": depth})
            pytest.fail(f"{name} ({value:.4g}) was accepted for D = {depth}")


# --- Part 5: the backward pass --------------------------------------------------------------------------------------


def test_xavier_assumes_an_activation_that_is_the_identity_near_0_which_tanh_is_and_sigmoid_is_not():
    """g(0) = 0 and g'(0) = 1 for tanh; sigmoid(0) = 1/2 and sigmoid'(0) = 1/4."""
    zero, one = np.zeros(1), np.ones(1)
    tanh, sig = get_activation("tanh"), get_activation("sigmoid")
    assert tanh.forward(zero)[0] == 0 and tanh.backward(one, zero)[0] == 1
    assert sig.forward(zero)[0] == 0.5 and sig.backward(one, zero)[0] == 0.25


def test_he_in_fan_out_mode_divides_by_n_l():
    """Part 5's aside: kaiming_normal_(mode="fan_out") has std gain / sqrt(n_l), here on a 100 -> 400 layer."""
    W = he_normal((400, 100), np.random.default_rng(0), mode="fan_out")
    assert abs(W.std() / np.sqrt(2 / 400) - 1) < 0.02


def test_through_one_layer_fan_in_keeps_the_forward_variance_fan_out_the_backward_and_xavier_splits_them(settings):
    """The notebook's one-layer cell, draw for draw: 1/sqrt(n_(l-1)) gives (1, 4), 1/sqrt(n_l) gives (0.25, 1) and
    Xavier (0.4, 1.6) for the forward and backward variance factors, each to 2 decimals as printed (within 0.05)."""
    s = settings
    n_in, n_out, m = s["FAN_IN"], s["FAN_OUT"], s["LAYER_BATCH"]
    assert (n_in, n_out) == (100, 400)
    rng = np.random.default_rng(s["SEED"])
    X, dZ = rng.standard_normal((n_in, m)), rng.standard_normal((n_out, m))
    expected = {1 / np.sqrt(n_in): (1.0, 4.0), 1 / np.sqrt(n_out): (0.25, 1.0), np.sqrt(2 / (n_in + n_out)): (0.4, 1.6)}
    for std, (forward_factor, backward_factor) in expected.items():
        W = rng.standard_normal((n_out, n_in)) * std
        assert abs(np.var(W @ X) / np.var(X) - forward_factor) < 0.05 * max(1, forward_factor)
        assert abs(np.var(W.T @ dZ) / np.var(dZ) - backward_factor) < 0.05 * max(1, backward_factor)
    assert ANSWERS["q_backward_weight_std"].expected == "b"  # (b) 1/sqrt(400)


def _grad_ratio(norms: np.ndarray) -> float:
    """||dZ_1|| / ||dZ_L||: how much the gradient grew on its way down."""
    return float(norms[0] / norms[-1])


def _growth_per_layer(norms: np.ndarray) -> float:
    return float(np.median(norms[:-1] / norms[1:]))


def _backward(by_depth, case: str) -> dict[int, float]:
    """D -> ||dZ_1|| / ||dZ_D|| of ``case``."""
    return {depth: _grad_ratio(grads) for depth, (_, grads) in by_depth[case].items()}


@pytest.mark.parametrize("case", ["He, relu", "He (slope 0.01), leaky_relu"])
def test_he_keeps_the_gradient_within_a_factor_of_3_on_its_way_down(by_depth, case):
    assert all(1 / 3 < ratio < 3 for ratio in _backward(by_depth, case).values())


def test_the_orthogonal_linear_network_keeps_the_gradient_norm_exactly(by_depth):
    for _, norms in by_depth["orthogonal (gain 1), linear"].values():
        np.testing.assert_allclose(norms, norms[-1], rtol=1e-10)


def test_xavier_on_relu_makes_the_gradient_vanish_as_it_made_the_signal_vanish(by_depth, forward_by_depth):
    assert all(ratio < 1e-5 for ratio in _backward(by_depth, "Xavier, relu").values())
    assert all(ratio < 1e-5 for ratio in _forward(forward_by_depth, "Xavier, relu").values())


def test_tanh_with_gain_1_lets_the_gradient_fade_about_7_to_8_times_as_well_as_the_signal(by_depth, forward_by_depth):
    assert all(1 / 8.5 < ratio < 1 / 6.5 for ratio in _backward(by_depth, "Xavier (gain 1), tanh").values())
    assert all(ratio < 0.3 for ratio in _forward(forward_by_depth, "Xavier (gain 1), tanh").values())


@pytest.mark.parametrize("case", ["Xavier (gain 5/3), tanh", "orthogonal (gain 5/3), tanh"])
def test_tanh_with_gain_5_3_keeps_the_forward_signal_but_the_gradient_grows_30_to_85_times(by_depth, case):
    """The old claim, "tanh needs the gain 5/3 to keep the scale", holds forward only: backward, the gradient does not
    stay of order 1 but grows by about 10% per layer (about 1.2 in variance), 30 to 85 times over 40 to 50 layers,
    the more the deeper: about 80 times at 50 layers."""
    for depth, (forward_profile, norms) in by_depth[case].items():
        assert 1 / 3 < _ratio(forward_profile) < 3, depth  # forward: of order 1
        assert not 1 / 3 < _grad_ratio(norms) < 3, depth  # backward: not of order 1 ...
        assert 30 < _grad_ratio(norms) < 85, depth  # ... 30 to 85 times larger at layer 1: (c) "more than 10"
        assert 1.08 < _growth_per_layer(norms) < 1.12, depth
        assert 1.15 < float(np.median((norms[:-1] / norms[1:]) ** 2)) < 1.25, depth
    ratios = _backward(by_depth, case)
    assert ratios[D_HIGH] > 2 * ratios[D_LOW] and 75 < ratios[50] < 85
    assert ANSWERS["q_tanh_gain_5_3_gradient_ratio"].expected == "c"  # (c) more than 10


def test_the_gradient_growth_with_gain_5_3_is_75_to_95_over_ten_seeds_at_50_layers(settings):
    """The factor depends on the seed: X, the weights and dA_50 drawn from default_rng(seed), seeds 0..9."""
    s = settings
    assert s["DEPTH"] == 50
    ratios = []
    for seed in range(10):
        rng = np.random.default_rng(seed)
        X = rng.standard_normal((s["WIDTH"], s["BATCH"]))
        params = initialize(s["DEEP_DIMS"], rng, **INITS["Xavier (gain 5/3)"])
        dA = rng.standard_normal((s["WIDTH"], s["BATCH"]))
        ratios.append(_grad_ratio(grad_norm_profile(params, X, ["tanh"] * s["DEPTH"], dA)))
    assert min(ratios) > 75 and max(ratios) < 95, ratios


@pytest.mark.parametrize("case", ["Xavier (gain 5/3), tanh", "orthogonal (gain 5/3), tanh"])
def test_with_gain_5_3_the_activations_stay_of_order_1_and_dW_1_is_45_to_130_times_dW_d(settings, deep_params, case):
    s = settings
    _, cache = forward(deep_params[case], s["X_deep"], ["tanh"] * s["DEPTH"])
    assert all(0.3 < cache.A[l].std() < 1 for l in range(1, s["DEPTH"]))
    for depth in SOME_D:
        params = _first_layers(deep_params[case], depth)
        dZ = pre_activation_grads(params, s["X_deep"], ["tanh"] * depth, s["dA_deep"])
        dW = [np.linalg.norm(dZ[l] @ cache.A[l - 1].T) for l in (1, depth)]
        assert 45 < dW[0] / dW[1] < 130, depth


@pytest.fixture(scope="module")
def tanh_gains(settings, by_depth) -> dict[float, dict[int, tuple[float, float, float]]]:
    """The notebook's gain sweep: gain -> D -> (forward ratio, backward ratio, median growth per layer), for the
    depths SOME_D (gains 1 and 5/3 are Part 4's cases)."""
    s = settings
    out = {}
    for gain in s["TANH_GAINS"]:
        case = {1.0: "Xavier (gain 1), tanh", 5 / 3: "Xavier (gain 5/3), tanh"}.get(gain)
        if case is not None:
            runs = by_depth[case]
        else:
            params = initialize(s["DEEP_DIMS"], np.random.default_rng(s["SEED"]), "xavier_normal", gain=gain)
            forward_profile = std_profile(params, s["X_deep"], ["tanh"] * s["DEPTH"])
            runs = {
                depth: (forward_profile[:depth], grad_norm_profile(_first_layers(params, depth), s["X_deep"],
                                                                   ["tanh"] * depth, s["dA_deep"]))
                for depth in SOME_D
            }
        out[gain] = {depth: (_ratio(f), _grad_ratio(b), _growth_per_layer(b)) for depth, (f, b) in runs.items()}
    return out


def test_raising_the_tanh_gain_keeps_more_of_the_forward_signal_and_makes_the_gradient_grow_more(tanh_gains):
    """From gain 1 to 5/3 the forward ratio rises from 0.1 to 0.66, the backward one from 0.13 to 30 or more (80 at
    50 layers)."""
    gains = sorted(tanh_gains)
    assert gains[0] == 1.0 and gains[-1] == pytest.approx(5 / 3)
    for depth in SOME_D:
        forward_ratios = [tanh_gains[g][depth][0] for g in gains]
        backward_ratios = [tanh_gains[g][depth][1] for g in gains]
        assert forward_ratios == sorted(forward_ratios) and backward_ratios == sorted(backward_ratios), depth
        assert 0.09 < forward_ratios[0] < 0.12 and 0.64 < forward_ratios[-1] < 0.68, depth
        assert 0.12 < backward_ratios[0] < 0.15 and 30 < backward_ratios[-1] < 85, depth
    assert 75 < tanh_gains[gains[-1]][50][1] < 85


def test_gain_1_2_keeps_both_passes_within_a_factor_of_3_but_its_gradient_still_grows_about_2_percent_per_layer(
    tanh_gains,
):
    for depth, (forward_ratio, backward_ratio, growth) in tanh_gains[1.2].items():
        assert 1 / 3 < forward_ratio < 3 and 1 / 3 < backward_ratio < 3, depth
        assert 1.01 < growth < 1.03, depth


# --- Part 6: saturation ---------------------------------------------------------------------------------------------


def test_beyond_5_a_sigmoid_is_within_0_007_of_0_or_1_with_derivative_below_0_007():
    s = float(sigmoid(np.array(5.0)))
    assert 1 - s < 0.007 and s * (1 - s) < 0.007


@pytest.fixture(scope="module")
def saturated(settings) -> dict[str, list[float]]:
    s = settings
    dims = s["SIGMOID_DIMS"]
    out = {}
    for name in ("normal x 10", "Xavier"):
        params = initialize(dims, np.random.default_rng(s["SEED"]), **INITS[name])
        _, cache = forward(params, s["X_train"], ["sigmoid"] * (len(dims) - 1))
        out[name] = [float(np.mean(np.abs(cache.Z[l]) > 5)) for l in range(1, len(dims) - 1)]
    return out


def test_normal_x_10_saturates_more_than_8_in_10_entries_of_z_in_layers_2_to_4(saturated):
    """The fraction the notebook prints and asks about: entries of Z_l (unit and example pairs) with |z| > 5."""
    assert all(fraction > 0.8 for fraction in saturated["normal x 10"][1:])
    assert ANSWERS["q_sigmoid_saturated_fraction"].expected == "c"


def test_xavier_saturates_no_entry_of_z(saturated):
    assert saturated["Xavier"] == [0.0] * len(saturated["Xavier"])


# --- Part 7: biases -------------------------------------------------------------------------------------------------

BIASES = {
    "0": lambda shape, rng: np.zeros(shape),
    "0.01": lambda shape, rng: np.full(shape, 0.01),
    "N(0, 1)": lambda shape, rng: rng.standard_normal(shape),
}


def _dead_fraction(params, X) -> float:
    L = len(params) // 2
    acts = ["relu"] * (L - 1) + ["sigmoid"]
    dead = sum(len(dead_units(params, X, acts, l)) for l in range(1, L))
    return dead / sum(params[f"W{l}"].shape[0] for l in range(1, L))


@pytest.fixture(scope="module")
def bias_runs(settings) -> dict[str, dict]:
    """The notebook's bias experiment on the reference: starts, trained networks, dead fractions, accuracies on the
    training set and on the held-out test set."""
    s = settings
    dims = s["RELU_DIMS"]
    acts = ["relu"] * (len(dims) - 2) + ["sigmoid"]
    runs = {}
    for name, biases in BIASES.items():
        starts = []
        for seed in s["BIAS_SEEDS"]:
            params = initialize(dims, np.random.default_rng(seed), "he_normal")
            bias_rng = np.random.default_rng(1000 + seed)
            for l in range(1, len(dims)):
                params[f"b{l}"] = biases((dims[l], 1), bias_rng)
            starts.append(params)
        trained = [
            train(p, s["X_train"], s["Y_train"], activations=acts, loss="bce", lr=s["LR"], steps=s["STEPS"])[0]
            for p in starts
        ]
        runs[name] = {
            "starts": starts,
            "trained": trained,
            "dead_start": float(np.mean([_dead_fraction(p, s["X_train"]) for p in starts])),
            "dead_after": float(np.mean([_dead_fraction(p, s["X_train"]) for p in trained])),
            "accuracy": [accuracy(p, s["X_train"], s["Y_train"], acts) for p in trained],
            "test_accuracy": [accuracy(p, s["X_test"], s["Y_test"], acts) for p in trained],
        }
    return runs


def test_the_solution_dead_fraction_is_the_reference_one(notebook, bias_runs, settings):
    for run in bias_runs.values():
        for params in run["starts"] + run["trained"]:
            assert notebook["dead_relu_fraction"](params, settings["X_train"]) == _dead_fraction(
                params, settings["X_train"]
            )


def test_zero_and_0_01_biases_leave_7_to_8_percent_dead_within_a_percentage_point(bias_runs):
    zero, small = bias_runs["0"]["dead_start"], bias_runs["0.01"]["dead_start"]
    assert 0.07 <= zero < 0.085 and 0.07 <= small < 0.085
    assert abs(zero - small) < 0.01
    assert ANSWERS["q_small_bias_helps"].expected is False


def test_normal_biases_leave_about_a_quarter_dead_three_times_as_many(bias_runs):
    normal = bias_runs["N(0, 1)"]["dead_start"]
    assert 0.2 <= normal <= 0.3
    assert normal >= 3 * bias_runs["0"]["dead_start"]
    assert max(bias_runs, key=lambda name: bias_runs[name]["dead_start"]) == "N(0, 1)"
    assert ANSWERS["q_most_dead_bias"].expected == "c"


def test_after_training_most_units_dead_from_normal_biases_stay_dead_and_every_net_fits_circles(bias_runs):
    """... and classifies the 200 held-out test points without error too: on circles the dead units cost no
    accuracy."""
    normal = bias_runs["N(0, 1)"]
    assert normal["dead_after"] >= 0.75 * normal["dead_start"]
    assert normal["dead_after"] > 2 * bias_runs["0"]["dead_after"]
    assert abs(bias_runs["0.01"]["dead_after"] - bias_runs["0"]["dead_after"]) < 0.01  # 0.01 changed nothing
    assert all(acc == 1.0 for run in bias_runs.values() for acc in run["accuracy"])
    assert all(acc == 1.0 for run in bias_runs.values() for acc in run["test_accuracy"])


def test_the_test_points_are_held_out(settings):
    """No test point is a training point: the held-out set is drawn with another seed (and another size)."""
    X_train, X_test = settings["X_train"], settings["X_test"]
    distances = np.linalg.norm(X_train[:, :, None] - X_test[:, None, :], axis=0)
    assert X_test.shape == (2, 200) and distances.min() > 1e-6


def test_a_dead_unit_of_the_first_layer_never_comes_back(settings, bias_runs):
    """Its row of W1 and its bias receive zero gradient at every step: they end exactly as they started."""
    X = settings["X_train"]
    seen = 0
    for start, trained in zip(bias_runs["N(0, 1)"]["starts"], bias_runs["N(0, 1)"]["trained"], strict=True):
        dead = dead_units(start, X, ["relu", "relu", "relu", "relu", "sigmoid"], 1)
        seen += len(dead)
        assert np.array_equal(trained["W1"][dead], start["W1"][dead])
        assert np.array_equal(trained["b1"][dead], start["b1"][dead])
    assert seen > 0


def test_without_the_sign_step_every_q_of_numpys_qr_has_a_negative_corner():
    """Part 3's reason for multiplying by sign(diag(R)): np.linalg.qr alone always gives Q[0, 0] < 0."""
    rng = np.random.default_rng(0)
    assert all(np.linalg.qr(rng.standard_normal((n, n)))[0][0, 0] < 0 for n in (2, 4, 16, 64) for _ in range(25))
