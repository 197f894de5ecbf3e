"""Every claim init_scale makes about its experiments, proved on reference/ with the notebook's own settings.

The settings are read from the notebook's locked ``settings`` cell, and the notebook's given and solution inits are
shown to draw exactly what reference.init draws, so what holds here holds for the learner's run with a correct
solution.
"""

from __future__ import annotations

import numpy as np
import pytest

from grader.submissions import cell_source, solution_sources
from reference.activations import sigmoid
from reference.experiments import std_profile
from reference.init import initialize
from reference.network import accuracy, forward
from reference.symmetry import dead_units
from reference.train import train

from .answers import ANSWERS


@pytest.fixture(scope="module")
def notebook(source_nb) -> dict:
    """The notebook's given inits and its solutions, run in one namespace."""
    namespace = {"np": np, "forward": forward}
    exec(cell_source(source_nb, "given_inits"), namespace)
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


# --- Part 4: depth --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def profiles(settings) -> dict[str, np.ndarray]:
    """The notebook's DEPTH_CASES on the reference: std(Z_l) for l = 1..50."""
    s = settings
    cases = {
        "He, relu": ("He", "relu"),
        "Xavier, relu": ("Xavier", "relu"),
        "He (slope 0.01), leaky_relu": ("He (slope 0.01)", "leaky_relu"),
        "Xavier (gain 1), tanh": ("Xavier", "tanh"),
        "Xavier (gain 5/3), tanh": ("Xavier (gain 5/3)", "tanh"),
        "orthogonal (gain 5/3), tanh": ("orthogonal (gain 5/3)", "tanh"),
        "orthogonal (gain 1), linear": ("orthogonal", "linear"),
    }
    out = {}
    for case, (init, activation) in cases.items():
        params = initialize(s["DEEP_DIMS"], np.random.default_rng(s["SEED"]), **INITS[init])
        out[case] = std_profile(params, s["X_deep"], [activation] * s["DEPTH"])
    return out


def _ratio(profile: np.ndarray) -> float:
    return float(profile[-1] / profile[0])


def _median_variance_factor(profile: np.ndarray) -> float:
    return float(np.median((profile[1:] / profile[:-1]) ** 2))


@pytest.mark.parametrize("case", ["He, relu", "He (slope 0.01), leaky_relu"])
def test_he_keeps_the_scale_within_a_factor_of_3_with_a_variance_factor_near_1(profiles, case):
    assert 1 / 3 < _ratio(profiles[case]) < 3
    assert 0.9 < _median_variance_factor(profiles[case]) < 1.1


def test_xavier_on_relu_halves_the_variance_per_layer_and_ends_about_1e_7_smaller(profiles):
    assert 0.45 < _median_variance_factor(profiles["Xavier, relu"]) < 0.55
    assert 1e-8 < _ratio(profiles["Xavier, relu"]) < 1e-6
    assert ANSWERS["q_xavier_relu_variance_factor"].expected == "b"  # (b) 1/2


def test_tanh_with_gain_1_fades_to_about_a_tenth(profiles):
    assert 0.03 < _ratio(profiles["Xavier (gain 1), tanh"]) < 0.3
    assert ANSWERS["q_tanh_gain_one_ratio"].expected == "b"  # (b) 0.1


@pytest.mark.parametrize("case", ["Xavier (gain 5/3), tanh", "orthogonal (gain 5/3), tanh"])
def test_tanh_with_gain_5_3_stays_of_order_1(profiles, case):
    assert 1 / 3 < _ratio(profiles[case]) < 3


def test_an_orthogonal_linear_network_keeps_the_length_of_every_column_and_the_std_to_five_decimals(settings, profiles):
    s = settings
    params = initialize(s["DEEP_DIMS"], np.random.default_rng(s["SEED"]), **INITS["orthogonal"])
    _, cache = forward(params, s["X_deep"], ["linear"] * s["DEPTH"])
    np.testing.assert_allclose(np.linalg.norm(cache.Z[-1], axis=0), np.linalg.norm(s["X_deep"], axis=0), rtol=1e-10)
    assert abs(_ratio(profiles["orthogonal (gain 1), linear"]) - 1) < 1e-4


# --- Part 5: saturation ---------------------------------------------------------------------------------------------


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


def test_normal_x_10_saturates_more_than_8_in_10_units_of_layers_2_to_4(saturated):
    assert all(fraction > 0.8 for fraction in saturated["normal x 10"][1:])
    assert ANSWERS["q_sigmoid_saturated_fraction"].expected == "c"


def test_xavier_saturates_no_sigmoid_unit(saturated):
    assert saturated["Xavier"] == [0.0] * len(saturated["Xavier"])


# --- Part 6: biases -------------------------------------------------------------------------------------------------

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
    """The notebook's bias experiment on the reference: starts, trained networks, dead fractions, accuracies."""
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
    normal = bias_runs["N(0, 1)"]
    assert normal["dead_after"] >= 0.75 * normal["dead_start"]
    assert normal["dead_after"] > 2 * bias_runs["0"]["dead_after"]
    assert abs(bias_runs["0.01"]["dead_after"] - bias_runs["0"]["dead_after"]) < 0.01  # 0.01 changed nothing
    assert all(acc == 1.0 for run in bias_runs.values() for acc in run["accuracy"])


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
