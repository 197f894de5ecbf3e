"""The answer key of ``backprop``: what the experiments on finite differences and on equal weights show, each proved
on the reference by test_claims.py beside this file. q_missing_m_relative_difference depends on the learner's own
m (variants.py): it is judged against the owner's."""

from __future__ import annotations

from grader.checks import Answer

ANSWERS: dict[str, Answer] = {
    "q_centered_error_factor": Answer(
        "letter",
        "c",
        "the centered difference (f(x + eps) - f(x - eps)) / (2 eps) cancels the eps f''/2 term of the Taylor "
        "series, so its error is about eps^2 f'''/6: dividing eps by 10 divides the error by 100, as long as "
        "round-off (about 1e-16 |f| / eps) stays smaller. Read the slope of the centered curve in the log-log plot",
        {"b": "that is how the one-sided difference behaves; the centered one cancels its eps f''/2 term"},
    ),
    "q_one_sided_error_factor": Answer(
        "letter",
        "b",
        "the one-sided difference (f(x + eps) - f(x)) / eps is off by about eps f''/2, proportional to eps: "
        "dividing eps by 10 divides the error by 10 (slope 1 in the log-log plot)",
        {"c": "that is how the centered difference behaves; the one-sided one keeps the eps f''/2 term"},
    ),
    "q_best_eps_exponent": Answer(
        "int",
        5,
        "the centered error is the truncation error, about eps^2 |f'''| / 6, plus round-off, about 1e-16 |f| / eps: "
        "the first falls and the second grows as eps shrinks, so their sum is smallest where they meet, near the "
        "cube root of machine epsilon (6e-6 in float64). Find the smallest centered number in the table (the lowest "
        "point of the centered curve) and write k for its eps = 10^-k",
        {
            12: "the smallest step is not the most accurate: round-off, about 1e-16 |f| / eps, grows as eps shrinks, "
            "and the centered curve rises again on the left",
            7: "1e-7 is a popular step, and where one-sided differences do best (near the square root of machine "
            "epsilon), but for centered differences round-off already dominates at 1e-7: their error there is about "
            "100 times its minimum",
            1: "the largest step has the largest truncation error, about eps^2 |f'''| / 6",
        },
    ),
    "q_missing_m_relative_difference": Answer(
        "number",
        lambda p: (p["m"] - 1) / (p["m"] + 1),
        "with your m = {m} examples, finite differences approximate the true gradient g, and your gradients are m g: "
        "||m g - g|| / (||m g|| + ||g||) = (m - 1) / (m + 1), the same for every parameter and close to 1 whatever "
        "the network, so a gradient check cannot miss a forgotten 1/m. Run Experiment 3 with your own P[\"m\"] and "
        "copy the relative difference it prints, with its 4 decimals",
        # A printed value is off by at most 5e-5, 5.5e-5 relatively at m = 21; the answers of m and m + 1 differ by
        # 2.0e-4 relatively at m = 100 (test_claims.py): a classmate's answer is never right for another m.
        rel_tol=1e-4,
    ),
    "q_equal_init_rows_stay_equal": Answer(
        "bool",
        True,
        "when all weights start equal every hidden unit computes the same value on every example and, as the "
        "entries of W2 stay equal too, receives the same gradient: the rows of W1 get the same update at every step "
        "and stay equal (they move, but together), so the layer works like a single unit. The next assignment, "
        "init_symmetry, is about this",
    ),
}
