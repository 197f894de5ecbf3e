"""Grading of ``init_scale``: checks, answer key, mistakes and settings (never released)."""
