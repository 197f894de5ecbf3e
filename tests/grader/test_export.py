"""grader export: per student, assignment and cell grades as CSV, JSON (schema-valid), JUnit XML and Gradescope."""

from __future__ import annotations

import csv
import io
import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from nbgrader.api import Gradebook

from grader import autograde, export
from grader.course import quiet_sqlalchemy
from grader.errors import UsageError
from tests.grader.conftest import ASSIGNMENT, FakeExecutor, fill, submit

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "export-schema.json"
BOOM = "square(2) should be 4"


@pytest.fixture(scope="module")
def graded(released_course: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ann fails test_square, bob passes everything, cid's notebook is unreadable, zoe submitted nothing."""
    course = tmp_path_factory.mktemp("export") / "course"
    shutil.copytree(released_course, course)
    submit(course, "ann", fill(course))
    submit(course, "bob", fill(course))
    submit(course, "cid", raw="{")
    autograde.run(course=course, assignment=ASSIGNMENT, executor=FakeExecutor({"ann": {"test_square": BOOM}}))
    with quiet_sqlalchemy(), Gradebook(f"sqlite:///{course / 'gradebook.db'}", "tiny") as gb:
        gb.add_student("zoe", first_name="Zoe", last_name="Zed", email="zoe@example.org")
    return course


def test_csv_has_a_row_per_graded_cell_with_the_submission_totals(graded: Path, tmp_path: Path) -> None:
    path = export.run(course=graded, fmt="csv", output=tmp_path / "g.csv")
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    by = {(r["student_id"], r["cell"]): r for r in rows}
    assert len(rows) == 3 * 3 + 1  # three submissions of three graded cells, one row for zoe
    assert by[("ann", "test_square")]["score"] == "0.0" and by[("ann", "test_square")]["message"].endswith(BOOM)
    assert by[("ann", "test_cube")]["score"] == "1.0" and by[("ann", "test_cube")]["passed"] == "True"
    assert by[("ann", "test_square")]["assignment_score"] == "1.0"
    assert by[("bob", "test_square")]["assignment_score"] == "3.0"
    assert by[("bob", "explain")]["needs_manual_grade"] == "True"
    assert by[("cid", "test_cube")]["status"] == "failed"
    assert by[("zoe", "")]["status"] == "not_submitted" and by[("zoe", "")]["first_name"] == "Zoe"


def test_json_follows_the_documented_schema(graded: Path, tmp_path: Path) -> None:
    """Is the JSON valid against docs/export-schema.json, and does the schema reject a broken document?"""
    schema = json.loads(SCHEMA.read_text())
    document = json.loads(export.run(course=graded, fmt="json", output=tmp_path / "g.json").read_text())
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(document)
    subs = {s["student"]: s for s in document["submissions"]}
    assert document["course"] == "tiny"
    assert subs["ann"]["score"] == 1.0 and subs["ann"]["max_score"] == 4.0
    cells = {c["name"]: c for c in subs["ann"]["notebooks"][0]["cells"]}
    assert cells["test_square"]["messages"] == [f"AssertionError: {BOOM}"] and not cells["test_square"]["passed"]
    assert subs["cid"]["status"] == "failed" and "not a readable notebook" in subs["cid"]["problems"][0]
    assert subs["zoe"]["status"] == "not_submitted" and subs["zoe"]["notebooks"] == []
    del document["submissions"][0]["notebooks"][0]["cells"][0]["score"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, schema)


def test_junit_has_a_suite_per_submission_and_a_case_per_cell(graded: Path, tmp_path: Path) -> None:
    root = ET.parse(export.run(course=graded, fmt="junit", output=tmp_path / "g.xml")).getroot()
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert set(suites) == {"ps1/ann", "ps1/bob", "ps1/cid", "ps1/zoe"}
    ann = {c.get("name"): c for c in suites["ps1/ann"].iter("testcase")}
    assert ann["test_square"].find("failure").get("message") == f"AssertionError: {BOOM}"
    assert ann["test_cube"].find("failure") is None
    assert ann["explain"].find("skipped") is not None  # waiting for a person
    assert suites["ps1/ann"].get("failures") == "1" and suites["ps1/ann"].get("tests") == "3"
    assert suites["ps1/cid"].find("testcase/error") is not None
    assert suites["ps1/zoe"].find("testcase/error").get("message") == "not submitted"
    assert int(root.get("tests")) == sum(int(s.get("tests")) for s in suites.values())


def test_gradescope_writes_one_submissions_results_json(graded: Path, tmp_path: Path) -> None:
    path = export.run(course=graded, fmt="gradescope", output=tmp_path / "results.json", students=["ann"])
    results = json.loads(path.read_text())
    assert results["score"] == 1.0
    tests = {t["name"]: t for t in results["tests"]}
    assert tests["ps1: test_square"] == {
        "name": "ps1: test_square",
        "score": 0.0,
        "max_score": 2.0,
        "status": "failed",
        "output": f"AssertionError: {BOOM}",
        "visibility": "visible",
    }
    assert tests["ps1: test_cube"]["status"] == "passed"
    assert "explain" in results["output"]  # pending manual grading is said, not scored
    with pytest.raises(UsageError, match="one submission"):
        export.run(course=graded, fmt="gradescope", output=tmp_path / "r.json")


def test_unknown_format_student_or_assignment_is_a_usage_error(graded: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="known: csv"):
        export.run(course=graded, fmt="xlsx", output=tmp_path / "g")
    with pytest.raises(UsageError, match="nobody"):
        export.run(course=graded, fmt="csv", output=tmp_path / "g.csv", students=["nobody"])
    with pytest.raises(UsageError, match="ps9"):
        export.run(course=graded, fmt="csv", output=tmp_path / "g.csv", assignments=["ps9"])
