"""grader/verdicts.py: does a test cell the judge failed, but whose outputs show no error, get an error output (and
only such a cell), and does the grade report get one sentence per cell so changed?"""

from __future__ import annotations

from typing import Any

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from grader.verdicts import JUDGED, apply_verdicts, failed_cells


def verdict(cell: int, status: str, name: str = "double", ename: str = "", message: str = "") -> dict[str, Any]:
    """One entry of `JobResult.verdicts`, as `grader.judge.host` writes it."""
    return {"cell": cell, "grade_id": f"test_{cell}", "name": name, "status": status, "ename": ename,
            "message": message}


def notebook(cells: int = 6) -> nbformat.NotebookNode:
    """Code cells that ran without error (a printed line each), and a markdown cell at the end."""
    return new_notebook(cells=[
        *(new_code_cell("hidden.check('double', double)", outputs=[new_output("stream", text="ok\n")])
          for _ in range(cells)),
        new_markdown_cell("the end"),
    ])


def errors(cell: nbformat.NotebookNode) -> list[tuple[str, str]]:
    return [(o.ename, o.evalue) for o in cell.outputs if o.output_type == "error"]


def test_a_failed_check_gets_an_error_output_with_its_exception_and_message() -> None:
    nb = notebook()
    problems = apply_verdicts(nb, [verdict(1, "failed", ename="AssertionError", message="double: wrong at -1.5")])
    assert errors(nb.cells[1]) == [("AssertionError", "double: wrong at -1.5")]
    error = nb.cells[1].outputs[-1]
    assert error.traceback == ["AssertionError: double: wrong at -1.5"]
    assert nb.cells[1].outputs[0].output_type == "stream"  # what the cell showed stays
    assert problems == ["cell 'test_1' showed no error, but its hidden test 'double' did not pass in the judge "
                        "(failed): scored 0"]
    nbformat.validate(nb)


def test_a_failed_check_keeps_the_exception_type_it_raised() -> None:
    nb = notebook()
    apply_verdicts(nb, [verdict(0, "failed", ename="ValueError", message="bad aspect")])
    assert errors(nb.cells[0]) == [("ValueError", "bad aspect")]


def test_a_failed_check_without_a_message_or_exception_still_says_which_test_failed() -> None:
    nb = notebook()
    apply_verdicts(nb, [verdict(0, "failed")])
    assert errors(nb.cells[0]) == [("AssertionError", "double: the hidden test failed")]


def test_an_unfinished_or_missing_check_gets_a_judge_verdict_error() -> None:
    nb = notebook()
    problems = apply_verdicts(nb, [verdict(2, "unfinished", ename="AssertionError", message="ignored"),
                                   verdict(3, "missing")])
    assert errors(nb.cells[2]) == [(JUDGED, "double: the hidden test did not finish")]
    assert errors(nb.cells[3]) == [(JUDGED, "double: the hidden test never ran (the notebook did not reach the judge)")]
    assert JUDGED == "JudgeVerdict"
    assert [p.split(":")[-1] for p in problems] == [" scored 0"] * 2
    assert "(unfinished)" in problems[0] and "(missing)" in problems[1]


def test_a_cell_that_already_shows_an_error_is_left_as_it_is() -> None:
    nb = notebook()
    shown = new_output("error", ename="AssertionError", evalue="the student's own failure", traceback=[])
    nb.cells[1].outputs.append(shown)
    before = [dict(o) for o in nb.cells[1].outputs]
    assert apply_verdicts(nb, [verdict(1, "failed", ename="AssertionError", message="double: wrong")]) == []
    assert [dict(o) for o in nb.cells[1].outputs] == before


def test_passed_verdicts_change_nothing() -> None:
    nb = notebook()
    before = nbformat.writes(nb)
    assert apply_verdicts(nb, [verdict(i, "passed") for i in range(6)]) == []
    assert nbformat.writes(nb) == before


def test_only_the_cells_that_did_not_pass_change_and_one_problem_each() -> None:
    nb = notebook()
    problems = apply_verdicts(nb, [
        verdict(0, "passed"), verdict(1, "failed", message="one"), verdict(2, "passed"), verdict(4, "missing"),
        verdict(4, "failed", message="two"),  # the same cell again: one error output, one sentence
    ])
    assert [bool(errors(cell)) for cell in nb.cells[:6]] == [False, True, False, False, True, False]
    assert len(problems) == 2
    assert problems[0].startswith("cell 'test_1'") and problems[1].startswith("cell 'test_4'")


def test_a_verdict_for_a_cell_that_is_not_code_or_not_there_is_ignored() -> None:
    nb = notebook(cells=2)
    before = nbformat.writes(nb)
    assert apply_verdicts(nb, [verdict(2, "failed", message="markdown"), verdict(9, "missing")]) == []
    assert nbformat.writes(nb) == before


def test_failed_cells_keeps_the_first_failing_verdict_of_each_cell() -> None:
    first, second = verdict(1, "missing", name="a"), verdict(1, "failed", name="b")
    other = verdict(3, "unfinished", name="c")
    out = failed_cells([verdict(0, "passed"), verdict(1, "passed"), first, second, other, verdict(3, "passed")])
    assert out == {1: first, 3: other}
    assert out[1] is first


def test_failed_cells_of_no_verdicts_is_empty() -> None:
    assert failed_cells([]) == {}
