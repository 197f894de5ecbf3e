"""Fixtures for the engine tests: notebook builders, one warm fork server per session, a kernel-like env."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader.engine import LocalForkExecutor


def _cell(source: str | tuple[str, dict[str, Any]]) -> Any:
    if isinstance(source, tuple):
        text, metadata = source
        return new_code_cell(text, metadata=metadata)
    if source.startswith("#md "):
        return new_markdown_cell(source[4:])
    return new_code_cell(source)


@pytest.fixture(scope="session")
def make_nb() -> Callable[..., dict[str, Any]]:
    """``make_nb("print(1)", ("1/0", {"tags": [...]}), "#md text")``: a notebook of those cells."""

    def build(*sources: str | tuple[str, dict[str, Any]]) -> dict[str, Any]:
        nb = new_notebook(cells=[_cell(s) for s in sources])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        return nb

    return build


@pytest.fixture(scope="session")
def clean_env() -> dict[str, str]:
    """The environment ``nbgrader autograde`` run from a shell would give its kernel (pytest's marker removed:
    ipykernel stops capturing fd 1/2 when it sees PYTEST_CURRENT_TEST)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    env["NBGRADER_EXECUTION"] = "autograde"
    return env


@pytest.fixture(scope="session")
def fork() -> Iterator[LocalForkExecutor]:
    """One warm server for the session (about a second to start), two notebooks at a time, unsandboxed (what the
    sandbox changes is pinned by test_engine_sandbox.py)."""
    with LocalForkExecutor(jobs=2, sandbox="none") as executor:
        yield executor


_VOLATILE = [
    (re.compile(r"ipykernel_\d+"), "ipykernel_PID"),  # the cell file names carry the process id
    (re.compile(r"\d[\d.e+-]*\s*(ns|µs|μs|us|ms|s)\b"), "T"),  # %time figures (1.2 µs, 1e+03 ns)
    (re.compile(r" at 0x[0-9a-f]+"), " at 0xADDR"),
]


def normalize_text(text: str) -> str:
    for pattern, replacement in _VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def shape(output: dict[str, Any]) -> dict[str, Any]:
    """What must be identical between executors: everything but the traceback's decoration and volatile text."""
    kind = output["output_type"]
    if kind == "stream":
        return {"output_type": kind, "name": output["name"], "text": normalize_text(output["text"])}
    if kind == "error":
        assert isinstance(output["traceback"], list) and all(isinstance(t, str) for t in output["traceback"])
        return {"output_type": kind, "ename": output["ename"], "evalue": output["evalue"]}
    data = {k: normalize_text(v) if isinstance(v, str) else v for k, v in output["data"].items()}
    out = {"output_type": kind, "data": data, "metadata": dict(output["metadata"])}
    if kind == "execute_result":
        out["execution_count"] = output["execution_count"]
    return out


@pytest.fixture(scope="session")
def cell_shapes() -> Callable[[dict[str, Any]], list[Any]]:
    """Per cell: (execution_count, [output shapes], sorted timing keys) — what parity compares."""

    def shapes(nb: dict[str, Any]) -> list[Any]:
        return [
            (
                cell.get("execution_count"),
                [shape(o) for o in cell.get("outputs", [])],
                sorted(cell["metadata"].get("execution", {})),
            )
            for cell in nb["cells"]
        ]

    return shapes
