"""Grading of ``init_symmetry``: checks, answer key, mistakes and settings (never released)."""
