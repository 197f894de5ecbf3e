"""Checks of the ``init_symmetry`` assignment: its init functions, by scheme of ``common/init_specs.py``
(``shapes``, ``spread``, ``randomness``, ``training``), and ``find_duplicate_units`` (``duplicate_finder``)."""

from ..common.inits import randomness, shapes, spread, training
from .duplicates import duplicate_finder

__all__ = ["duplicate_finder", "randomness", "shapes", "spread", "training"]
