"""The hostile course's solutions, which its checks and answer key compute the truth with (copied into its grading
folder by tests/adversarial/conftest.py). Only the judge imports them: no notebook may see them, nor `SECRET`."""

from __future__ import annotations

import numpy as np

SECRET = "judge-secret-5e1b"
"""Held by the judge (the checks import it): no graded notebook's outputs, nor any grade report, may show it."""
FIRST_STEP_W1_MOVES = 2


def initialize_parameters_zeros(layer_dims: list[int]) -> dict[str, np.ndarray]:
    return {f"{p}{l}": np.zeros((layer_dims[l], layer_dims[l - 1] if p == "W" else 1))
            for l in range(1, len(layer_dims)) for p in "Wb"}
