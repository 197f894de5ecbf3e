"""The data of stats101's ``means`` assignment: released next to the notebook, which imports it."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

COLUMNS = ("height_cm", "weight_kg")
"""The columns of heights.csv, in the order `load_heights` returns them."""


def load_heights(path: str | Path = "heights.csv") -> np.ndarray:
    """The people of ``path`` as a float64 array of shape (n, 2): one row per person, height (cm) then weight (kg)."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return np.array([[float(row[column]) for column in COLUMNS] for row in rows], dtype=np.float64)
