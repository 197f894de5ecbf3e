"""The hidden calls a trusted notebook makes: ``hidden.check("name", ...)`` in its test cells, in notebook order.

The judge runs only these, each once, with their literal arguments (a string naming a scheme, a number): a
notebook's own call with other literals, or a call no test cell makes, is refused. Read from the notebook the grader
runs, whose test cells are the instructor's (`grader autograde` restores them from the gradebook before running).
"""

from __future__ import annotations

import ast
import functools
import math
from collections.abc import Mapping
from typing import Any

from grader.judge.session import ANY, Expected

CALLEES = ("hidden.check", "grader.hidden.check")


def _callee(node: ast.expr) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def _literal(node: ast.expr) -> Any:
    """The literal ``node`` is, as it travels to the judge (JSON: a tuple becomes a list); `ANY` for a student's
    value, and for a literal JSON would change (a dict, a set, bytes, a complex number): those match anything."""
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return ANY
    return _faithful(value)


def _faithful(value: Any) -> Any:
    if value is None or type(value) in (bool, int, str) or (type(value) is float and math.isfinite(value)):
        return value
    if type(value) in (list, tuple):
        items = [_faithful(item) for item in value]
        return ANY if any(item is ANY for item in items) else items
    return ANY


def _python(source: str) -> str:
    """A cell's source as Python (IPython's magics turned into calls), as a kernel would run it."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


@functools.lru_cache(maxsize=1024)
def cell_calls(source: str, cell: int, grade_id: str) -> list[Expected]:
    """The ``hidden.check`` calls of one cell, in source order; none when it does not parse. Cached: every
    submission of an assignment has the same test cells (and the result is only read)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        try:
            tree = ast.parse(_python(source))  # IPython's magics, only when plain Python does not parse
        except (SyntaxError, ValueError):
            return []
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call) and _callee(node.func) in CALLEES
             and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)]
    out = []
    for node in sorted(calls, key=lambda n: (n.lineno, n.col_offset)):
        if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
            continue  # *args or **kwargs: not a call the judge can hold to its arguments
        out.append(Expected(cell, grade_id, node.args[0].value, tuple(_literal(a) for a in node.args[1:]),
                            {k.arg: _literal(k.value) for k in node.keywords}))
    return out


def hidden_calls(notebook: Mapping[str, Any]) -> list[Expected]:
    """Every hidden call of the notebook's test cells (graded code cells that are not solutions), in order."""
    out = []
    for index, cell in enumerate(notebook.get("cells", [])):
        meta = (cell.get("metadata") or {}).get("nbgrader") or {}
        if cell.get("cell_type") != "code" or not meta.get("grade") or meta.get("solution"):
            continue
        source = cell.get("source", "")
        out += cell_calls("".join(source) if isinstance(source, list) else str(source), index,
                          str(meta.get("grade_id", f"cell-{index}")))
    return out
