"""What each assignment of the course must contain: the table the notebook tests are parametrised over.

A test that holds for every notebook (valid metadata, hidden tests through ``grader.checks``, solution full marks,
stubs zero, every mutant caught, ...) takes the ``assignment`` fixture and reads the numbers it needs here, so that
adding an assignment means adding a row, not copying tests.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AssignmentSpec:
    """The contract of one assignment's notebook."""

    name: str
    functions: dict[str, list[str]]
    """The functions learners write -> their argument names, in order."""
    answers: frozenset[str]
    """The auto-graded answer variables."""
    points: tuple[int, int, int]
    """(code, answers, written): the points of the function tests, the answer tests and the written answers."""
    written: tuple[str, ...]
    """grade_ids of the manually graded markdown answers, in notebook order."""
    min_test_cells: int
    min_mutants: int
    shipped: tuple[str, ...]
    """Files of the helper package ``nnlib`` released next to the notebook."""
    noisy_cell: str
    """A function's solution cell that the warning tests make print warnings."""
    always_equal_cell: str
    """An answer cell that the adversarial test fills with objects equal to everything."""
    always_equal_tests: tuple[str, ...]
    """The test cells of that answer cell (they must score 0)."""
    tampered_helper: str
    """A helper module the tampering test replaces by a broken copy in a submission."""

    @property
    def total(self) -> int:
        return sum(self.points)


_TRAINING_HELPERS = ("__init__.py", "activations.py", "data.py", "losses.py", "network.py", "train.py")

SPECS: dict[str, AssignmentSpec] = {
    spec.name: spec
    for spec in (
        AssignmentSpec(
            name="backprop",
            functions={
                "linear_forward": ["A_prev", "W", "b"],
                "linear_backward": ["dZ", "cache"],
                "sigmoid_backward": ["dA", "Z"],
                "relu_backward": ["dA", "Z"],
                "tanh_backward": ["dA", "Z"],
                "model_forward": ["X", "params", "activations"],
                "model_backward": ["AL", "Y", "caches", "activations"],
                "numerical_gradient": ["f", "x", "eps"],
                "relative_difference": ["grad", "grad_approx"],
            },
            answers=frozenset(
                {
                    "q_centered_error_factor",
                    "q_one_sided_error_factor",
                    "q_missing_m_relative_difference",
                    "q_equal_init_rows_stay_equal",
                }
            ),
            points=(16, 4, 0),
            written=(),
            min_test_cells=16,
            min_mutants=12,
            shipped=("__init__.py", "data.py"),
            noisy_cell="relu_backward",
            always_equal_cell="q_eps_answers",
            always_equal_tests=("test_q_centered", "test_q_one_sided"),
            tampered_helper="data.py",
        ),
        AssignmentSpec(
            name="init_symmetry",
            functions={
                "initialize_parameters_zeros": ["layer_dims"],
                "initialize_parameters_random": ["layer_dims", "rng", "scale"],
                "initialize_parameters_xavier": ["layer_dims", "rng"],
                "initialize_parameters_he": ["layer_dims", "rng"],
                "initialize_parameters_zero_weights_random_bias": ["layer_dims", "rng", "scale"],
                "find_duplicate_units": ["W", "b", "W_next", "tol"],
            },
            answers=frozenset(
                {
                    "q1_first_step_W1_moves",
                    "q1_rank_W1_after_two_steps",
                    "q1_relu_negative_bias",
                    "q2_symmetry_condition",
                    "q2_across_layers_matters",
                    "q3_columns_are_examples",
                    "q3_columns_stay_equal",
                }
            ),
            points=(20, 7, 7),
            written=("q1_written", "q2_written", "q3_written"),
            min_test_cells=20,
            min_mutants=15,
            shipped=_TRAINING_HELPERS,
            noisy_cell="init_he",
            always_equal_cell="q1_answers",
            always_equal_tests=("test_q1_first_step", "test_q1_rank", "test_q1_relu"),
            tampered_helper="network.py",
        ),
        AssignmentSpec(
            name="init_scale",
            functions={
                "layer_std_profile": ["layer_dims", "init_fn", "activation", "X", "rng"],
                "initialize_parameters_he": ["layer_dims", "rng", "negative_slope"],
                "orthogonal": ["shape", "rng", "gain"],
                "dead_relu_fraction": ["params", "X"],
            },
            answers=frozenset(
                {
                    "q_xavier_relu_variance_factor",
                    "q_tanh_gain_one_ratio",
                    "q_sigmoid_saturated_fraction",
                    "q_most_dead_bias",
                    "q_small_bias_helps",
                }
            ),
            points=(14, 5, 3),
            written=("q_bias_written",),
            min_test_cells=15,
            min_mutants=10,
            shipped=_TRAINING_HELPERS,
            noisy_cell="init_he",
            always_equal_cell="q_bias_answers",
            always_equal_tests=("test_q_most_dead", "test_q_small_bias"),
            tampered_helper="network.py",
        ),
    )
}
"""Every assignment of the course, in teaching order."""


def with_warnings(source: str) -> str:
    """A solution cell's source that warns when it is run and every time its function is called (and makes NumPy
    warn too): a student's harmless noise, which must cost no points."""
    lines = source.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("def "))
    body = start + 1
    if lines[body].strip().startswith('"""'):  # skip the docstring, one line or several
        quotes = lines[body].count('"""')
        while quotes < 2:
            body += 1
            quotes += lines[body].count('"""')
        body += 1
    noise = ["    warnings.warn('inside the function', UserWarning)", "    np.log(np.zeros(1))"]
    head = ["import warnings", "warnings.warn('defining it', UserWarning)"]
    return "\n".join([*head, *lines[:body], *noise, *lines[body:]])
