"""The build step: copy the reference/ modules an assignment may import into a package inside source/<name>/.

``reference/`` is the one source of truth for the helper code a released notebook imports (forward, backward,
training, data). Before every release and every grading run the modules listed for an assignment in the course's
``nbgrader_config.py`` are copied into ``source/<assignment>/<package>/`` with ``from reference.x import ...``
rewritten to ``from .x import ...``. Living in ``source/``, they reach the release through ``nbgrader
generate_assignment``, and ``nbgrader autograde`` copies them over any version a student altered.

The manifest, in the course's nbgrader_config.py (a section nbgrader itself ignores)::

    c.Helpers.package = "nnlib"
    c.Helpers.assignments = {
        "init_symmetry": {"ship": ["activations", "losses", "network", "train", "data"],
                          "withhold": ["init", "symmetry"]},
    }

``withhold`` lists modules that hold what learners write in that assignment: listing one of them in ``ship``, or
shipping a module that imports one, is a :class:`BuildError`. The built folders are git-ignored.

Run ``python -m grader.build [--course DIR] [ASSIGNMENT ...]``.
"""

from __future__ import annotations

import argparse
import ast
import re
import shutil
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.course import CONFIG_FILE, DEFAULT_COURSE, Course

REFERENCE_DIR = Path(__file__).resolve().parents[1] / "reference"
MARKER = "Built by grader/build.py"
"""First words of every built file; a folder whose __init__.py lacks them is never deleted."""
DEFAULT_PACKAGE = "nnlib"

_PARSE_LOCK = threading.Lock()
"""CPython 3.11 keeps the AST constructor's recursion counter in state shared by all threads: two threads parsing
at once (one let in by a finalizer run during the other's parse) fail with "SystemError: AST constructor recursion
depth mismatch" (python/cpython#106905). Builds run in threads (a test harness building three course copies), so
every parse here takes this lock."""


class BuildError(Exception):
    """The manifest or a reference module does not allow a safe build; the message says what to fix."""


@dataclass(frozen=True)
class HelperSpec:
    """Which reference modules one assignment gets, and which it must never get."""

    assignment: str
    package: str
    """Name of the package built inside source/<assignment>/ (what the notebook imports)."""
    ship: tuple[str, ...]
    withhold: tuple[str, ...]


@dataclass(frozen=True)
class Built:
    """What :func:`build_helpers` wrote."""

    assignment: str
    package_dir: Path
    modules: tuple[str, ...]


def helper_specs(course: Course) -> dict[str, HelperSpec]:
    """The ``Helpers`` manifest of the course's config, validated; empty when the course has none."""
    section = course.config.get("Helpers", {})
    package = section.get("package", DEFAULT_PACKAGE)
    where = course.root / CONFIG_FILE
    if not (isinstance(package, str) and package.isidentifier()):
        raise BuildError(f"{where}: c.Helpers.package must be a Python identifier such as 'nnlib'; got {package!r}")
    specs: dict[str, HelperSpec] = {}
    for assignment, entry in dict(section.get("assignments", {})).items():
        if not isinstance(entry, dict) or set(entry) - {"ship", "withhold"} or "ship" not in entry:
            raise BuildError(
                f"{where}: c.Helpers.assignments[{assignment!r}] must be a dict with a list 'ship' of reference "
                f"modules and an optional list 'withhold'; got {entry!r}"
            )
        ship, withhold = tuple(entry["ship"]), tuple(entry.get("withhold", ()))
        leaked = sorted(set(ship) & set(withhold))
        if leaked:
            raise BuildError(
                f"{where}: {assignment} ships {leaked}, which it also withholds (they hold what learners write "
                f"there); remove them from 'ship'"
            )
        specs[assignment] = HelperSpec(assignment, package, ship, withhold)
    return specs


_FROM = re.compile(r"\bfrom\s+reference(?:\.(\w+))?\s+import\b")


def _parse(source: str, filename: str) -> ast.Module:
    with _PARSE_LOCK:
        return ast.parse(source, filename)


def reference_imports(source: str, filename: str = "<module>") -> set[str]:
    """The reference modules ``source`` imports (``from reference.x import``, ``from reference import x``)."""
    found: set[str] = set()
    for node in ast.walk(_parse(source, filename)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "reference" or alias.name.startswith("reference."):
                    raise BuildError(
                        f"{filename}:{node.lineno}: 'import {alias.name}' cannot be made relative; write "
                        f"'from reference.x import name' instead"
                    )
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "reference":
                found.update(alias.name for alias in node.names)
            elif node.module.startswith("reference."):
                found.add(node.module.split(".")[1])
    return found


def _is_reference_from(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.ImportFrom)
        and node.level == 0
        and node.module is not None
        and (node.module == "reference" or node.module.startswith("reference."))
    )


def rewrite_imports(source: str, filename: str = "<module>") -> str:
    """``source`` with every absolute import from ``reference`` made relative to the built package."""
    lines = source.splitlines(keepends=True)
    for node in ast.walk(_parse(source, filename)):
        if _is_reference_from(node):
            i = node.lineno - 1
            lines[i], count = _FROM.subn(lambda m: f"from .{m.group(1) or ''} import", lines[i], count=1)
            if count != 1:
                raise BuildError(f"{filename}:{node.lineno}: cannot rewrite this import: {lines[i].strip()}")
    out = "".join(lines)
    if reference_imports(out, filename):
        raise BuildError(f"{filename}: an import from reference is left after rewriting")
    return out


def _init_source(spec: HelperSpec) -> str:
    modules = ", ".join(spec.ship)
    return (
        f'"""{MARKER}: helpers of the {spec.assignment} assignment, copied from reference/ ({modules}).\n\n'
        f'Edit reference/, not these files: they are rebuilt before every release and every grading run."""\n'
    )


def build_helpers(course: Course, assignment: str, *, reference_dir: Path | None = None) -> Built | None:
    """Build the helper package of ``assignment``; None when the manifest gives it no helpers.

    Checks before writing anything: every shipped module exists and imports only shipped reference modules.
    """
    reference_dir = REFERENCE_DIR if reference_dir is None else Path(reference_dir)
    spec = helper_specs(course).get(assignment)
    if spec is None:
        return None
    source_dir = course.directory("source", assignment)
    if not source_dir.is_dir():
        raise BuildError(f"{source_dir} does not exist: no assignment {assignment!r} in {course.root}")
    sources: dict[str, str] = {}
    for module in spec.ship:
        path = reference_dir / f"{module}.py"
        if not path.is_file():
            raise BuildError(f"{assignment} ships {module!r} but {path} does not exist")
        text = path.read_text(encoding="utf-8")
        missing = sorted(reference_imports(text, str(path)) - set(spec.ship))
        if missing:
            withheld = sorted(set(missing) & set(spec.withhold))
            why = f"; {withheld} hold what learners write in {assignment}" if withheld else ""
            raise BuildError(
                f"reference/{module}.py imports reference modules {missing} that {assignment} does not ship{why}. "
                f"Ship them too, or remove the import from reference/{module}.py"
            )
        sources[module] = rewrite_imports(text, str(path))
    target = source_dir / spec.package
    if target.exists():
        init = target / "__init__.py"
        if not (init.is_file() and MARKER in init.read_text(encoding="utf-8")):
            raise BuildError(f"{target} exists and was not made by grader/build.py; move it away or rename the package")
        shutil.rmtree(target)
    target.mkdir()
    (target / "__init__.py").write_text(_init_source(spec), encoding="utf-8")
    for module, text in sources.items():
        header = f"# {MARKER} from reference/{module}.py: edit that file, not this copy.\n"
        (target / f"{module}.py").write_text(header + text, encoding="utf-8")
    return Built(assignment, target, spec.ship)


def build_course(course: Course, assignments: Sequence[str] | None = None) -> list[Built]:
    """Build the helpers of ``assignments`` (default: every assignment of the manifest)."""
    names = list(helper_specs(course)) if assignments is None else list(assignments)
    built = [build_helpers(course, name) for name in names]
    return [b for b in built if b is not None]


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: build, print one line per package, exit 1 on a :class:`BuildError`."""
    parser = argparse.ArgumentParser(prog="python -m grader.build", description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", help="assignments to build (default: all in the manifest)")
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
