"""The modules the engine names by string (preloads and the guard's watch list), which import-linter cannot see:
each exists, and none is one the engine's layer may not import."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from grader import grading
from grader.engine import warm

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
NAMED = sorted({*warm.DEFAULT_PRELOAD, *grading.DEFAULT_PRELOAD, *warm.WATCHED, *grading.DEFAULT_WATCH})


def engine_forbidden() -> list[str]:
    """The modules pyproject's import-linter contract forbids the engine to import."""
    contracts = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]["contracts"]
    (engine,) = [c for c in contracts if c.get("source_modules") == ["grader.engine"]]
    return engine["forbidden_modules"]


@pytest.mark.parametrize("name", NAMED)
def test_each_module_named_by_string_exists(name: str) -> None:
    module = name.removesuffix(".*")
    assert importlib.util.find_spec(module) is not None, f"{name} names no module"


def test_no_module_named_by_string_breaks_the_engine_layer() -> None:
    forbidden = engine_forbidden()
    assert "grader.autograde" in forbidden and "reference" in forbidden  # the contract is the one we mean
    broken = [n for n in NAMED for f in forbidden if n.removesuffix(".*") == f or n.startswith(f"{f}.")]
    assert broken == []
