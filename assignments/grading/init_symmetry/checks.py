"""Checks of the ``init_symmetry`` assignment: its init functions, by scheme of ``common/init_specs.py``
(``shapes``, ``spread``, ``randomness``, ``training``), the helper they share, ``initialize_parameters_from_stds``
(``from_stds``, by aspect), and ``find_duplicate_units`` (``duplicate_finder``, by aspect)."""

from ..common.inits import randomness, shapes, spread, training
from .duplicates import duplicate_finder
from .stds import from_stds

__all__ = ["duplicate_finder", "from_stds", "randomness", "shapes", "spread", "training"]
