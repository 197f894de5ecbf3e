"""Hidden checks of the hostile course's ps1 (copied into its grading folder by tests/adversarial/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from grader.checks import as_float_array, call_student, fail

DIMS = (3, 2, 1)


def zeros_init(fn: Callable[..., Any]) -> None:
    """``fn(layer_dims)`` returns ``{"W1": (2, 3), "b1": (2, 1), ...}``, every entry 0.0."""
    params = call_student("initialize_parameters_zeros", fn, list(DIMS))
    if not isinstance(params, dict) or sorted(params) != ["W1", "W2", "b1", "b2"]:
        fail("initialize_parameters_zeros", "must return a dict with the keys W1, b1, W2, b2")
    for l in (1, 2):
        for key, shape in ((f"W{l}", (DIMS[l], DIMS[l - 1])), (f"b{l}", (DIMS[l], 1))):
            value = as_float_array(params[key], key, shape, "initialize_parameters_zeros")
            if np.any(value != 0):
                fail("initialize_parameters_zeros", f"{key} must start at zero")
