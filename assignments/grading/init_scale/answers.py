"""The answer key of ``init_scale``: what the depth, saturation and bias experiments show, each proved on the
reference by test_claims.py beside this file."""

from __future__ import annotations

from grader.checks import Answer

ANSWERS: dict[str, Answer] = {
    "q_xavier_relu_variance_factor": Answer(
        "letter",
        "b",
        "Var(z) = n_(l-1) Var(w) E[a^2], and a ReLU keeps half of the second moment: E[a^2] = Var(z_prev) / 2. "
        "With Xavier on a square layer Var(w) = 2 / (n + n) = 1 / n, so Var(Z_l) = Var(Z_(l-1)) / 2 at every layer "
        "(the std shrinks by 1/sqrt(2)); He's Var(w) = 2 / n makes up for the half",
        {"c": "1/sqrt(2) is the factor of the standard deviation; the question asks about the variance"},
    ),
    "q_tanh_gain_one_ratio": Answer(
        "letter",
        "b",
        "tanh is close to the identity near 0 but flattens away from it, so with gain 1 every layer loses a little "
        "variance, less and less as the signal gets smaller: the std decays slowly (about ten times over 50 layers), "
        "not exponentially as with Xavier on ReLU. The gain 5/3 makes up for the flattening",
        {"c": "that collapse is Xavier on ReLU (a factor 1/2 of variance per layer); tanh with gain 1 decays slowly"},
    ),
    "q_sigmoid_saturated_fraction": Answer(
        "letter",
        "c",
        "with weights of std 10 a unit of layer 2 sums 64 inputs in [0, 1]: its z has a std of about 10 * sqrt(32), "
        "far beyond |z| = 5, where sigmoid'(z) < 0.007. The experiment prints the saturated fraction per layer",
    ),
    "q_most_dead_bias": Answer(
        "letter",
        "c",
        "a unit is dead when w.a + b <= 0 on every example; with He weights w.a has a std of about 1, so a bias "
        "drawn from N(0, 1) is often negative enough to switch a unit off for every input, while 0 and 0.01 hardly "
        "move the threshold. Compare the dead fractions the experiment prints",
    ),
    "q_small_bias_helps": Answer(
        "bool",
        False,
        "0.01 is a hundredth of the spread of w.a under He init, so it moves almost no unit across its threshold: the "
        "dead fraction with 0.01 is within a percentage point of the one with 0 (the experiment prints both)",
    ),
}
