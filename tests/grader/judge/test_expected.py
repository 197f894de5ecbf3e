"""grader/judge/expected.py and session.Expected: which hidden calls of a trusted notebook does the judge accept, with
which literal arguments, and does that list survive its trip to the judge's server?"""

from __future__ import annotations

import json
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader.judge.expected import cell_calls, hidden_calls
from grader.judge.session import ANY, Expected


def _cell(source: str, *, grade: bool, solution: bool, grade_id: str) -> nbformat.NotebookNode:
    return new_code_cell(source, metadata={"nbgrader": {
        "grade": grade, "solution": solution, "locked": not solution, "grade_id": grade_id, "schema_version": 3,
        **({"points": 1} if grade else {})}})


def graded(source: str, grade_id: str) -> nbformat.NotebookNode:
    """A test cell: graded, not a solution."""
    return _cell(source, grade=True, solution=False, grade_id=grade_id)


def calls(notebook: nbformat.NotebookNode) -> list[tuple[Any, ...]]:
    return [(e.cell, e.grade_id, e.name, e.args, dict(e.kwargs)) for e in hidden_calls(notebook)]


def test_only_graded_code_cells_that_are_not_solutions_count() -> None:
    nb = new_notebook(cells=[
        new_markdown_cell('hidden.check("in_markdown", f)'),
        _cell('hidden.check("in_solution", f)', grade=False, solution=True, grade_id="solution"),
        _cell('hidden.check("in_graded_answer", f)', grade=True, solution=True, grade_id="answer"),
        new_code_cell('hidden.check("in_plain_cell", f)'),
        _cell('hidden.check("in_locked_cell", f)', grade=False, solution=False, grade_id="locked"),
        graded('hidden.check("in_test", f)', "test_f"),
    ])
    assert calls(nb) == [(5, "test_f", "in_test", (ANY,), {})]


def test_calls_come_in_notebook_order_then_source_order() -> None:
    nb = new_notebook(cells=[
        graded('hidden.check("b1", f)\nx = 1\nhidden.check("b2", f); hidden.check("b3", f)', "test_b"),
        new_markdown_cell("between"),
        graded('for s in ("x", "y"):\n    hidden.check("a1", f, s)\nhidden.check("a2", f)', "test_a"),
    ])
    assert [(c[0], c[1], c[2]) for c in calls(nb)] == [
        (0, "test_b", "b1"), (0, "test_b", "b2"), (0, "test_b", "b3"), (2, "test_a", "a1"), (2, "test_a", "a2")]


def test_literal_arguments_are_kept_and_everything_else_is_any() -> None:
    source = ('hidden.check("init", initialize, "he", 2, -0.5, [1, (2, "x")], (3, 4), None, True, 1 + 2, '
              'scale, [n, 1], f(3), scheme="xavier", seed=7, rng=rng, dims=(4, 3))')
    (call,) = cell_calls(source, 3, "test_init")
    assert (call.cell, call.grade_id, call.name) == (3, "test_init", "init")
    assert call.args == (ANY, "he", 2, -0.5, [1, [2, "x"]], [3, 4], None, True, ANY, ANY, ANY, ANY)
    assert dict(call.kwargs) == {"scheme": "xavier", "seed": 7, "rng": ANY, "dims": [4, 3]}


def test_grader_hidden_check_counts_and_other_callees_do_not() -> None:
    source = "\n".join([
        'grader.hidden.check("full", f)', 'check("bare", f)', 'other.check("other", f)', 'hidden.run("run", f)',
        'hidden.check(name, f)', 'hidden.check(3, f)', 'hidden.check()', 'x = hidden.check("in_expression", f)',
    ])
    assert [call.name for call in cell_calls(source, 0, "t")] == ["full", "in_expression"]


def test_a_cell_with_ipython_magics_still_parses() -> None:
    source = '%matplotlib inline\n!echo hi\nhidden.check("first", f, "a")\nfiles = !ls\nhidden.check("second", f)'
    assert [(call.name, call.args) for call in cell_calls(source, 0, "t")] == [
        ("first", (ANY, "a")), ("second", (ANY,))]


def test_a_cell_that_does_not_parse_yields_nothing() -> None:
    nb = new_notebook(cells=[graded('hidden.check("broken", f', "test_broken"), graded('hidden.check("ok", f)', "ok")])
    assert [c[2] for c in calls(nb)] == ["ok"]


def test_calls_with_star_args_or_star_star_kwargs_are_skipped() -> None:
    source = 'hidden.check("starred", *args)\nhidden.check("kw", f, **options)\nhidden.check("kept", f, a=1)'
    assert [call.name for call in cell_calls(source, 0, "t")] == ["kept"]


def test_a_source_given_as_a_list_of_lines_is_read_whole() -> None:
    nb = new_notebook(cells=[graded("", "t")])
    nb.cells[0].source = ['hidden.check(\n', '    "split", f,\n', '    "lit")\n']
    assert calls(nb) == [(0, "t", "split", (ANY, "lit"), {})]


# -- Expected -------------------------------------------------------------------------------------------------------


CALL = Expected(2, "test_init", "init", (ANY, "he", [3, 4]), {"seed": 7, "rng": ANY})


@pytest.mark.parametrize(("name", "values", "options", "matches"), [
    ("init", ["f", "he", [3, 4]], {"seed": 7, "rng": object()}, True),
    ("init", [object(), "he", (3, 4)], {"rng": 1, "seed": 7}, True),  # a literal list stands for a tuple too
    ("other", ["f", "he", [3, 4]], {"seed": 7, "rng": 1}, False),
    ("init", ["f", "xavier", [3, 4]], {"seed": 7, "rng": 1}, False),
    ("init", ["f", "he", [3, 5]], {"seed": 7, "rng": 1}, False),
    ("init", ["f", "he", [3, 4, 5]], {"seed": 7, "rng": 1}, False),
    ("init", ["f", "he", [3.0, 4]], {"seed": 7, "rng": 1}, False),  # type for type: 3.0 is not the literal 3
    ("init", ["f", "he", [3, 4]], {"seed": True, "rng": 1}, False),  # nor is True the literal 7 or 1
    ("init", ["f", "he", [3, 4]], {"seed": 8, "rng": 1}, False),
    ("init", ["f", "he", [3, 4]], {"seed": 7}, False),
    ("init", ["f", "he", [3, 4]], {"seed": 7, "rng": 1, "more": 2}, False),
    ("init", ["f", "he"], {"seed": 7, "rng": 1}, False),
    ("init", ["f", "he", [3, 4], 5], {"seed": 7, "rng": 1}, False),
])
def test_a_request_matches_a_hidden_call_with_its_literals_type_for_type(
        name: str, values: list[Any], options: dict[str, Any], matches: bool) -> None:
    assert CALL.matches(name, values, options) is matches


def test_an_expected_call_survives_the_trip_to_the_judge_as_json() -> None:
    data = json.loads(json.dumps(CALL.to_dict()))
    assert data == {"cell": 2, "grade_id": "test_init", "name": "init", "args": [{"$any": True}, "he", [3, 4]],
                    "kwargs": {"seed": 7, "rng": {"$any": True}}}
    back = Expected.from_dict(data)
    assert back == CALL
    assert back.args[0] is ANY and back.kwargs["rng"] is ANY


def test_the_calls_of_a_notebook_match_the_same_requests_after_the_trip() -> None:
    (call,) = cell_calls('hidden.check("init", f, "he", (3, 4), [1.5, None], seed=-1)', 0, "t")
    back = Expected.from_dict(json.loads(json.dumps(call.to_dict())))
    request = ("init", ["f", "he", (3, 4), [1.5, None]], {"seed": -1})
    assert call.matches(*request) and back.matches(*request)


def test_a_dict_literal_with_int_keys_matches_after_the_trip() -> None:
    (call,) = cell_calls('hidden.check("x", f, {1: "a"})', 0, "t")
    back = Expected.from_dict(json.loads(json.dumps(call.to_dict())))
    assert back.matches("x", ["f", {1: "a"}], {})
