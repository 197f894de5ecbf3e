"""The library of typical mistakes: wrong code a student might write, one entry per mistake, per assignment.

A :class:`Mutant` names a mistake, says which solution cell of which assignment its wrong code replaces and which
test cells must lose points because of it, and which words the failure message must contain (so that the grading
names the mistake rather than merely failing). Each assignment has one module here that fills a :class:`MutantSet`;
wrong functions are written as real Python functions (linted, and callable by fast tests without a notebook) and
turned into cell code by renaming them to the function the notebook expects.

``grader validate`` and the tests build one submission per mutant with :func:`grader.submissions.mutant_submission`.
"""

from __future__ import annotations

import importlib
import inspect
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    """One typical mistake, as the code that replaces a solution cell of an assignment."""

    name: str
    """Named after the mistake, unique across the course, e.g. ``he_fan_out``."""
    assignment: str
    """The assignment whose notebook it applies to."""
    cell: str
    """grade_id of the solution cell whose whole source :attr:`code` replaces."""
    code: str
    """The wrong cell source."""
    targets: tuple[str, ...]
    """grade_ids of the test cells that must lose points."""
    expect: tuple[str, ...]
    """Words (case-insensitive) that the failure message of every target cell must all contain."""
    description: str
    """One line, in a student's words: what the student did."""
    function: Callable | None = None
    """The wrong function itself when the mutant replaces a function (for fast tests), else None."""


class MutantSet:
    """The mutants of one assignment, filled by decorators (:meth:`function`) and calls (:meth:`code`)."""

    def __init__(self, assignment: str) -> None:
        self.assignment = assignment
        self.mutants: list[Mutant] = []

    def _add(self, mutant: Mutant) -> None:
        if any(m.name == mutant.name for m in self.mutants):
            raise ValueError(f"mutant {mutant.name!r} is defined twice in {self.assignment}")
        if not mutant.targets or not mutant.expect:
            raise ValueError(f"mutant {mutant.name!r} needs at least one target test cell and one expected word")
        self.mutants.append(mutant)

    def function(
        self, *, cell: str, replaces: str, targets: tuple[str, ...], expect: tuple[str, ...], description: str
    ) -> Callable[[Callable], Callable]:
        """Register the decorated function, renamed to ``replaces``, as the code of solution cell ``cell``.

        The mutant's name is the decorated function's name; the function is returned unchanged.
        """

        def register(fn: Callable) -> Callable:
            self._add(
                Mutant(
                    name=fn.__name__,
                    assignment=self.assignment,
                    cell=cell,
                    code=function_source(fn, rename_to=replaces),
                    targets=tuple(targets),
                    expect=tuple(expect),
                    description=description,
                    function=fn,
                )
            )
            return fn

        return register

    def code(
        self, *, name: str, cell: str, code: str, targets: tuple[str, ...], expect: tuple[str, ...], description: str
    ) -> None:
        """Register literal cell code (for cells that are not one function, such as answer cells)."""
        self._add(
            Mutant(name, self.assignment, cell, textwrap.dedent(code).strip() + "\n", targets, expect, description)
        )


def function_source(fn: Callable, *, rename_to: str) -> str:
    """The source of ``fn`` without its decorators, dedented, with ``def <name>(`` renamed to ``rename_to``."""
    lines = textwrap.dedent(inspect.getsource(fn)).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("def "))
    source = "\n".join(lines[start:]) + "\n"
    return re.sub(rf"^def {re.escape(fn.__name__)}\(", f"def {rename_to}(", source, count=1)


MODULES: tuple[str, ...] = ("backprop", "init_symmetry", "init_scale")
"""One module per assignment under grader/mutants/, each defining ``MUTANTS: MutantSet``."""


def _load() -> dict[str, Mutant]:
    registry: dict[str, Mutant] = {}
    for module in MODULES:
        for mutant in importlib.import_module(f"{__name__}.{module}").MUTANTS.mutants:
            if mutant.name in registry:
                raise ValueError(f"mutant name {mutant.name!r} is used by two assignments")
            registry[mutant.name] = mutant
    return registry


MUTANTS: dict[str, Mutant] = _load()
"""Every mutant of the course by name."""


def get_mutant(name: str) -> Mutant:
    """The mutant called ``name``; a ValueError lists the known names otherwise."""
    try:
        return MUTANTS[name]
    except KeyError:
        raise ValueError(f"unknown mutant {name!r}; known: {', '.join(sorted(MUTANTS))}") from None


def mutants_for(assignment: str) -> list[Mutant]:
    """The mutants of ``assignment`` in the order they are defined (empty for an assignment without any)."""
    return [m for m in MUTANTS.values() if m.assignment == assignment]
