"""grader/variants.py: does each student get their own numbers, from a key the course keeps, one stream per question,
recorded so that a regrade after the generator changed uses the same numbers, and fixable for one student?"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import stat
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from grader import grading, variants
from grader.demo import ROSTER
from grader.errors import GraderError, UsageError
from grader.variants import (
    KEY_FILE,
    KEY_VARIABLE,
    GeneratorError,
    OverrideError,
    ParameterValueError,
    VariantError,
    VariantKeyError,
)

KEY_A = bytes(range(32))
KEY_B = bytes(range(100, 132))
CLASS = (*ROSTER, "gjohansson", "hnguyen", "iokonkwo", "jmartin", "kpatel", "lrossi", "mschmidt", "nsato",
         "oandersen", "pkowalski", "qli", "rgarcia", "sdubois", "tkim", "umensah", "vpetrov", "wmuller", "xzhang",
         "ybrown", "zsilva", "aabara", "bbianchi", "ccohen", "ddiallo")
"""The demo's class extended to 30 ids."""
QUANTITIES = ("depth", "width", "m")

GENERATOR = """\
    VERSION = "1"


    def parameters(stream):
        return {"depth": int(stream("q1").integers(2, 9)),      # 7 values
                "width": int(stream("q2").integers(3, 10)),     # 7 values
                "m": int(stream("q3").integers(8, 15)),         # 7 values
                "lr": float(stream("q3").uniform(0.01, 0.1))}   # the same question's stream, drawn afresh
    """
CHANGED = """\
    VERSION = "2-wider-ranges"


    def parameters(stream):
        return {"depth": int(stream("q1").integers(100, 200)),
                "width": int(stream("q2").integers(100, 200)),
                "m": int(stream("q3").integers(100, 200)),
                "lr": 0.5}
    """


def write_generator(root: Path, text: str, assignment: str = "a1") -> Path:
    path = root / "grading" / assignment / "variants.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    later = path.stat().st_mtime + 10  # a changed file never passes for its cached bytecode of the same second
    os.utime(path, (later, later))
    return path


def new_process(root: Path) -> None:
    """Forget the course's imported grading modules, as a new `grader` process would not have them."""
    name = grading.package_name(root)
    for module in [m for m in sys.modules if m == name or m.startswith(f"{name}.")]:
        del sys.modules[module]


@pytest.fixture(autouse=True)
def no_key_in_environment(monkeypatch):
    monkeypatch.delenv(KEY_VARIABLE, raising=False)


@pytest.fixture
def course(tmp_path, monkeypatch) -> Iterator[Path]:
    """A course with generator GENERATOR for assignment a1 and the fixed key KEY_A (the numbers are reproducible)."""
    monkeypatch.setenv(KEY_VARIABLE, KEY_A.hex())
    write_generator(tmp_path, GENERATOR)
    yield tmp_path
    new_process(tmp_path)


def first_draw(key: bytes, student: str, question: str, assignment: str = "a1", override: int | None = None) -> int:
    return int(variants.streams(key, assignment, student, override)(question).integers(2**63))


def one_line(error: BaseException) -> bool:
    return isinstance(error, GraderError) and "\n" not in str(error) and bool(str(error))


# -- deriving --------------------------------------------------------------------------------------------------------

def test_a_stream_is_the_documented_hmac_of_assignment_student_and_question():
    """No Python hash(): the same numbers in every process, on every machine with the key."""
    digest = hmac.new(KEY_A, b"a1\0aokafor\0q1", hashlib.sha256).digest()
    expected = np.random.Generator(np.random.PCG64(np.random.SeedSequence(int.from_bytes(digest, "big"))))
    stream = variants.streams(KEY_A, "a1", "aokafor")
    assert np.array_equal(stream("q1").integers(2**63, size=4), expected.integers(2**63, size=4))
    assert np.array_equal(stream("q1").random(3), stream("q1").random(3))  # a new generator each call, same draws


def test_streams_differ_across_students_questions_assignments_and_keys():
    base = first_draw(KEY_A, "aokafor", "q1")
    assert base == first_draw(KEY_A, "aokafor", "q1")
    others = {first_draw(KEY_A, "bcarter", "q1"), first_draw(KEY_A, "aokafor", "q2"),
              first_draw(KEY_A, "aokafor", "q1", assignment="a2"), first_draw(KEY_B, "aokafor", "q1")}
    assert base not in others and len(others) == 4
    for student in CLASS:  # another key moves every student
        assert first_draw(KEY_A, student, "q1") != first_draw(KEY_B, student, "q1")


def test_an_override_seed_never_gives_the_variant_of_a_student_named_like_it():
    assert first_draw(KEY_A, "aokafor", "q1", override=7) == first_draw(KEY_A, "bcarter", "q1", override=7)
    assert first_draw(KEY_A, "aokafor", "q1", override=7) != first_draw(KEY_A, "7", "q1")


def test_streams_of_two_questions_are_independent():
    """Parts do not move together: each question's first draw is its own, and drawing one never shifts another."""
    for student in CLASS:
        stream = variants.streams(KEY_A, "a1", student)
        q1_alone = stream("q1").integers(2**63)
        stream("q2").integers(2**63, size=5)
        assert stream("q1").integers(2**63) == q1_alone != stream("q2").integers(2**63)


def test_a_class_of_30_gets_at_least_5_values_of_each_quantity(course):
    found = {student: variants.derive(course, "a1", student).parameters for student in CLASS}
    assert len(CLASS) == len(set(CLASS)) == 30
    for quantity in QUANTITIES:
        assert len({p[quantity] for p in found.values()}) >= 5, quantity
    # one quantity does not decide another: more (depth, width) pairs than values of either
    pairs = {(p["depth"], p["width"]) for p in found.values()}
    assert len(pairs) > max(len({p["depth"] for p in found.values()}), len({p["width"] for p in found.values()}))
    assert len({p["lr"] for p in found.values()}) == 30


# -- the key ---------------------------------------------------------------------------------------------------------

def test_the_key_file_is_made_once_with_mode_0600_and_reused(tmp_path):
    old = os.umask(0)  # even a permissive umask leaves the key to its owner
    try:
        key = variants.course_key(tmp_path)
    finally:
        os.umask(old)
    path = tmp_path / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(key) == variants.KEY_BYTES and path.read_text() == f"{key.hex()}\n"
    assert variants.course_key(tmp_path) == key
    assert [p.name for p in tmp_path.iterdir()] == [KEY_FILE]  # nothing left over from writing it


def test_the_environment_key_wins_over_the_file_and_makes_none(tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_VARIABLE, KEY_B.hex())
    assert variants.course_key(tmp_path) == KEY_B and not (tmp_path / KEY_FILE).exists()
    monkeypatch.delenv(KEY_VARIABLE)
    file_key = variants.course_key(tmp_path)
    monkeypatch.setenv(KEY_VARIABLE, KEY_B.hex())
    assert file_key != KEY_B and variants.course_key(tmp_path) == KEY_B
    write_generator(tmp_path, GENERATOR)
    try:
        derived = variants.derive(tmp_path, "a1", "cwei").parameters
    finally:
        new_process(tmp_path)
    assert derived["depth"] == int(variants.streams(KEY_B, "a1", "cwei")("q1").integers(2, 9))


@pytest.mark.parametrize("text", ["not hex", "00" * 15, ""])
def test_a_bad_key_is_refused_without_echoing_it(tmp_path, monkeypatch, text):
    (tmp_path / KEY_FILE).write_text(text)
    with pytest.raises(VariantKeyError, match=f"{KEY_FILE} is not a hex key of at least 16 bytes") as caught:
        variants.course_key(tmp_path)
    assert one_line(caught.value)
    if text.strip():
        monkeypatch.setenv(KEY_VARIABLE, text)
        with pytest.raises(VariantKeyError, match=f"{KEY_VARIABLE} is not a hex key") as caught:
            variants.course_key(tmp_path)
        assert text not in str(caught.value) and one_line(caught.value)


# -- the record ------------------------------------------------------------------------------------------------------

def test_the_first_lookup_records_the_variant_in_the_course(course):
    variant = variants.lookup(course, "a1", "aokafor")
    path = course / "variants" / "a1" / "aokafor.json"  # beside the gradebook: no nbgrader step folder holds it
    assert variants.record_path(course, "a1", "aokafor") == path
    assert json.loads(path.read_text()) == {"student": "aokafor", "assignment": "a1", "version": "1",
                                            "parameters": variant.parameters, "override": None}
    assert variant == variants.derive(course, "a1", "aokafor")
    assert variants.recorded(course, "a1") == {"aokafor": variant}


def test_the_record_pins_the_parameters_after_the_generator_changed_and_refresh_derives_again(course):
    first = {student: variants.lookup(course, "a1", student) for student in ROSTER}
    write_generator(course, CHANGED)
    new_process(course)  # a regrade is a new process: it imports the changed generator
    assert variants.derive(course, "a1", "aokafor").version == "2-wider-ranges"  # the new code is the one loaded
    assert variants.derive(course, "a1", "aokafor").parameters != first["aokafor"].parameters
    assert {student: variants.lookup(course, "a1", student) for student in ROSTER} == first
    refreshed = variants.refresh(course, "a1", "aokafor")
    assert refreshed.version == "2-wider-ranges" and refreshed.parameters["depth"] >= 100
    assert variants.lookup(course, "a1", "aokafor") == refreshed
    assert variants.lookup(course, "a1", "bcarter") == first["bcarter"]  # refreshing one touches no one else
    assert variants.lookup(course, "a1", "newcomer").version == "2-wider-ranges"  # new students: the new code


def test_a_recorded_variant_is_read_even_when_the_generator_broke_since(course):
    first = variants.lookup(course, "a1", "aokafor")
    write_generator(course, "VERSION = 'broken'\nraise RuntimeError('half-edited')\n")
    new_process(course)
    assert variants.lookup(course, "a1", "aokafor") == first
    with pytest.raises(GeneratorError, match="importing it raised RuntimeError: half-edited") as caught:
        variants.lookup(course, "a1", "bcarter")
    assert one_line(caught.value)


@pytest.mark.parametrize("text", ["{", "[]", '{"student": "bcarter", "assignment": "a1", "parameters": {}, '
                                              '"version": "1", "override": null}'])
def test_a_broken_record_is_named(course, text):
    path = variants.record_path(course, "a1", "aokafor")
    path.parent.mkdir(parents=True)
    path.write_text(text)
    with pytest.raises(VariantError, match=r"aokafor\.json is not") as caught:
        variants.lookup(course, "a1", "aokafor")
    assert one_line(caught.value)


# -- overrides -------------------------------------------------------------------------------------------------------

def test_an_override_changes_only_that_student_and_is_recorded(course):
    before = {student: variants.lookup(course, "a1", student) for student in ROSTER}
    fixed = variants.set_override(course, "a1", "bcarter", 7)
    assert fixed.override == 7 and fixed.parameters != before["bcarter"].parameters
    assert json.loads(variants.record_path(course, "a1", "bcarter").read_text())["override"] == 7
    after = {student: variants.lookup(course, "a1", student) for student in ROSTER}
    assert after == {**before, "bcarter": fixed}
    assert variants.refresh(course, "a1", "bcarter") == fixed  # a refresh keeps the override
    with pytest.raises(OverrideError, match="seed 7 is already bcarter's override in a1; choose another") as caught:
        variants.set_override(course, "a1", "cwei", 7)
    assert isinstance(caught.value, UsageError) and one_line(caught.value)
    assert variants.set_override(course, "a1", "bcarter", None) == before["bcarter"]  # their own variant again


@pytest.mark.parametrize("seed", [-1, 1.5, "7", True])
def test_an_override_seed_is_a_non_negative_int(course, seed):
    with pytest.raises(OverrideError, match="non-negative int"):
        variants.set_override(course, "a1", "bcarter", seed)
    assert not variants.record_path(course, "a1", "bcarter").exists()


# -- the generator ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("returned", "words"), [
    ('{"m": stream("q").integers(8, 65)}', "'m' is a numpy.int64; give a plain int, float or str"),
    ('{"s": np.float64(0.5)}', "'s' is a numpy.float64"),
    ('{"flag": True}', "'flag' is a builtins.bool"),
    ('{"xs": [1, 2]}', "'xs' is a builtins.list"),
    ('{"x": float("nan")}', "'x' is nan; give a finite number"),
    ("{1: 2}", "parameter names are non-empty str; got 1"),
    ('[("m", 3)]', "must return a dict of names to int, float or str; got list"),
])
def test_values_that_are_not_plain_are_refused(course, returned, words):
    write_generator(course, f"import numpy as np\nVERSION = '1'\ndef parameters(stream):\n    return {returned}\n")
    with pytest.raises(ParameterValueError, match=r"variants\.py: parameters\(\)") as caught:
        variants.lookup(course, "a1", "aokafor")
    assert words in str(caught.value) and one_line(caught.value)
    assert not variants.record_path(course, "a1", "aokafor").exists()


@pytest.mark.parametrize(("text", "words"), [
    (None, "variants.py is missing"),
    ("def parameters(stream):\n    return {}\n", "must define VERSION, a non-empty str such as '1'; got None"),
    ("VERSION = 2\ndef parameters(stream):\n    return {}\n", "VERSION, a non-empty str such as '1'; got 2"),
    ("VERSION = '1'\n", "must define def parameters(stream)"),
    ("VERSION = '1'\nimport nothing_of_that_name\n", "importing it raised ModuleNotFoundError"),
    ("VERSION = '1'\ndef parameters(stream):\n    raise ValueError('no\\nway')\n",
     "parameters() raised ValueError: no for student 'aokafor'"),
])
def test_a_bad_generator_module_is_named(tmp_path, monkeypatch, text, words):
    monkeypatch.setenv(KEY_VARIABLE, KEY_A.hex())
    if text is not None:
        write_generator(tmp_path, text)
    assert variants.has_variants(tmp_path, "a1") is (text is not None)
    try:
        with pytest.raises(GeneratorError, match=r"grading/a1/variants\.py") as caught:
            variants.lookup(tmp_path, "a1", "aokafor")
    finally:
        new_process(tmp_path)
    assert words in str(caught.value) and one_line(caught.value)


def test_the_generator_is_loaded_as_a_grading_module_of_the_course(course):
    """The loader of checks, answers and mistakes; a folder with only a generator is an assignment's."""
    module = variants.generator(course, "a1")
    assert module is grading.import_part(course, "a1", "variants")
    assert module.__name__ == f"{grading.package_name(course)}.a1.variants"
    assert grading.grading_assignments(course) == ["a1"]


@pytest.mark.parametrize("student", ["", "../x", "a/b", "nul\0"])
def test_a_student_id_that_is_not_a_file_name_is_refused(course, student):
    with pytest.raises(VariantError, match="is not a usable name"):
        variants.lookup(course, "a1", student)
