"""Grading of ``backprop``: checks, answer key, mistakes and settings (never released)."""
