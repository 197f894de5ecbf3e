"""How a notebook gets its learner's numbers (issue 18, items 1, 3, 4 and 5), on the tiny course with a variant:
the runtime released with it, notebooks made for one student each, grading with the owner's numbers whatever the
folder says, a regrade after the generator changed, and validate on the generator's extremes."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import nbformat
import pytest
from nbformat.v4 import new_code_cell

from grader import autograde, export, feedback, release, validate, variant_files, variants
from grader.checks.loader import local_variant
from grader.cli import main
from grader.course import open_course
from grader.errors import EXIT_USAGE, UsageError
from grader.grades import read_grades
from tests.grader.conftest import ASSIGNMENT, cell, ps1_mutant, write_mistakes, write_source

GENERATOR = '''VERSION = "1"


def parameters(stream):
    return {"m": int(stream("q_ratio").integers(5, 500))}


def extremes():
    return [{"m": 5}, {"m": 499}]
'''
ANSWERS = '''from grader.checks import Answer

ANSWERS = {"q_ratio": Answer("number", lambda p: (p["m"] - 1) / (p["m"] + 1), "with your m = {m}, (m - 1)/(m + 1)")}
'''
SOLVED_CUBE = ('def cube(x):\n    ### BEGIN SOLUTION\n    return x ** 3\n    ### END SOLUTION\n\n\n'
               'q_ratio = None\n### BEGIN SOLUTION\nq_ratio = (P["m"] - 1) / (P["m"] + 1)\n### END SOLUTION')
TEST_CUBE = ('assert cube(2) == 8, "cube(2) should be 8"\n### BEGIN HIDDEN TESTS\nfrom grader import hidden\n'
             'hidden.check("q_ratio", q_ratio)\n### END HIDDEN TESTS')
SETUP = "from variant import mine\n\nP = mine()"
STUDENTS = ("alice", "bob", "carol")
REPO = Path(__file__).resolve().parents[2]


def ratio(m: int) -> float:
    return (m - 1) / (m + 1)


def make_course(root: Path) -> Path:
    """The tiny course, its notebook given a locked setup cell ``P = mine()`` and an answer ``q_ratio`` that
    depends on the learner's m; with a generator, an answer key and a mutant answering a classmate's number."""
    write_source(root)
    source = root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = nbformat.read(source, as_version=4)
    setup = new_code_cell(SETUP)
    setup.metadata["nbgrader"] = {"schema_version": 3, "grade": False, "solution": False, "locked": True,
                                  "grade_id": "variant"}
    nb.cells.insert(1, setup)
    cell(nb, "cube").source = SOLVED_CUBE
    cell(nb, "test_cube").source = TEST_CUBE
    nbformat.write(nb, source)
    (root / "grading" / ASSIGNMENT / "variants.py").write_text(GENERATOR)
    (root / "grading" / ASSIGNMENT / "answers.py").write_text(ANSWERS)
    write_mistakes(root, [])
    return root


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_course(tmp_path_factory.mktemp("variant_files") / "course")
    # recorded first (a release keeps records): what a fresh key draws for two ids can be closer than the answer's
    # tolerance, and a copied answer would then be right for both
    for student, m in zip(STUDENTS, (10, 40, 200), strict=True):
        variants.write_record(root, variants.Variant(student, ASSIGNMENT, {"m": m}, "1"))
    release.run(course=root, assignments=[ASSIGNMENT], roster=list(STUDENTS))
    return root


def run_mine(folder: Path, env: dict[str, str] | None = None, stdin: str = "") -> subprocess.CompletedProcess:
    """``from variant import mine; mine()`` in a Python of its own, in ``folder``, with NumPy and nothing else."""
    environ = {"PATH": os.environ["PATH"], **(env or {})}
    code = "import json, sys\nsys.path.insert(0, '.')\nfrom variant import mine\nprint(json.dumps(mine()))"
    return subprocess.run([sys.executable, "-I", "-c", code], cwd=folder, env=environ, input=stdin,
                          capture_output=True, text=True, timeout=60)


def test_the_release_carries_the_runtime_with_the_key_and_derives_what_the_grader_derives(released, tmp_path):
    folder = tmp_path / "hub"
    shutil.copytree(released / "release" / ASSIGNMENT, folder)
    source = (folder / "variant.py").read_text()
    assert variants.course_key(released).hex() in source and "def parameters(stream)" in source
    out = run_mine(folder, {"JUPYTERHUB_USER": "dana"})
    assert out.returncode == 0, out.stderr
    expected = variants.derive(released, ASSIGNMENT, "dana").parameters
    assert json.loads(out.stdout.splitlines()[-1]) == expected
    assert f"Your numbers (dana): m = {expected['m']}" in out.stdout
    saved = json.loads((folder / "variant.json").read_text())
    assert saved["student"] == "dana" and saved["parameters"] == expected
    again = run_mine(folder, {"JUPYTERHUB_USER": "erin"})  # the saved record wins; the mismatch is said
    assert json.loads(again.stdout.splitlines()[-1]) == expected and "made for dana, but you are erin" in again.stdout


def test_without_an_id_the_learner_is_asked_for_one(released, tmp_path):
    folder = tmp_path / "typed"
    shutil.copytree(released / "release" / ASSIGNMENT, folder)
    out = run_mine(folder, stdin="frank\n")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.splitlines()[-1]) == variants.derive(released, ASSIGNMENT, "frank").parameters
    nobody = tmp_path / "nobody"
    shutil.copytree(released / "release" / ASSIGNMENT, nobody)
    failed = run_mine(nobody, stdin="")
    assert failed.returncode != 0 and "no student id: run this cell again and type your id" in failed.stderr


def test_a_notebook_made_for_one_student_has_their_numbers_and_no_key(released):
    key = variants.course_key(released).hex()
    for student in STUDENTS:
        folder = released / release.PERSONAL_DIR / ASSIGNMENT / student
        nb = nbformat.read(folder / f"{ASSIGNMENT}.ipynb", as_version=4)
        assert variant_files.stamped(nb) == student
        assert key not in (folder / "variant.py").read_text()
        recorded = variants.read_record(released, ASSIGNMENT, student)
        assert recorded is not None
        out = run_mine(folder)
        assert json.loads(out.stdout.splitlines()[-1]) == recorded.parameters
    lost = released / release.PERSONAL_DIR / ASSIGNMENT / "alice"
    shutil.copytree(lost, lost.parent / "lost")
    (lost.parent / "lost" / "variant.json").unlink()
    failed = run_mine(lost.parent / "lost")
    assert "made for one learner and its variant.json is missing" in failed.stderr


def test_release_per_student_refuses_a_bad_roster_and_an_assignment_without_variants(tmp_path, capsys):
    empty = tmp_path / "empty.txt"
    empty.write_text("# nobody\n\n")
    with pytest.raises(UsageError, match="names no student"):
        release.read_roster(empty)
    bad = tmp_path / "bad.txt"
    bad.write_text("id\nalice\n../eve\n")
    assert main(["release", "--course", str(tmp_path), "--per-student", str(bad)]) == EXIT_USAGE
    assert "cannot name a folder: '../eve'" in capsys.readouterr().err
    plain = tmp_path / "plain"
    write_source(plain)
    roster = tmp_path / "roster.csv"
    roster.write_text("student,email\nalice,a@example.org\n")
    assert release.read_roster(roster) == ["alice"]
    with pytest.raises(UsageError, match="has no per-student variants"):
        release.run(course=plain, assignments=[ASSIGNMENT], roster=["alice"])


def hand_in(course: Path, student: str, folder: Path, answer: str) -> None:
    """``folder`` (a learner's working copy) handed in as ``student``, its notebook's answer line set to ``answer``."""
    dest = course / "submitted" / student / ASSIGNMENT
    shutil.copytree(folder, dest)
    path = dest / f"{ASSIGNMENT}.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell(nb, "cube").source = f"def cube(x):\n    return x ** 3\n\n\nq_ratio = {answer}"
    nbformat.write(nb, path)
    (dest / "timestamp.txt").write_text("2024-01-01 10:00:00.000000 UTC\n")


def cube_cells(course: Path) -> dict[str, object]:
    grades = {g.student: g for g in read_grades(open_course(course), [ASSIGNMENT])}
    return {s: next(c for c in g.notebooks[0].cells if c.name == "test_cube") for s, g in grades.items()}


@pytest.fixture(scope="module")
def graded(released: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, autograde.AutogradeResult]:
    """alice hands in her own notebook, computing her answer from P; bob hands in alice's whole folder with her
    number typed in; carol, on a hub, ran the class release (her variant.json derived from her id) and typed hers."""
    course = tmp_path_factory.mktemp("variant_graded") / "course"
    shutil.copytree(released, course)
    personal = course / release.PERSONAL_DIR / ASSIGNMENT
    m = {s: variants.read_record(course, ASSIGNMENT, s).parameters["m"] for s in STUDENTS}
    hand_in(course, "alice", personal / "alice", '(P["m"] - 1) / (P["m"] + 1)')
    hand_in(course, "bob", personal / "alice", repr(ratio(m["alice"])))
    hub = course.parent / "carol_hub"
    shutil.copytree(course / "release" / ASSIGNMENT, hub)
    assert run_mine(hub, {"JUPYTERHUB_USER": "carol"}).returncode == 0
    hand_in(course, "carol", hub, repr(round(ratio(m["carol"]), 4)))
    result = autograde.run(course=course, assignment=ASSIGNMENT, jobs=1)
    return course, result


def test_each_is_graded_with_its_owners_numbers_and_a_copied_number_loses(graded):
    course, _ = graded
    cells = cube_cells(course)
    assert cells["alice"].score == 1 and cells["carol"].score == 1
    assert cells["bob"].score == 0
    m_bob = variants.read_record(course, ASSIGNMENT, "bob").parameters["m"]
    assert f"with your m = {m_bob}" in " ".join(cells["bob"].messages)
    bob_ran = nbformat.read(course / "autograded" / "bob" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    shown = "".join(o.get("text", "") for o in cell(bob_ran, "variant").outputs)
    assert f"Your numbers (bob): m = {m_bob}" in shown  # the notebook ran with its owner's numbers


def test_a_notebook_built_for_another_student_is_said_so(graded):
    _, result = graded
    problems = {r.student: " ".join(r.problems) for r in result.reports}
    assert "this notebook was built for student alice; it was graded with bob's own numbers" in problems["bob"]
    assert "built for" not in problems["alice"] + problems["carol"]


def test_a_regrade_after_the_generator_changed_uses_the_recorded_numbers(graded):
    course, _ = graded
    before = {s: c.score for s, c in cube_cells(course).items()}
    generator = course / "grading" / ASSIGNMENT / "variants.py"
    generator.write_text(GENERATOR.replace('VERSION = "1"', 'VERSION = "2"').replace("integers(5, 500)",
                                                                                     "integers(1000, 2000)"))
    try:
        autograde.run(course=course, assignment=ASSIGNMENT, jobs=1, force=True)
        assert {s: c.score for s, c in cube_cells(course).items()} == before
        assert variants.read_record(course, ASSIGNMENT, "alice").version == "1"
    finally:
        generator.write_text(GENERATOR)


def test_in_process_checks_read_the_numbers_of_the_notebooks_own_folder(tmp_path):
    assert local_variant(tmp_path) is None
    (tmp_path / "variant.json").write_text(json.dumps({"student": "a", "assignment": ASSIGNMENT,
                                                       "parameters": {"m": 9}}))
    assert local_variant(tmp_path) == {"m": 9}
    (tmp_path / "variant.json").write_text("{not json")
    assert local_variant(tmp_path) is None


def test_validate_grades_each_submission_on_the_generators_extremes(tmp_path):
    course = make_course(tmp_path / "course")
    # a classmate's number, right for m = 3 only: it must lose on every variant
    write_mistakes(course, [ps1_mutant("copied_ratio", "cube", "    return x ** 3\n\n\nq_ratio = 0.5",
                                       ("test_cube",), ("your m =",))])
    result = validate.run(course=course, assignments=[ASSIGNMENT], variants=3, workdir=tmp_path / "scratch")
    assert result.ok, [c.detail for c in result.failures]
    solutions = [c.variant for c in result.checks if c.kind == validate.SOLUTION]
    assert solutions[:2] == ["m=5", "m=499"]
    scratch = tmp_path / "scratch" / "course"  # the scratch copy, whose key validate-1's variant comes from
    assert solutions[2] == f"m={variants.derive(scratch, ASSIGNMENT, 'validate-1').parameters['m']}"
    labels = {c.variant for c in result.checks}
    assert {"m=5", "m=499"} <= labels and len(labels) == 3
    assert sorted(c.student for c in result.checks if c.kind == validate.MUTANT) == [
        "mutant-copied_ratio-v1", "mutant-copied_ratio-v2", "mutant-copied_ratio-v3"]
    assert result.assignments[0].variants == 3


def test_exports_and_feedback_show_each_students_numbers(graded, tmp_path):
    course, _ = graded
    m = {s: variants.read_record(course, ASSIGNMENT, s).parameters["m"] for s in STUDENTS}
    rows = list(csv.DictReader(export.run(course=course, fmt="csv", output=tmp_path / "g.csv").open()))
    assert {r["student_id"]: r["variant"] for r in rows} == {s: f"m={m[s]}" for s in STUDENTS}
    document = json.loads(export.run(course=course, fmt="json", output=tmp_path / "g.json").read_text())
    jsonschema.validate(document, json.loads((REPO / "docs" / "export-schema.json").read_text()))
    assert {s["student"]: s["variant"] for s in document["submissions"]} == {s: {"m": m[s]} for s in STUDENTS}
    junit = export.run(course=course, fmt="junit", output=tmp_path / "g.xml").read_text()
    assert f'name="variant" value="m={m["bob"]}"' in junit
    feedback.run(course=course, assignment=ASSIGNMENT, students=["bob"])
    page = (course / "feedback" / "bob" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert f"<code>m = {m['bob']}</code>" in page
    assert "this notebook was built for student alice" in page


def test_a_variant_json_left_in_source_never_reaches_the_class(tmp_path):
    """An instructor who ran the source notebook in place left their numbers beside it: released, every learner
    would get them."""
    course = make_course(tmp_path / "course")
    stray = course / "source" / ASSIGNMENT / "variant.json"
    stray.write_text(json.dumps({"student": "teacher", "assignment": ASSIGNMENT, "parameters": {"m": 7}}))
    result = release.run(course=course, assignments=[ASSIGNMENT])
    assert not (course / "release" / ASSIGNMENT / "variant.json").exists()
    assert "WARNING: source/ps1/variant.json" in result.assignments[0].variants
