"""grader/grading.py: does the tool find a course's engine settings, each assignment's settings and its grading
modules, and name the file and the fix when one is malformed?"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from grader import grading
from grader.grading import SettingsError


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def test_a_course_without_settings_gets_the_defaults(tmp_path):
    settings = grading.engine_settings(tmp_path)
    assert settings.preload == grading.DEFAULT_PRELOAD and settings.watch == grading.DEFAULT_WATCH
    assert settings.course is None  # no grading folder: nothing to show the sandbox, no checks to load
    assert grading.read_settings(tmp_path, "a1") == grading.AssignmentSettings()
    assert grading.grading_assignments(tmp_path) == []
    assert grading.mutants_for(tmp_path, "a1") == []


def test_the_course_adds_to_what_kernels_preload_and_the_guard_watches(tmp_path):
    write(tmp_path, {"nbgrader_config.py": """\
        c = get_config()
        c.Engine.preload = ["mylib", "numpy"]
        c.Engine.watch = ["mylib.*"]
        """, "grading/a1/checks.py": ""})
    settings = grading.engine_settings(tmp_path)
    assert settings.preload == (*grading.DEFAULT_PRELOAD, "mylib")
    assert settings.watch == (*grading.DEFAULT_WATCH, "mylib.*")
    assert settings.course == str(tmp_path.resolve())


@pytest.mark.parametrize(("line", "words"), [
    ('c.Engine.preload = "mylib"', "c.Engine.preload must be a list of module names"),
    ("c.Engine.watch = [1]", "c.Engine.watch must be a list"),
    ('c.Engine.preloads = ["x"]', "unknown c.Engine settings ['preloads']"),
])
def test_malformed_engine_settings_name_the_config_file(tmp_path, line, words):
    write(tmp_path, {"nbgrader_config.py": f"c = get_config()\n{line}\n"})
    with pytest.raises(SettingsError, match=r"nbgrader_config\.py") as caught:
        grading.engine_settings(tmp_path)
    assert words in str(caught.value)


def test_assignment_settings_are_read_from_its_toml(tmp_path):
    write(tmp_path, {"grading/a1/assignment.toml": """\
        [helpers]
        ship = ["data"]
        withhold = ["solutions"]
        [budget]
        seconds = 7.5
        [spec]
        anything = {goes = 1}
        """})
    settings = grading.read_settings(tmp_path, "a1")
    assert settings.ship == ("data",) and settings.withhold == ("solutions",)
    assert settings.budget_seconds == 7.5 and settings.spec == {"anything": {"goes": 1}}


@pytest.mark.parametrize(("text", "words"), [
    ("[helpers\n", "is not valid TOML"),
    ("[helper]\nship = []\n", "unknown tables ['helper']"),
    ('[helpers]\nwithhold = ["x"]\n', "takes a list 'ship'"),
    ('[helpers]\nship = "data"\n', "ship must be a list"),
    ('[helpers]\nship = ["a"]\nwithhold = ["a"]\n', "ships ['a'], which it also withholds"),
    ("[budget]\nseconds = -1\n", "[budget] takes one positive number"),
    ("[budget]\nminutes = 3\n", "[budget] takes one positive number"),
])
def test_malformed_assignment_settings_name_the_file_and_the_fix(tmp_path, text, words):
    write(tmp_path, {"grading/a1/assignment.toml": text})
    with pytest.raises(SettingsError, match=r"assignment\.toml") as caught:
        grading.read_settings(tmp_path, "a1")
    assert words in str(caught.value)


MISTAKES = """\
    from grader.mutants import MutantSet

    MUTANTS = MutantSet()


    @MUTANTS.function(cell="double", replaces="double", targets=("test_double",), expect=("twice",),
                      description="I added instead of multiplying")
    def double_adds(x):
        return x + 2
    """


def test_grading_modules_import_as_a_package_of_their_own_with_shared_code(tmp_path):
    """No __init__.py needed; a folder that is not an assignment holds code several share (relative imports)."""
    write(tmp_path, {"grading/common/util.py": "FACTOR = 2\n",
                     "grading/a1/checks.py": "from ..common.util import FACTOR\n\ndef double(fn):\n    return FACTOR\n",
                     "grading/a1/mistakes.py": MISTAKES})
    checks = grading.import_part(tmp_path, "a1", "checks")
    assert checks.__name__ == f"{grading.package_name(tmp_path)}.a1.checks" and checks.FACTOR == 2
    assert grading.import_part(tmp_path, "a1", "answers") is None
    assert grading.grading_assignments(tmp_path) == ["a1"]  # common/ has no checks, answers or mistakes
    (mutant,) = grading.mutants_for(tmp_path, "a1")
    assert (mutant.name, mutant.assignment, mutant.cell) == ("double_adds", "a1", "double")
    assert mutant.code.startswith("def double(x):")


def test_two_courses_never_share_grading_modules(tmp_path):
    first = write(tmp_path / "one", {"grading/a1/checks.py": "WHO = 'one'\n"})
    second = write(tmp_path / "two", {"grading/a1/checks.py": "WHO = 'two'\n"})
    assert grading.package_name(first) != grading.package_name(second)
    assert grading.import_part(first, "a1", "checks").WHO == "one"
    assert grading.import_part(second, "a1", "checks").WHO == "two"


def test_a_malformed_mistake_library_is_named(tmp_path):
    write(tmp_path, {"grading/a1/mistakes.py": "MUTANTS = []\n",
                     "grading/a2/mistakes.py": MISTAKES.replace("MutantSet()", 'MutantSet("a1")'),
                     "grading/a3/mistakes.py": MISTAKES, "grading/a4/mistakes.py": MISTAKES})
    with pytest.raises(SettingsError, match=r"a1/mistakes\.py must define MUTANTS = grader\.mutants\.MutantSet\(\)"):
        grading.mutants_for(tmp_path, "a1")
    with pytest.raises(SettingsError, match=r"MutantSet\('a1'\) is in the grading folder of 'a2'"):
        grading.mutants_for(tmp_path, "a2")
    with pytest.raises(SettingsError, match="'double_adds' is used by a3 and a4"):
        grading.course_mutants(tmp_path, ["a3", "a4"])
