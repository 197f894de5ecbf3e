"""Hidden checks of the hostile course's ps1 (copied into its grading folder by tests/adversarial/conftest.py): they
compare with the course's solution (`solution.py`, imported relatively), which only the judge holds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from grader.checks import as_float_array, call_student, fail

from .solution import SECRET, initialize_parameters_zeros

DIMS = (3, 2, 1)
SOLUTION_SIGNED = SECRET
"""The judge holds the secret with the checks (the adversarial suite looks for it in every notebook's outputs)."""


def zeros_init(fn: Callable[..., Any]) -> None:
    """``fn(layer_dims)`` returns what the solution returns: ``{"W1": (2, 3), "b1": (2, 1), ...}``, every entry 0.0."""
    params = call_student("initialize_parameters_zeros", fn, list(DIMS))
    truth = initialize_parameters_zeros(list(DIMS))
    if not isinstance(params, dict) or sorted(params) != sorted(truth):
        fail("initialize_parameters_zeros", "must return a dict with the keys W1, b1, W2, b2")
    for key, expected in truth.items():
        value = as_float_array(params[key], key, expected.shape, "initialize_parameters_zeros")
        if not np.array_equal(value, expected):
            fail("initialize_parameters_zeros", f"{key} must start at zero")
