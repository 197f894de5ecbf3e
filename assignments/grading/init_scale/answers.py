"""The answer key of ``init_scale``: what the depth (forward and backward), saturation and bias experiments show,
each proved on the reference by test_claims.py beside this file."""

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
        "variance, less and less as the signal gets smaller: the std decays slowly (about ten times over the 40 to 50 "
        "layers of your network), not exponentially as with Xavier on ReLU. The gain 5/3 makes up for the flattening "
        "in the forward pass (Part 5 shows what it costs on the way back)",
        {"c": "that collapse is Xavier on ReLU (a factor 1/2 of variance per layer); tanh with gain 1 decays slowly"},
    ),
    "q_xavier_relu_shrink": Answer(
        "number",
        lambda p: 0.5 ** ((p["depth"] - 1) / 2),
        "with your D = {depth} layers, {depth} - 1 layers lead from Z_1 to Z_{depth}, and with Xavier on ReLU each of "
        "them multiplies the variance by 1/2 where He keeps it: Xavier's std ratio is He's times (1/2) to the power "
        "({depth} - 1) / 2 (half the exponent of the variance, for a std). Divide the two ratios your table prints to "
        "check it",
        rel_tol=0.02,
    ),
    "q_backward_weight_std": Answer(
        "letter",
        "b",
        "each entry of W^T dZ sums the n_l = 400 units of the layer (its fan-out), so Var(W^T dZ) = n_l Var(w) "
        "Var(dZ): the backward variance stays the same when Var(w) = 1 / n_l, a std of 1/sqrt(400). The cell of Part 5 "
        "prints both factors for each std",
        {
            "a": "1/sqrt(n_(l-1)) = 1/sqrt(100) keeps the forward variance (each entry of W X sums 100 inputs); "
            "backward it multiplies the variance by n_l / n_(l-1) = 4",
            "c": "Xavier's sqrt(2 / (n_(l-1) + n_l)) is the compromise between the two passes: when the fans differ it "
            "keeps neither exactly (about 0.4 forward and 1.6 backward here)",
        },
        choices="abc",
    ),
    "q_tanh_gain_5_3_gradient_ratio": Answer(
        "letter",
        "c",
        "on the way back every tanh layer multiplies the gradient's variance by about n_l Var(w) E[tanh'(z)^2] = "
        "gain^2 E[tanh'(z)^2] (square layers); with gain 5/3 the z stay of order 1 and this factor is about 1.2 (about "
        "1.1 for the norm), so over the 40 to 50 layers of your network the gradient grows 30 to 85 times. Read the "
        "backward column of the table",
        {
            "a": "about 1 is the forward ratio std(Z_D) / std(Z_1) of gain 5/3 (0.66); the backward ratio "
            "||dZ_1|| / ||dZ_D|| is another number: the gain that keeps the forward pass does not keep the backward "
            "one",
            "b": "the gradient fades (to about 0.13) with gain 1, not with 5/3",
            "d": "a collapse by 1e-8 is Xavier on ReLU, forward and backward; tanh with gain 5/3 goes the other way",
        },
    ),
    "q_sigmoid_saturated_fraction": Answer(
        "letter",
        "c",
        "with weights of std 10 a unit of layer 2 sums 64 inputs in [0, 1]: its z has a std of about 10 * sqrt(32), "
        "far beyond |z| = 5, where sigmoid'(z) < 0.007. The experiment prints, per layer, the fraction of the entries "
        "of Z_l (one per unit and example) with |z| > 5",
        choices="abc",
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
