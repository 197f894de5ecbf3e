"""An assignment's checks as hidden test cells call them: found in its grading folder, then guarded and sealed.

The checks of ``grading/<assignment>/checks.py`` are the names in its ``__all__``, or else every public function it
defines; the answers are the keys of ``ANSWERS`` in its ``answers.py`` (`grader.checks.answers`). A name is either,
never both. Loading imports both files (and what they import), points their ``np`` at NumPy's private namespace,
seals their modules and the grader's, and takes the snapshot every check is compared with (`grader.checks.seal`).
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.checks.answers import Answer, check_answer
from grader.checks.seal import LIBRARY, Guard, private_numpy, seal_package
from grader.grading import DEFAULT_WATCH, SettingsError, assignment_dir, import_part, package_name

SEALED = tuple(pattern for pattern in LIBRARY if pattern != "grader")
"""The grader's modules whose attributes are sealed (``grader`` itself is watched: only its submodules are sealed
as its attributes)."""


@dataclass(frozen=True)
class AssignmentChecks:
    """The checks and the answer key of one assignment, ready to run on a student's values."""

    course: Path
    assignment: str
    functions: Mapping[str, Callable[..., Any]]
    """Check name -> the check, guarded: it fails when the student's code modified what checks rely on."""
    answers: Mapping[str, Answer]
    guard: Guard

    @property
    def names(self) -> list[str]:
        """Every name a hidden test cell may pass to ``hidden.check``."""
        return sorted([*self.functions, *self.answers])

    def run(self, name: str, *values: Any, **options: Any) -> Any:
        """Run check ``name`` on ``values`` (a student's functions and values, then the check's own arguments), or
        compare the one value given with the answer ``name``; an AssertionError for the student when it fails."""
        function = self.functions.get(name)
        if function is not None:
            return function(*values, **options)
        if name in self.answers:
            if len(values) != 1 or options:
                raise TypeError(f"hidden.check({name!r}, value): an answer is checked on one value, got "
                                f"{len(values)} and {sorted(options) or 'no'} options")
            return self._answer(name, values[0])
        raise LookupError(f"{self.assignment} has no check or answer named {name!r} (in "
                          f"{assignment_dir(self.course, self.assignment)}); known: {', '.join(self.names) or 'none'}")

    def _answer(self, name: str, value: Any) -> None:
        params = local_variant() if callable(self.answers[name].expected) else None
        self.guard.wrap(name, functools.partial(check_answer, self.answers))(name, value, params)


def local_variant(folder: Path | str = ".") -> dict[str, Any] | None:
    """The parameters of ``variant.json`` in ``folder`` (the notebook's own folder), or None without one.

    Only for checks that run in the notebook's process (plain ``nbgrader autograde``, ``nbgrader validate``): they
    judge a variant answer against the numbers the notebook ran with, which its own folder holds, as far as such
    a check can be trusted at all (docs/variants.md). ``grader autograde``'s judge never reads it: it is given the
    owner's parameters by the grading process."""
    try:
        data = json.loads((Path(folder) / "variant.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    parameters = data.get("parameters") if isinstance(data, dict) else None
    return dict(parameters) if isinstance(parameters, dict) else None


def discover(module: types.ModuleType | None) -> dict[str, Callable[..., Any]]:
    """The checks of a checks.py: its ``__all__`` if it has one, else every public function it defines."""
    if module is None:
        return {}
    names = getattr(module, "__all__", None)
    if names is None:
        names = [name for name, value in vars(module).items() if not name.startswith("_")
                 and inspect.isfunction(value) and value.__module__ == module.__name__]
    found = {}
    for name in names:
        value = getattr(module, name, None)
        if not callable(value):
            raise SettingsError(f"{module.__file__}: __all__ names {name!r}, which is not a function")
        found[name] = value
    return found


def answer_key(module: types.ModuleType | None) -> dict[str, Answer]:
    """``ANSWERS`` of an answers.py, checked to map names to `Answer` objects."""
    if module is None:
        return {}
    key = getattr(module, "ANSWERS", None)
    if not isinstance(key, Mapping) or not all(isinstance(k, str) and isinstance(v, Answer) for k, v in key.items()):
        raise SettingsError(f"{module.__file__} must define ANSWERS = {{'variable': grader.checks.Answer(...)}}")
    return dict(key)


def find(root: Path | str, assignment: str) -> tuple[dict[str, Callable[..., Any]], dict[str, Answer]]:
    """The checks and the answer key of ``assignment`` as its grading folder defines them (imported, not guarded);
    SettingsError when they are malformed, and whatever importing them raises."""
    functions = discover(import_part(root, assignment, "checks"))
    answers = answer_key(import_part(root, assignment, "answers"))
    both = sorted(set(functions) & set(answers))
    if both:
        raise SettingsError(f"{assignment_dir(root, assignment)}: {both} are both a check and an answer; rename one")
    return functions, answers


def load(root: Path | str, assignment: str, watch: Sequence[str] = DEFAULT_WATCH) -> AssignmentChecks:
    """The checks of ``assignment`` of the course at ``root``, guarded over ``watch`` and the checks' own modules."""
    root = Path(root)
    functions, answers = find(root, assignment)
    package = f"{package_name(root)}.*"
    private_numpy([package])
    seal_package([package, *SEALED])
    guard = Guard([*watch, package, *LIBRARY], [os.path.realpath(assignment_dir(root, assignment).parent)])
    guarded = {name: guard.wrap(name, function) for name, function in functions.items()}
    return AssignmentChecks(root, assignment, guarded, answers, guard)
