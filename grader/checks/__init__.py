"""What hidden test cells call: each check judges a student's answer and raises AssertionError with a message that
says, in a student's words, what went wrong, and names the mistake when it is a known one.

Rules every check follows:
- never trust a student's object: values become plain float64 arrays, exact ``int``/``bool``/``str`` before any
  comparison (an object whose ``__eq__`` always returns True gets nowhere);
- the student's code runs inside :func:`quiet`: warnings and stderr writes it provokes are swallowed, because
  nbgrader gives zero to a test cell that writes to stderr;
- the truth comes from ``reference/`` (formulas, duplicate units, training), never from a copy kept here.

A hidden test cell does ``from grader import checks`` and calls one of: :func:`check_shapes`,
:func:`check_spread`, :func:`check_randomness`, :func:`check_training` (init functions, by scheme of
:data:`INIT_SPECS`), :func:`check_duplicate_finder` (by aspect) or :func:`check_answer` (by name in
:data:`ANSWERS`); ``backprop`` adds :func:`check_linear_forward`, :func:`check_linear_backward`,
:func:`check_activation_backward`, :func:`check_model_forward`, :func:`check_model_backward`,
:func:`check_numerical_gradient` and :func:`check_relative_difference`; ``init_scale`` adds
:func:`check_std_profile`, :func:`check_orthogonal`, :func:`check_dead_fraction` (its He init is the scheme
``he_leaky`` of :data:`SCALE_INIT_SPECS`). One module per subject: ``common`` (safety), ``init_specs`` and
``inits``, ``duplicates``, ``answers``, ``backprop``, ``scale``.
"""

from grader.checks.answers import ANSWERS, Answer, check_answer
from grader.checks.backprop import (
    check_activation_backward,
    check_linear_backward,
    check_linear_forward,
    check_model_backward,
    check_model_forward,
    check_numerical_gradient,
    check_relative_difference,
)
from grader.checks.common import as_float_array, as_params, call_student, quiet, seal
from grader.checks.duplicates import DUPLICATE_ASPECTS, DUPLICATE_MISTAKES, as_groups, check_duplicate_finder
from grader.checks.init_specs import INIT_SPECS, SCALE_INIT_SPECS, InitSpec, Mistake, Spread, get_spec
from grader.checks.inits import check_randomness, check_shapes, check_spread, check_training
from grader.checks.scale import check_dead_fraction, check_orthogonal, check_std_profile

__all__ = [
    "ANSWERS",
    "DUPLICATE_ASPECTS",
    "DUPLICATE_MISTAKES",
    "INIT_SPECS",
    "SCALE_INIT_SPECS",
    "Answer",
    "InitSpec",
    "Mistake",
    "Spread",
    "as_float_array",
    "as_groups",
    "as_params",
    "call_student",
    "check_activation_backward",
    "check_answer",
    "check_dead_fraction",
    "check_duplicate_finder",
    "check_linear_backward",
    "check_linear_forward",
    "check_model_backward",
    "check_model_forward",
    "check_numerical_gradient",
    "check_orthogonal",
    "check_randomness",
    "check_relative_difference",
    "check_shapes",
    "check_spread",
    "check_std_profile",
    "check_training",
    "get_spec",
    "quiet",
]

seal(__name__)  # guard every check_* above and lock this package (grader.checks.common.seal)
