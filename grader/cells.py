"""nbgrader's metadata of one notebook cell, read one way everywhere: its grade_id and whether students write in it.

A cell nbgrader does not track has no ``metadata.nbgrader`` (or an empty one); every reader here answers None or
False for it rather than raising, whatever a student did to the metadata.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from nbformat import NotebookNode


def nbgrader_meta(cell: NotebookNode | dict[str, Any]) -> dict[str, Any]:
    """The cell's ``metadata.nbgrader`` dict, empty when it has none (or when a student replaced it by a non-dict)."""
    meta = (cell.get("metadata") or {}).get("nbgrader") or {}
    return meta if isinstance(meta, dict) else {}


def grade_id(cell: NotebookNode | dict[str, Any]) -> str | None:
    """The nbgrader grade_id of ``cell``, or None for a cell nbgrader does not track."""
    return nbgrader_meta(cell).get("grade_id")


def is_solution_cell(cell: NotebookNode | dict[str, Any]) -> bool:
    """True for cells the student writes in (nbgrader's ``solution: true``)."""
    return bool(nbgrader_meta(cell).get("solution", False))


def by_grade_id(cells: Iterable[NotebookNode]) -> dict[str, NotebookNode]:
    """The cells that have a grade_id, by it (the last one wins when a student duplicated a cell)."""
    return {name: cell for cell in cells if (name := grade_id(cell)) is not None}


def positions(cells: Iterable[NotebookNode]) -> dict[str, int]:
    """grade_id -> index of each cell that has one."""
    return {name: i for i, cell in enumerate(cells) if (name := grade_id(cell)) is not None}
