"""The build step: copy the helper modules an assignment may import into a package inside source/<name>/.

A course keeps the helper code its released notebooks import (plotting, data sets, a training loop...) in one
package of its own, importable where the grader runs, and names it in its ``nbgrader_config.py`` (a section
nbgrader itself ignores)::

    c.Helpers.source = "course_lib"    # the package the modules are copied from
    c.Helpers.package = "lib"          # the package they become next to each notebook (default: helpers)

Each assignment lists what it ships and withholds in ``grading/<name>/assignment.toml`` (`grader.grading`)::

    [helpers]
    ship = ["plots", "data"]
    withhold = ["solutions"]

Before every release and every grading run the shipped modules are copied into ``source/<assignment>/<package>/``
with ``from <source>.x import ...`` rewritten to ``from .x import ...``. Living in ``source/``, they reach the
release through ``nbgrader generate_assignment``, and ``nbgrader autograde`` copies them over any version a student
altered. ``withhold`` lists modules that hold what learners write in that assignment: shipping a module that imports
one is a :class:`BuildError`. The built folders are git-ignored.

Run ``python -m grader.build [--course DIR] [ASSIGNMENT ...]``.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import re
import shutil
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.course import CONFIG_FILE, DEFAULT_COURSE, Course
from grader.errors import GraderError
from grader.grading import SETTINGS_FILE, SettingsError, assignment_dir, read_settings

MARKER = "Built by grader/build.py"
"""First words of every built file; a folder whose __init__.py lacks them is never deleted."""
DEFAULT_PACKAGE = "helpers"

_PARSE_LOCK = threading.Lock()
"""CPython 3.11 keeps the AST constructor's recursion counter in state shared by all threads: two threads parsing
at once (one let in by a finalizer run during the other's parse) fail with "SystemError: AST constructor recursion
depth mismatch" (python/cpython#106905). Builds run in threads (a test harness building three course copies), so
every parse here takes this lock."""


class BuildError(GraderError):
    """The helper settings or a helper module do not allow a safe build; the message says what to fix."""


@dataclass(frozen=True)
class HelperSpec:
    """Which modules of the course's helper package one assignment gets, and which it must never get."""

    assignment: str
    package: str
    """Name of the package built inside source/<assignment>/ (what the notebook imports)."""
    ship: tuple[str, ...]
    withhold: tuple[str, ...]
    source: str
    """The course's helper package the modules come from (``c.Helpers.source``)."""


@dataclass(frozen=True)
class Built:
    """What :func:`build_helpers` wrote."""

    assignment: str
    package_dir: Path
    modules: tuple[str, ...]


def helper_specs(course: Course) -> dict[str, HelperSpec]:
    """The helpers of every assignment of the course that ships some, validated; empty when none does."""
    section = course.config.get("Helpers", {})
    where = course.root / CONFIG_FILE
    unknown = sorted(set(section) - {"package", "source"})
    if "assignments" in section:
        raise BuildError(f"{where}: c.Helpers.assignments is no longer read; move each assignment's entry to "
                         f"grading/<assignment>/{SETTINGS_FILE} as a [helpers] table with 'ship' and 'withhold'")
    if unknown:
        raise BuildError(f"{where}: unknown c.Helpers settings {unknown}; known: package, source")
    package, source = section.get("package", DEFAULT_PACKAGE), section.get("source")
    if not (isinstance(package, str) and package.isidentifier()):
        raise BuildError(f"{where}: c.Helpers.package must be a Python identifier such as 'lib'; got {package!r}")
    specs: dict[str, HelperSpec] = {}
    for assignment in course.assignments():
        try:
            settings = read_settings(course.root, assignment)
        except SettingsError as exc:
            raise BuildError(str(exc)) from None
        if settings.ship is None:
            continue
        if not (isinstance(source, str) and source.isidentifier()):
            raise BuildError(f"{assignment_dir(course.root, assignment) / SETTINGS_FILE} ships helpers, so {where} "
                             f"must name the package they come from: c.Helpers.source = 'mylib'; got {source!r}")
        specs[assignment] = HelperSpec(assignment, package, settings.ship, settings.withhold, source)
    return specs


def source_dir(package: str) -> Path:
    """The folder of the importable package ``package``; BuildError when it is not one."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise BuildError(f"c.Helpers.source = {package!r} is not a package this Python can import; install it or "
                         "put its folder on PYTHONPATH")
    return Path(next(iter(spec.submodule_search_locations)))


def _parse(source: str, filename: str) -> ast.Module:
    with _PARSE_LOCK:
        return ast.parse(source, filename)


def _in_package(module: str | None, package: str) -> bool:
    return module is not None and (module == package or module.startswith(package + "."))


def package_imports(source: str, package: str, filename: str = "<module>") -> set[str]:
    """The modules of ``package`` that ``source`` imports (``from package.x import``, ``from package import x``)."""
    found: set[str] = set()
    for node in ast.walk(_parse(source, filename)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _in_package(alias.name, package):
                    raise BuildError(
                        f"{filename}:{node.lineno}: 'import {alias.name}' cannot be made relative; write "
                        f"'from {package}.x import name' instead"
                    )
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and _in_package(node.module, package):
            if node.module == package:
                found.update(alias.name for alias in node.names)
            else:
                found.add(node.module.split(".")[1])
    return found


def rewrite_imports(source: str, package: str, filename: str = "<module>") -> str:
    """``source`` with every absolute import from ``package`` made relative to the built package."""
    pattern = re.compile(rf"\bfrom\s+{re.escape(package)}(?:\.(\w+))?\s+import\b")
    lines = source.splitlines(keepends=True)
    for node in ast.walk(_parse(source, filename)):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and _in_package(node.module, package):
            i = node.lineno - 1
            lines[i], count = pattern.subn(lambda m: f"from .{m.group(1) or ''} import", lines[i], count=1)
            if count != 1:
                raise BuildError(f"{filename}:{node.lineno}: cannot rewrite this import: {lines[i].strip()}")
    out = "".join(lines)
    if package_imports(out, package, filename):
        raise BuildError(f"{filename}: an import from {package} is left after rewriting")
    return out


def _init_source(spec: HelperSpec) -> str:
    modules = ", ".join(spec.ship)
    return (
        f'"""{MARKER}: helpers of the {spec.assignment} assignment, copied from {spec.source} ({modules}).\n\n'
        f'Edit {spec.source}, not these files: they are rebuilt before every release and every grading run."""\n'
    )


def build_helpers(course: Course, assignment: str, *, source: Path | None = None) -> Built | None:
    """Build the helper package of ``assignment``; None when its settings give it no helpers. ``source``: the
    folder to copy from instead of the package ``c.Helpers.source`` names.

    Checks before writing anything: every shipped module exists and imports only shipped modules of its package.
    """
    spec = helper_specs(course).get(assignment)
    if spec is None:
        return None
    folder = source_dir(spec.source) if source is None else Path(source)
    target_dir = course.directory("source", assignment)
    if not target_dir.is_dir():
        raise BuildError(f"{target_dir} does not exist: no assignment {assignment!r} in {course.root}")
    sources: dict[str, str] = {}
    for module in spec.ship:
        path = folder / f"{module}.py"
        if not path.is_file():
            raise BuildError(f"{assignment} ships {module!r} but {path} does not exist")
        text = path.read_text(encoding="utf-8")
        missing = sorted(package_imports(text, spec.source, str(path)) - set(spec.ship))
        if missing:
            withheld = sorted(set(missing) & set(spec.withhold))
            why = f"; {withheld} hold what learners write in {assignment}" if withheld else ""
            raise BuildError(
                f"{spec.source}/{module}.py imports {spec.source} modules {missing} that {assignment} does not "
                f"ship{why}. Ship them too, or remove the import from {spec.source}/{module}.py"
            )
        sources[module] = rewrite_imports(text, spec.source, str(path))
    target = target_dir / spec.package
    if target.exists():
        init = target / "__init__.py"
        if not (init.is_file() and MARKER in init.read_text(encoding="utf-8")):
            raise BuildError(f"{target} exists and was not made by grader/build.py; move it away or rename the package")
        shutil.rmtree(target)
    target.mkdir()
    (target / "__init__.py").write_text(_init_source(spec), encoding="utf-8")
    for module, text in sources.items():
        header = f"# {MARKER} from {spec.source}/{module}.py: edit that file, not this copy.\n"
        (target / f"{module}.py").write_text(header + text, encoding="utf-8")
    return Built(assignment, target, spec.ship)


def build_course(course: Course, assignments: Sequence[str] | None = None) -> list[Built]:
    """Build the helpers of ``assignments`` (default: every assignment that ships some)."""
    names = list(helper_specs(course)) if assignments is None else list(assignments)
    built = [build_helpers(course, name) for name in names]
    return [b for b in built if b is not None]


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: build, print one line per package, exit 1 on a :class:`BuildError`."""
    parser = argparse.ArgumentParser(prog="python -m grader.build", description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", help="assignments to build (default: all that ship helpers)")
    parser.add_argument("--course", default=str(DEFAULT_COURSE), help="course folder (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        for built in build_course(Course.at(args.course), args.assignments or None):
            print(f"{built.assignment}: {built.package_dir} ({', '.join(built.modules)})")
    except (BuildError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
