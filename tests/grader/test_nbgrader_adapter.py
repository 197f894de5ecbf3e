"""grader/nbgrader_adapter.py: is the nbgrader code it mirrors still the code it was written against, and is it the
only module that reaches into nbgrader?"""

from __future__ import annotations

import ast
import hashlib
import importlib
import inspect
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import nbgrader
import pytest

from grader import nbgrader_adapter
from grader.nbgrader_adapter import MIRRORED, NBGRADER_VERSION, Mirrored

GRADER = Path(nbgrader_adapter.__file__).parent
ADAPTER = Path(nbgrader_adapter.__file__)
ENGINE_EXTENDS = {
    ("grader/engine/kernel.py", "_Execute", "__init__"),
    ("grader/engine/kernel.py", "_Execute", "on_cell_executed"),
}
"""Overrides of nbgrader outside the adapter, on purpose: the kernel executor extends nbgrader's Execute (calling it),
and the engine may not import the adapter (it imports the gradebook steps); MIRRORED records on_cell_executed."""


def resolve(path: str) -> Any:
    """The object at a dotted path: the longest importable module, then attributes."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            found = getattr(found, name)
        return found
    raise ImportError(path)


def source_hash(function: Any) -> str:
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()


def changed(mirrored: Mirrored) -> str | None:
    """Why ``mirrored`` no longer matches the installed nbgrader (None when it does)."""
    versions = f"installed nbgrader {nbgrader.__version__}, grader/nbgrader_adapter.py mirrors {NBGRADER_VERSION}"
    recheck = f"re-check in the adapter: {mirrored.recheck}"
    try:
        function = resolve(mirrored.path)
    except (ImportError, AttributeError):
        return f"{mirrored.path} no longer exists ({versions}); {recheck}."
    actual = source_hash(function)
    if actual == mirrored.sha256:
        return None
    return (f"the source of {mirrored.path} is not the one recorded ({versions}); {recheck}; then record its new "
            f"sha256 in MIRRORED: {actual}")


@pytest.mark.parametrize("mirrored", MIRRORED, ids=[m.path.removeprefix("nbgrader.") for m in MIRRORED])
def test_each_mirrored_nbgrader_function_is_the_one_the_adapter_was_written_against(mirrored: Mirrored) -> None:
    """Is the source of every nbgrader function the adapter copies, overrides or relies on unchanged?"""
    problem = changed(mirrored)
    assert problem is None, problem


def test_a_wrong_recorded_hash_is_reported_with_the_function_and_what_to_recheck() -> None:
    mirrored = MIRRORED[0]
    wrong = Mirrored(mirrored.path, "0" * 64, mirrored.recheck)
    problem = changed(wrong)
    assert problem is not None and mirrored.path in problem and mirrored.recheck in problem
    assert source_hash(resolve(mirrored.path)) in problem
    assert "no longer exists" in changed(Mirrored("nbgrader.preprocessors.OverwriteCells.gone", "", "x"))


def _nbgrader_method(classes: Iterable[type], name: str) -> Any | None:
    """The nbgrader function that ``name`` overrides in a class whose bases, in method resolution order, are
    ``classes``; None when it overrides none."""
    for base in classes:
        if base.__module__.startswith("nbgrader.") and name in vars(base):
            return vars(base)[name]
    return None


def test_every_nbgrader_method_the_adapter_overrides_is_in_mirrored() -> None:
    recorded = {resolve(m.path) for m in MIRRORED}
    missing = []
    for cls in vars(nbgrader_adapter).values():
        if isinstance(cls, type) and cls.__module__ == nbgrader_adapter.__name__:
            for name, value in vars(cls).items():
                overridden = _nbgrader_method(cls.__mro__[1:], name)
                if inspect.isfunction(value) and overridden is not None and overridden not in recorded:
                    missing.append(f"{cls.__name__}.{name} overrides {overridden.__qualname__}")
    assert not missing, f"record these in nbgrader_adapter.MIRRORED: {missing}"


def _nbgrader_private_names() -> set[str]:
    """Every ``_name`` nbgrader defines (functions, methods, attributes, class variables), dunders excluded."""
    names = set()
    for path in Path(nbgrader.__file__).parent.rglob("*.py"):
        if "tests" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
    return {n for n in names if re.fullmatch(r"_[A-Za-z]\w*", n) and not n.startswith("__")}


def _grader_modules() -> list[tuple[str, ast.Module]]:
    return [(str(path.relative_to(GRADER.parent)), ast.parse(path.read_text(encoding="utf-8")))
            for path in sorted(GRADER.rglob("*.py")) if path != ADAPTER]


def test_only_the_adapter_uses_nbgraders_private_names() -> None:
    """No ``x._name`` and no method ``_name`` outside the adapter, for any private name of nbgrader."""
    private = _nbgrader_private_names()
    assert {"_add_score", "_remove_hidden_test_region"} <= private
    found = []
    for where, tree in _grader_modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in private:
                found.append(f"{where}:{node.lineno}: .{node.attr}")
            elif isinstance(node, ast.ClassDef):
                found += [f"{where}:{item.lineno}: def {item.name}" for item in node.body
                          if isinstance(item, ast.FunctionDef) and item.name in private]
    assert not found, f"nbgrader's private names outside grader/nbgrader_adapter.py: {found}"


def _reaches_nbgrader(module: str | None) -> bool:
    """Whether classes imported from ``module`` may be nbgrader's or subclasses of them (the adapter's)."""
    return module is not None and (module.split(".")[0] == "nbgrader" or module == nbgrader_adapter.__name__)


def test_no_class_outside_the_adapter_overrides_nbgraders_methods() -> None:
    """Subclasses of nbgrader's classes (or of the adapter's) elsewhere add methods of their own only."""
    found = []
    for where, tree in _grader_modules():
        imported = {alias.asname or alias.name: f"{node.module}.{alias.name}" for node in ast.walk(tree)
                    if isinstance(node, ast.ImportFrom) and _reaches_nbgrader(node.module) for alias in node.names}
        for node in ast.walk(tree):
            if not isinstance(node, ast.ClassDef):
                continue
            bases = [resolve(imported[b.id]) for b in node.bases if isinstance(b, ast.Name) and b.id in imported]
            for item in node.body:
                if not isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                overridden = [_nbgrader_method(b.__mro__, item.name) for b in bases if isinstance(b, type)]
                if any(overridden) and (where, node.name, item.name) not in ENGINE_EXTENDS:
                    found.append(f"{where}:{item.lineno}: {node.name}.{item.name}")
    assert not found, f"overrides of nbgrader's methods belong in grader/nbgrader_adapter.py: {found}"
