"""The machinery of a mistake library: wrong code a student might write, one entry per mistake.

A :class:`Mutant` names a mistake, says which solution cell of its assignment its wrong code replaces and which test
cells must lose points because of it, and which words the failure message must contain (so that the grading names
the mistake rather than merely failing). An assignment's library is ``MUTANTS = MutantSet()`` in the ``mistakes.py``
of its grading folder (`grader.grading.mutants_for` loads it); wrong functions are written as real Python functions
(linted, and callable by fast tests without a notebook) and turned into cell code by renaming them to the function
the notebook expects.

``grader validate`` builds one submission per mutant with :func:`grader.submissions.mutant_submission`.
"""

from __future__ import annotations

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
    """The assignment whose notebook it applies to (filled in from the grading folder it is defined in)."""
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
    """The mutants of one assignment, filled by decorators (:meth:`function`) and calls (:meth:`code`).

    ``assignment`` may stay empty: the grading folder the set is defined in names the assignment."""

    def __init__(self, assignment: str = "") -> None:
        self.assignment = assignment
        self.mutants: list[Mutant] = []

    def _add(self, mutant: Mutant) -> None:
        if any(m.name == mutant.name for m in self.mutants):
            raise ValueError(f"mutant {mutant.name!r} is defined twice in {self.assignment or 'this library'}")
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
