"""What a report says about a notebook whose process stopped early: the sentence naming the cell, and the error
outputs that give the stopped cell and every cell that never ran zero points (nbgrader scores a test cell
without output as passed)."""

from __future__ import annotations

import re

import nbformat

from grader.cells import grade_id
from grader.engine.jobs import JobResult

STOPPED = "ExecutionStopped"
"""ename of the error output put on the cell during which a notebook's process ended."""
NOT_RUN = "NotRun"
"""ename of the error output put on code cells that never ran because the process ended earlier."""


def stop_message(nb: nbformat.NotebookNode, result: JobResult, label: str | None = None) -> str:
    """The engine's sentence on why a job stopped, its cell named for people: ``cell 'cube'`` (or ``cell #5``, the
    cell's 1-based position, for a cell without a grade_id) where the engine says ``cell 4``; `label` replaces that
    whole reference instead (e.g. ``"this cell"``)."""
    message = result.message or f"the notebook stopped ({result.status})"
    if result.stopped is None:
        return message
    name = label or f"cell {cell_name(nb, result.stopped)}"
    named, count = re.subn(rf"\bcell {result.stopped}\b", name, message)
    return named if count else f"{message} (in {name})"


def mark_not_run(nb: nbformat.NotebookNode, result: JobResult) -> None:
    """Give the cell during which the job stopped (`JobResult.stopped`), and every code cell that never ran
    (`JobResult.not_run`), an error output.

    Without it a test cell that never ran has no output, which nbgrader scores as full marks.
    """
    stopped = result.stopped if result.status != "ok" else None
    for index in sorted({*result.not_run, *([stopped] if stopped is not None else [])}):
        if index >= len(nb.cells) or nb.cells[index].cell_type != "code":
            continue
        if index == stopped:
            ename, evalue = STOPPED, stop_message(nb, result, label="this cell")
        else:
            ename, evalue = NOT_RUN, f"not run: {stop_message(nb, result)}"
        nb.cells[index].outputs.append(
            nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])
        )


def cell_name(nb: nbformat.NotebookNode, index: int | None) -> str:
    """How reports name a cell: its grade_id in quotes, else ``#`` and its 1-based position."""
    if index is None or index >= len(nb.cells):
        return "?"
    name = grade_id(nb.cells[index])
    return f"'{name}'" if name else f"#{index + 1}"
