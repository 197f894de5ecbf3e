"""grader/hidden.py and grader/checks/loader.py: does a hidden test cell reach the checks of its own assignment,
wherever nbgrader or the grader runs its notebook, and does a malformed grading folder say what to fix?"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from grader import hidden
from grader.checks import loader
from grader.grading import ASSIGNMENT_VARIABLE, COURSE_VARIABLE, SettingsError

CHECKS = '''
from grader.checks import as_number, call_student, fail


def double(fn):
    """fn(x) = 2 x on values the notebook never shows."""
    for x in (-1.5, 0.0, 7.0):
        got = as_number(call_student("double", fn, x), "double")
        if got != 2 * x:
            fail("double", f"double({x}) must be {2 * x}, got {got}")


def _helper():
    return "not a check"
'''
ANSWERS = '''
from grader.checks import Answer

ANSWERS = {"q_sign": Answer("letter", "b", "a square is never negative")}
'''


@pytest.fixture
def course(tmp_path: Path) -> Path:
    root = tmp_path / "course"
    for name, text in {"nbgrader_config.py": "c = get_config()\n", "grading/a1/checks.py": CHECKS,
                       "grading/a1/answers.py": ANSWERS, "source/a1/a1.ipynb": "{}"}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text))
    return root


def test_the_environment_names_the_course_and_the_assignment(tmp_path):
    environ = {COURSE_VARIABLE: str(tmp_path), ASSIGNMENT_VARIABLE: "a1"}
    assert hidden.locate(cwd="/", environ=environ) == (tmp_path, "a1")


@pytest.mark.parametrize("folder", ["source/a1", "autograded/bob/a1", "submitted/bob/a1", "autograded/bob/a1/data"])
def test_else_the_notebooks_folder_does_as_nbgrader_runs_it(course, folder):
    (course / folder).mkdir(parents=True, exist_ok=True)
    assert hidden.locate(cwd=course / folder, environ={}) == (course.resolve(), "a1")


def test_a_folder_outside_any_course_or_assignment_says_how_to_fix_it(course, tmp_path):
    with pytest.raises(LookupError, match=r"not inside an nbgrader course.*GRADER_COURSE"):
        hidden.locate(cwd=tmp_path, environ={})
    (course / "release" / "a2").mkdir(parents=True)
    with pytest.raises(LookupError, match=r"no folder on the way names one of its grading folders \(a1\)"):
        hidden.locate(cwd=course / "release" / "a2", environ={})


def test_a_hidden_check_runs_the_assignments_check_and_answer(course, monkeypatch):
    """What a hidden cell does under plain `nbgrader autograde`: found by its folder, judged by the course."""
    folder = course / "autograded" / "bob" / "a1"
    folder.mkdir(parents=True)
    monkeypatch.chdir(folder)
    monkeypatch.delenv(COURSE_VARIABLE, raising=False)
    hidden.check("double", lambda x: 2 * x)
    hidden.check("q_sign", "(B)")
    with pytest.raises(AssertionError, match=r"double: double\(-1.5\) must be -3.0, got -1.5"):
        hidden.check("double", lambda x: x)
    with pytest.raises(AssertionError, match=r"'a' is not right\. Hint: a square is never negative"):
        hidden.check("q_sign", "a")
    with pytest.raises(LookupError, match=r"a1 has no check or answer named 'triple'.*known: double, q_sign"):
        hidden.check("triple", lambda x: 3 * x)
    with pytest.raises(TypeError, match="an answer is checked on one value"):
        hidden.check("q_sign", "b", "c")


def test_only_public_functions_defined_in_checks_py_are_checks(course):
    assert loader.load(course, "a1").names == ["double", "q_sign"]  # not _helper, nor the imported as_number...


def test_the_checks_are_loaded_once_per_process(course):
    assert hidden.load(course, "a1") is hidden.load(course, "a1")


@pytest.mark.parametrize(("files", "words"), [
    ({"checks.py": "__all__ = ['LIMIT']\nLIMIT = 3\n"}, "__all__ names 'LIMIT', which is not a function"),
    ({"answers.py": "ANSWERS = {'q': 'b'}\n"}, "must define ANSWERS = {'variable': grader.checks.Answer(...)}"),
    ({"checks.py": "def q_sign(fn):\n    pass\n"}, "['q_sign'] are both a check and an answer"),
])
def test_a_malformed_grading_folder_is_named(course, files, words):
    for name, text in files.items():
        (course / "grading" / "a1" / name).write_text(text)
    with pytest.raises(SettingsError) as caught:
        loader.load(course, "a1")
    assert words in str(caught.value)
