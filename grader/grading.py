"""A course's grading side: its settings, and per assignment a folder of checks, answers and mistakes never released.

    course/                          an nbgrader course root
      nbgrader_config.py             nbgrader's settings, plus c.Engine (what kernels preload and the guard
                                     watches) and c.Helpers (the package helper modules are built from)
      source/<name>/<name>.ipynb     what nbgrader releases
      grading/<name>/                never released (nbgrader only releases source/<name>/):
        checks.py                    the hidden checks: each public function is one, called by its name
        answers.py                   ANSWERS = {"variable": grader.checks.Answer(...)}: the answer key
        mistakes.py                  MUTANTS = grader.mutants.MutantSet(): the library of typical mistakes
        variants.py                  VERSION and parameters(stream): each student's numbers (`grader.variants`)
        assignment.toml              [helpers] ship/withhold, [budget] seconds, [spec] (the course's own tests)

Every file is optional. ``grading/`` is imported as a package named after the course's folder (`package_name`), so
two courses never share modules; code several assignments use lives in another folder of ``grading/`` and is
imported relatively (``from ..common import x``). Assignments themselves are found in ``source/``, never listed.

This module is light (no nbgrader): the warm server and hidden test cells import it.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.machinery
import importlib.util
import os
import sys
import traceback
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from grader.errors import GraderError, UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CONFIG_FILE = "nbgrader_config.py"
COURSE_VARIABLE = "GRADER_COURSE"
ASSIGNMENT_VARIABLE = "GRADER_ASSIGNMENT"
"""Environment variables that tell a graded notebook's hidden tests its course root and assignment (`grader.hidden`)."""
JUDGE_VARIABLE = "GRADER_JUDGE"
TOKEN_VARIABLE = "GRADER_JUDGE_TOKEN"
"""Where a graded notebook's judge listens, and the notebook's token there (`grader.judge`): with them, its hidden
tests run in the judge, not in the notebook's process."""
GRADING_DIR = "grading"
"""The folder of a course root that holds one grading folder per assignment."""
SETTINGS_FILE = "assignment.toml"
PARTS = ("checks", "answers", "mistakes", "variants")
"""The modules a grading folder may have."""
DEFAULT_PRELOAD = ("numpy", "matplotlib.pyplot")
"""What every course's kernels find imported (the fork engine imports them once, before forking)."""
DEFAULT_WATCH = ("numpy.*", "math", "operator", "builtins")
"""What the tamper guard watches in every course, besides the grader itself and the course's grading package."""
SETTINGS_TABLES = {
    "helpers": "modules of c.Helpers.source shipped next to the notebook (ship) and never shipped (withhold)",
    "budget": "seconds: how long the solution notebook may take, hidden tests included",
    "spec": "anything the course's own tests read (the grader does not)",
}


class SettingsError(GraderError):
    """A course's grading settings are malformed; the message names the file and the fix."""


@dataclass(frozen=True)
class EngineSettings:
    """What a course asks of the engine: modules to import before any notebook runs, modules to guard."""

    preload: tuple[str, ...] = DEFAULT_PRELOAD
    """Imported once by the fork engine's warm server (and by nothing else): the course's defaults first."""
    watch: tuple[str, ...] = DEFAULT_WATCH
    """Modules (``name`` or ``name.*``) whose replacement by a notebook makes its checks fail."""
    course: str | None = None
    """The course's root, when it has a grading folder (the sandbox shows that folder, the fork engine's warm
    server imports its checks)."""


@dataclass(frozen=True)
class AssignmentSettings:
    """``grading/<name>/assignment.toml`` of one assignment (all optional)."""

    ship: tuple[str, ...] | None = None
    """Helper modules built next to its notebook; None when the assignment ships no helpers."""
    withhold: tuple[str, ...] = ()
    """Helper modules that hold what learners write there: never shipped, nor anything that imports them."""
    budget_seconds: float | None = None
    """How long its solution notebook may take, hidden tests included (benchmarks/notebook_budget.py)."""
    spec: Mapping[str, Any] = field(default_factory=dict)
    """The ``[spec]`` table, for the course's own tests."""


class CourseConfigError(UsageError):
    """A course's nbgrader_config.py cannot be read: it raised, or it sets a value nbgrader refuses."""


def load_config(root: Path | str) -> Config:
    """The traitlets config of ``root/nbgrader_config.py`` (an empty config when the course has none).

    Raises CourseConfigError, naming the file and line, when the file does not run."""
    path = Path(root) / CONFIG_FILE
    if not path.is_file():
        return Config()
    try:
        return PyFileConfigLoader(CONFIG_FILE, path=str(path.parent)).load_config()
    except SyntaxError as exc:
        raise CourseConfigError(f"{path} is broken: line {exc.lineno}: SyntaxError: {exc.msg}") from None
    except Exception as exc:  # a config file is code: whatever it raises, the course cannot be read
        line = next((f.lineno for f in reversed(traceback.extract_tb(exc.__traceback__))
                     if f.filename == str(path)), None)
        where = f"line {line}: " if line else ""
        raise CourseConfigError(f"{path} is broken: {where}{type(exc).__name__}: {exc}") from None


def _names(value: Any, where: str, key: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence) or not all(isinstance(v, str) for v in value):
        raise SettingsError(f"{where}: {key} must be a list of module names such as ['mylib']; got {value!r}")
    return tuple(value)


def engine_settings(root: Path | str, config: Config | None = None) -> EngineSettings:
    """The course's ``c.Engine.preload`` and ``c.Engine.watch``, after the defaults, and its root if it has a
    grading folder."""
    root = Path(root).resolve()
    config = load_config(root) if config is None else config
    section, where = config.get("Engine", {}), f"{root / CONFIG_FILE}"
    unknown = sorted(set(section) - {"preload", "watch"})
    if unknown:
        raise SettingsError(f"{where}: unknown c.Engine settings {unknown}; known: preload, watch")
    preload = _names(section.get("preload", []), where, "c.Engine.preload")
    watch = _names(section.get("watch", []), where, "c.Engine.watch")
    return EngineSettings(tuple(dict.fromkeys([*DEFAULT_PRELOAD, *preload])),
                          tuple(dict.fromkeys([*DEFAULT_WATCH, *watch])),
                          str(root) if (root / GRADING_DIR).is_dir() else None)


def assignment_dir(root: Path | str, assignment: str) -> Path:
    """``grading/<assignment>/`` of the course at ``root`` (it may not exist)."""
    return Path(root) / GRADING_DIR / assignment


def read_settings(root: Path | str, assignment: str) -> AssignmentSettings:
    """The settings of ``assignment``: its assignment.toml, or the defaults when it has none."""
    path = assignment_dir(root, assignment) / SETTINGS_FILE
    if not path.is_file():
        return AssignmentSettings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path} is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - set(SETTINGS_TABLES))
    if unknown:
        known = "; ".join(f"[{k}] {v}" for k, v in SETTINGS_TABLES.items())
        raise SettingsError(f"{path}: unknown tables {unknown}; known: {known}")
    helpers, budget = data.get("helpers", {}), data.get("budget", {})
    if set(helpers) - {"ship", "withhold"} or (helpers and "ship" not in helpers):
        raise SettingsError(f"{path}: [helpers] takes a list 'ship' and an optional list 'withhold'; got {helpers!r}")
    ship = _names(helpers["ship"], str(path), "ship") if "ship" in helpers else None
    withhold = _names(helpers.get("withhold", []), str(path), "withhold")
    leaked = sorted(set(ship or ()) & set(withhold))
    if leaked:
        raise SettingsError(f"{path}: [helpers] ships {leaked}, which it also withholds (they hold what learners "
                            "write there); remove them from 'ship'")
    seconds = budget.get("seconds")
    if set(budget) - {"seconds"} or (seconds is not None and not (isinstance(seconds, int | float) and seconds > 0)):
        raise SettingsError(f"{path}: [budget] takes one positive number, seconds; got {budget!r}")
    return AssignmentSettings(ship, withhold, None if seconds is None else float(seconds), data.get("spec", {}))


# -- the grading package -----------------------------------------------------------------------------------------

def package_name(root: Path | str) -> str:
    """The name ``grading/`` of the course at ``root`` is imported as: ``course_grading_`` and a hash of its path."""
    digest = hashlib.sha1(os.path.realpath(root).encode()).hexdigest()[:10]
    return f"course_grading_{digest}"


def import_package(root: Path | str) -> types.ModuleType:
    """``grading/`` of the course at ``root`` as a package (its ``__init__.py`` is optional); imported once."""
    name = package_name(root)
    module = sys.modules.get(name)
    if module is not None:
        return module
    folder = os.path.realpath(Path(root) / GRADING_DIR)
    init = os.path.join(folder, "__init__.py")
    if os.path.isfile(init):
        loader = importlib.machinery.SourceFileLoader(name, init)
        spec = importlib.machinery.ModuleSpec(name, loader, origin=init, is_package=True)
        spec.submodule_search_locations = [folder]
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
        return module
    spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
    spec.submodule_search_locations = [folder]
    module = importlib.util.module_from_spec(spec)
    module.__file__ = None
    sys.modules[name] = module
    return module


def import_part(root: Path | str, assignment: str, part: str) -> types.ModuleType | None:
    """Module ``part`` (one of `PARTS`) of ``grading/<assignment>/``, imported once; None when it has no such file."""
    if part not in PARTS:
        raise ValueError(f"unknown part {part!r}; known: {', '.join(PARTS)}")
    if not (assignment_dir(root, assignment) / f"{part}.py").is_file():
        return None
    package = import_package(root)
    return importlib.import_module(f"{package.__name__}.{assignment}.{part}")


def grading_assignments(root: Path | str) -> list[str]:
    """Folders of ``grading/`` that hold at least one part (checks, answers, mistakes or variants), sorted."""
    folder = Path(root) / GRADING_DIR
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if any((p / f"{part}.py").is_file() for part in PARTS))


# -- the mistake library -----------------------------------------------------------------------------------------

def mutants_for(root: Path | str, assignment: str) -> list[Any]:
    """The typical mistakes of ``assignment`` (``MUTANTS`` of its mistakes.py), in the order they are defined; empty
    when it has none. Each `grader.mutants.Mutant` carries the assignment's name."""
    from grader.mutants import MutantSet

    module = import_part(root, assignment, "mistakes")
    if module is None:
        return []
    found = getattr(module, "MUTANTS", None)
    if not isinstance(found, MutantSet):
        raise SettingsError(f"{module.__file__} must define MUTANTS = grader.mutants.MutantSet(); "
                            f"got {type(found).__name__}")
    if found.assignment not in ("", assignment):
        raise SettingsError(f"{module.__file__}: MutantSet({found.assignment!r}) is in the grading folder of "
                            f"{assignment!r}; write MutantSet() (the folder names the assignment)")
    return [replace(m, assignment=assignment) for m in found.mutants]


def course_mutants(root: Path | str, assignments: Sequence[str]) -> dict[str, Any]:
    """Every mutant of ``assignments`` by name; a SettingsError when two share a name."""
    registry: dict[str, Any] = {}
    for assignment in assignments:
        for mutant in mutants_for(root, assignment):
            if mutant.name in registry:
                raise SettingsError(f"mutant name {mutant.name!r} is used by {registry[mutant.name].assignment} and "
                                    f"{assignment}; mutant names are unique in a course")
            registry[mutant.name] = mutant
    return registry
