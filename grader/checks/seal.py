"""The tamper guard of a course's checks: modules that refuse to be rebound, and a snapshot checked around every check.

A hidden test runs in the student's process, after the student's code. What the checks rely on (NumPy, the course's
helper package, the checks themselves) could have been replaced by then, or be replaced while a check calls the
student's code. Three layers answer that:

- :func:`private_numpy`: the checks' modules call NumPy through `grader.checks.common.np`, references taken at import,
  so ``np.allclose = lambda *a: True`` in a notebook changes nothing they call;
- :func:`seal_module`: the checks' modules refuse to have their functions replaced (``checks.x = f`` raises
  AttributeError; a function swapped through ``vars()`` raises AssertionError when it is looked up);
- :class:`Guard`: a `grader.guard.Snapshot` of everything watched, taken when the checks are loaded (before any
  student code in the fork engine's warm server; in a kernel, at the first hidden test, where code that came from
  outside the trusted folders gives away what was replaced earlier), compared before and after each check.
"""

from __future__ import annotations

import functools
import sys
import types
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy

from grader.checks.common import np
from grader.guard import Snapshot, describe, module_names, trusted_roots

LIBRARY = ("grader", "grader.checks.*", "grader.hidden", "grader.guard")
"""The grader's own modules a check relies on: watched and sealed along with every course's checks."""
UNWATCHED = ("builtins.input", "builtins.exit", "builtins.quit", "builtins.get_ipython")
"""Not the student's doing: ``input`` is swapped by ipykernel around every cell and by the fork engine in every
notebook; IPython's builtin trap hides ``exit``/``quit`` and adds ``get_ipython`` while a cell runs."""
TRUSTED_PACKAGES = ("numpy", "grader")


def private_numpy(patterns: Iterable[str]) -> None:
    """Point the ``np`` of every loaded module matching ``patterns`` that imported NumPy as ``np`` at `common.np`."""
    for name in module_names(patterns):
        module = sys.modules[name]
        if vars(module).get("np") is numpy:
            module.np = np


def seal_module(module: types.ModuleType, names: Iterable[str] | None = None) -> None:
    """Make ``names`` of ``module`` (default: all but dunders) impossible to rebind, and the lookup of one swapped
    behind its back fail. Sealing a sealed module again seals the new names too."""
    names = [n for n in vars(module) if not n.startswith("__")] if names is None else list(names)
    new = {name: vars(module)[name] for name in names if name in vars(module)}
    sealed = getattr(type(module), "_originals", None)
    if sealed is not None:
        sealed.update({k: v for k, v in new.items() if k not in sealed})
        return
    originals, label = new, module.__name__

    class SealedModule(types.ModuleType):
        _originals = originals

        def __setattr__(self, name: str, value: Any) -> None:
            if name == "__class__" or (name in originals and value is not originals[name]):
                raise AttributeError(f"{label}.{name} is part of the grading and cannot be replaced")
            super().__setattr__(name, value)

        def __delattr__(self, name: str) -> None:
            if name in originals:
                raise AttributeError(f"{label}.{name} is part of the grading and cannot be deleted")
            super().__delattr__(name)

        def __getattribute__(self, name: str) -> Any:
            value = super().__getattribute__(name)
            if name in originals and value is not originals[name]:
                raise AssertionError(f"{label}.{name} was replaced by code in this notebook; the grading cannot "
                                     "trust it, so this test fails")
            return value

    module.__class__ = SealedModule


def seal_package(patterns: Sequence[str]) -> None:
    """Seal every loaded module matching ``patterns``, and each as an attribute of its loaded parent package."""
    for name in module_names(patterns):
        seal_module(sys.modules[name])
        parent, _, child = name.rpartition(".")
        if parent in sys.modules:
            vars(sys.modules[parent]).setdefault(child, sys.modules[name])
            seal_module(sys.modules[parent], [child])


class Guard:
    """A snapshot of ``watch`` (`grader.guard` patterns) taken now; ``trusted_folders`` are where code may come
    from besides the Python environment, NumPy and the grader (a course's grading folder, its helper package)."""

    def __init__(self, watch: Sequence[str], trusted_folders: Sequence[str] = ()) -> None:
        tops = {pattern.partition(".")[0].rstrip("*") for pattern in watch}
        trusted = [*trusted_roots([*TRUSTED_PACKAGES, *sorted(tops)]), *trusted_folders]
        self.snapshot = Snapshot(watch, trusted=trusted, ignore=UNWATCHED)

    def problems(self) -> list[str]:
        """What the student's code modified among the watched modules (empty when untouched)."""
        return self.snapshot.changes()

    def verify(self, check: str) -> None:
        problems = self.problems()
        if problems:
            raise AssertionError(f"{check}: {describe(problems)}")

    def wrap(self, name: str, check: Callable[..., Any]) -> Callable[..., Any]:
        """``check`` that first and last verifies nothing watched was modified (the student's code runs between)."""

        @functools.wraps(check)
        def run_check(*args: Any, **kwargs: Any) -> Any:
            self.verify(name)
            try:
                return check(*args, **kwargs)
            finally:
                self.verify(name)  # tampering during the check outranks its verdict

        return run_check
