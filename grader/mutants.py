"""The machinery of a mistake library: wrong code a student might write, one entry per mistake.

A :class:`Mutant` names a mistake, says which solution cell of its assignment its wrong code replaces and which test
cells must lose points because of it, and which words the failure message must contain (so that the grading names
the mistake rather than merely failing). An assignment's library is ``MUTANTS = MutantSet()`` in the ``mistakes.py``
of its grading folder (`grader.grading.mutants_for` loads it). A mistake is written in one of three forms:

- :meth:`MutantSet.edit`: the solution cell with a few texts replaced ("in this cell, replace this with that"), for
  a mistake that is a small change of the solution; the edit is applied to the notebook's current solution, and an
  old text that is not in it exactly once raises :class:`StaleEditError`, naming the mutant and the text;
- :meth:`MutantSet.function`: a wrong function written as a real Python function (linted, and callable by fast tests
  without a notebook), turned into cell code by renaming it to the function the notebook expects;
- :meth:`MutantSet.code`: literal cell code, such as a wrong answer cell.

``grader validate`` builds one submission per mutant with :func:`grader.submissions.mutant_submission`.
"""

from __future__ import annotations

import inspect
import re
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

Edit = tuple[str, str]
"""(old, new): text of the solution cell, and what replaces it."""


class StaleEditError(ValueError):
    """An edit's old text is not in its solution cell exactly once: the solution changed since the edit was written."""


@dataclass(frozen=True)
class Mutant:
    """One typical mistake, as the code that replaces a solution cell of an assignment."""

    name: str
    """Named after the mistake, unique across the course, e.g. ``he_fan_out``."""
    assignment: str
    """The assignment whose notebook it applies to (filled in from the grading folder it is defined in)."""
    cell: str
    """grade_id of the solution cell whose whole source the wrong code replaces."""
    code: str
    """The wrong cell source; empty for an edit mutant, whose source is :meth:`apply` to the solution's."""
    targets: tuple[str, ...]
    """grade_ids of the test cells that must lose points."""
    expect: tuple[str, ...]
    """Words (case-insensitive) that the failure message of every target cell must all contain."""
    description: str
    """One line, in a student's words: what the student did."""
    function: Callable | None = None
    """The wrong function itself when the mutant replaces a function (for fast tests), else None."""
    edits: tuple[Edit, ...] = ()
    """For an edit mutant, the (old, new) replacements made in the solution cell, in order; else empty."""

    def apply(self, solution: str) -> str:
        """The wrong cell source: :attr:`code`, or for an edit mutant ``solution`` (the solution cell's source, as
        the solution submission has it) with each edit made in turn. Raises StaleEditError when an old text is not
        there exactly once."""
        if not self.edits:
            return self.code
        source = solution
        for old, new in self.edits:
            count = source.count(old)
            if count != 1:
                found = "is not in it" if count == 0 else f"is in it {count} times"
                raise StaleEditError(
                    f"mutant {self.name!r} of {self.assignment or 'its assignment'} replaces {old!r} in solution cell "
                    f"{self.cell!r}, but that text {found}: edit the mutant to match the solution's current text "
                    "(an old text must occur exactly once)"
                )
            source = source.replace(old, new)
        return source


class MutantSet:
    """The mutants of one assignment, filled by a decorator (:meth:`function`) and calls (:meth:`edit`, :meth:`code`).

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

    def edit(
        self,
        *,
        name: str,
        cell: str,
        replace: Mapping[str, str] | Sequence[Edit],
        targets: tuple[str, ...],
        expect: tuple[str, ...],
        description: str,
    ) -> None:
        """Register the solution of cell ``cell`` with texts replaced: ``replace`` maps each old text to its new one
        (a dict, or (old, new) pairs), made in order. Each old text must occur exactly once in the cell, checked
        whenever the mutant's code is made from the solution (:meth:`Mutant.apply`)."""
        edits = tuple(replace.items()) if isinstance(replace, Mapping) else tuple(tuple(pair) for pair in replace)
        wrong = [e for e in edits if len(e) != 2 or not all(isinstance(t, str) for t in e) or not e[0] or e[0] == e[1]]
        if not edits or wrong:
            raise ValueError(f"mutant {name!r}: replace takes one or more (old, new) texts, each old text non-empty "
                             f"and different from its new one; got {replace!r}")
        self._add(Mutant(name, self.assignment, cell, "", tuple(targets), tuple(expect), description, edits=edits))

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
