"""The students' wheel: the ``grader`` package alone (for ``grader check``), without the course's solutions.

``pip install`` of this repository ships ``reference/`` too, the course's solutions, which the hidden checks compute
their truth with. Students install this wheel instead (docs/students.md)::

    python -m grader.checker_wheel --dist dist    # dist/symmetry_grader_check-<version>-py3-none-any.whl

pip builds it (``pip wheel``, with setuptools) from a scratch folder that holds a copy of ``grader/`` and a
``pyproject.toml`` made from this repository's (its version, dependencies, ``grader`` command and package data), so
nothing else of the checkout can get in. The build uses the setuptools installed here when it can build wheels
(70.1 or later: no network needed), else pip's isolated build, which downloads it.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

NAME = "symmetry-grader-check"
PACKAGE = Path(__file__).resolve().parent
PROJECT = PACKAGE.parent
README = """# symmetry-grader-check

`grader check NOTEBOOK`: run a released notebook of the course from a clean state and score its public tests, as
the course's autograder does. The `grader` package alone: no course, no solutions. See docs/students.md of the
course's repository.
"""


def pyproject(project: dict) -> str:
    """The scratch project's ``pyproject.toml`` from ``project``, this repository's parsed one."""
    meta, setuptools = project["project"], project.get("tool", {}).get("setuptools", {})
    data = setuptools.get("package-data", {}).get("grader", [])
    string = json.dumps  # a JSON string or list of strings is valid TOML
    return "\n".join([
        "[build-system]",
        'requires = ["setuptools>=70.1"]',
        'build-backend = "setuptools.build_meta"',
        "",
        "[project]",
        f"name = {string(NAME)}",
        f"version = {string(meta['version'])}",
        f"description = {string('grader check for students: run a notebook and score its public tests')}",
        'readme = "README.md"',
        f"requires-python = {string(meta.get('requires-python', '>=3.10'))}",
        f"dependencies = {string(meta['dependencies'])}",
        "",
        "[project.scripts]",
        *(f"{name} = {string(target)}" for name, target in meta.get("scripts", {}).items()),
        "",
        "[tool.setuptools.packages.find]",
        'include = ["grader*"]',
        "",
        "[tool.setuptools.package-data]",
        f"grader = {string(data)}",
        "",
    ])


def build(dist: Path | str, *, project: Path = PROJECT) -> Path:
    """Build the wheel into the folder ``dist``; its path. Raises CalledProcessError when pip fails."""
    dist = Path(dist).resolve()
    dist.mkdir(parents=True, exist_ok=True)
    settings = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="checker-wheel-") as scratch:
        root = Path(scratch)
        shutil.copytree(project / "grader", root / "grader", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        (root / "pyproject.toml").write_text(pyproject(settings), encoding="utf-8")
        (root / "README.md").write_text(README, encoding="utf-8")
        offline = importlib.util.find_spec("setuptools.command.bdist_wheel") is not None
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(dist),
                        *(["--no-build-isolation"] if offline else []), str(root)], check=True)
    version = settings["project"]["version"]
    return dist / f"{NAME.replace('-', '_')}-{version}-py3-none-any.whl"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.checker_wheel", description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=PROJECT / "dist", help="where to write it (default: dist/)")
    args = parser.parse_args(argv)
    if not (PROJECT / "pyproject.toml").is_file():
        print(f"no pyproject.toml in {PROJECT}: build the checker wheel from a checkout of the repository",
              file=sys.stderr)
        return 2
    try:
        path = build(args.dist)
    except subprocess.CalledProcessError as exc:
        print(f"building the checker wheel failed: pip exited with {exc.returncode}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
