"""What the judge's verdicts do to an executed notebook: a test cell scores only when its hidden calls passed there.

nbgrader scores a test cell from its outputs: no error output is full marks. The notebook's process shows the
judge's verdict (the client raises the check's AssertionError), but that process runs the student's code, which
could swallow the error or fake the client. So the grader goes by the judge's own record (`JobResult.verdicts`): a
test cell with a hidden call that failed, did not finish or never reached the judge gets an error output saying so
when it has none; its outputs are otherwise left as they are (a failure shown there stays).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import nbformat

JUDGED = "JudgeVerdict"
"""ename of an error output added because the judge's record failed a cell that showed no error."""
MAX_MESSAGE = 4000
"""Characters of a judge's message written into a notebook (the judge cuts its own; this holds whatever it says)."""


def failed_cells(verdicts: Iterable[Mapping[str, Any]]) -> dict[int, Mapping[str, Any]]:
    """Cell index -> the first verdict that fails it (``failed``, ``unfinished`` or ``missing``)."""
    out: dict[int, Mapping[str, Any]] = {}
    for verdict in verdicts:
        if verdict.get("status") != "passed":
            out.setdefault(int(verdict["cell"]), verdict)
    return out


def _message(verdict: Mapping[str, Any]) -> str:
    status, name = verdict.get("status"), str(verdict.get("name"))[:200]
    if status == "failed":
        return str(verdict.get("message") or f"{name}: the hidden test failed")[:MAX_MESSAGE]
    if status == "unfinished":
        return f"{name}: the hidden test did not finish"
    return f"{name}: the hidden test never ran (the notebook did not reach the judge)"


def apply_verdicts(nb: nbformat.NotebookNode, verdicts: Iterable[Mapping[str, Any]]) -> list[str]:
    """Give every test cell the judge failed, and whose outputs show no error, an error output with the judge's
    message; one sentence per such cell (a notebook that hid a failure), for the grade report."""
    problems = []
    for index, verdict in sorted(failed_cells(verdicts).items()):
        if index >= len(nb.cells) or nb.cells[index].cell_type != "code":
            continue
        cell = nb.cells[index]
        if any(output.get("output_type") == "error" for output in cell.outputs):
            continue
        ename = str(verdict.get("ename") or "AssertionError")[:100] if verdict.get("status") == "failed" else JUDGED
        evalue = _message(verdict)
        error = nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])
        cell.outputs.append(error)
        problems.append(f"cell '{verdict.get('grade_id')}' showed no error, but its hidden test "
                        f"{verdict.get('name')!r} did not pass in the judge ({verdict.get('status')}): scored 0")
    return problems
