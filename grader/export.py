"""grader export: the gradebook's grades per student, assignment and cell, as CSV, JSON, JUnit XML or Gradescope.

=========== ======================================================================================================
format      what is written
=========== ======================================================================================================
csv         one row per (assignment, student, notebook, graded cell), with the submission's totals on each row
json        the document described by ``docs/export-schema.json`` (see ``docs/export-schema.md``)
junit       JUnit XML: a test suite per submission, a test case per graded cell (failed tests carry their message)
gradescope  Gradescope's autograder ``results.json`` for exactly one submission (filter with --assignment/--student)
=========== ======================================================================================================

Every format renders the same `grader.grades.SubmissionGrade` list, with a library (csv, json, ElementTree), never
by pasting strings together.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from grader.course import DEFAULT_COURSE, open_course
from grader.errors import UsageError
from grader.grades import FAILED, NOT_SUBMITTED, SubmissionGrade, read_grades

SCHEMA_ID = "symmetry-grader/grades"
SCHEMA_VERSION = 1

CSV_FIELDS = (
    "assignment", "student_id", "last_name", "first_name", "email", "status", "timestamp",
    "assignment_score", "assignment_max_score", "late_penalty",
    "notebook", "cell", "kind", "score", "max_score", "auto_score", "manual_score", "extra_credit",
    "needs_manual_grade", "passed", "message", "variant",
)


def to_csv(grades: list[SubmissionGrade], course_id: str) -> str:
    """One row per graded cell; a submission with no cells (not submitted) gets one row with empty cell fields."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for g in grades:
        base = {
            "assignment": g.assignment, "student_id": g.student, "last_name": g.last_name or "",
            "first_name": g.first_name or "", "email": g.email or "", "status": g.status,
            "timestamp": g.timestamp or "", "assignment_score": g.score, "assignment_max_score": g.max_score,
            "late_penalty": g.late_penalty, "variant": _variant_text(g.variant),
        }
        cells = [(nb, cell) for nb in g.notebooks for cell in nb.cells]
        if not cells:
            writer.writerow(base)
        for nb, cell in cells:
            writer.writerow({
                **base, "notebook": nb.name, "cell": cell.name, "kind": cell.kind, "score": cell.score,
                "max_score": cell.max_score, "auto_score": _blank(cell.auto_score),
                "manual_score": _blank(cell.manual_score), "extra_credit": _blank(cell.extra_credit),
                "needs_manual_grade": cell.needs_manual_grade, "passed": cell.passed,
                "message": " | ".join(cell.messages),
            })
    return buffer.getvalue()


def _variant_text(variant: dict[str, Any] | None) -> str:
    """A student's variant parameters as one cell: ``m=23; depth=4``, or empty without one."""
    return "; ".join(f"{name}={value}" for name, value in (variant or {}).items())


def _blank(value: float | None) -> Any:
    return "" if value is None else value


def to_json(grades: list[SubmissionGrade], course_id: str) -> str:
    """The JSON document of docs/export-schema.json."""
    submissions = []
    for g in grades:
        data = asdict(g)
        for nb_data, nb in zip(data["notebooks"], g.notebooks, strict=True):
            for cell_data, cell in zip(nb_data["cells"], nb.cells, strict=True):
                cell_data["passed"] = cell.passed
        submissions.append(data)
    document = {
        "schema": SCHEMA_ID,
        "version": SCHEMA_VERSION,
        "course": course_id,
        "generated": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "submissions": submissions,
    }
    return json.dumps(document, indent=1) + "\n"


def to_junit(grades: list[SubmissionGrade], course_id: str) -> str:
    """JUnit XML: <testsuites> / <testsuite name="assignment/student"> / <testcase name="notebook:cell">."""
    root = ET.Element("testsuites", name=f"{course_id} grades")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for g in grades:
        suite = ET.SubElement(root, "testsuite", name=f"{g.assignment}/{g.student}")
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        props = ET.SubElement(suite, "properties")
        for key, value in (("score", g.score), ("max_score", g.max_score), ("status", g.status),
                           *((("variant", _variant_text(g.variant)),) if g.variant else ())):
            ET.SubElement(props, "property", name=key, value=str(value))
        if g.status in (NOT_SUBMITTED, FAILED):
            case = ET.SubElement(suite, "testcase", classname=f"{g.assignment}.{g.student}", name="submission")
            counts["tests"] += 1
            counts["errors"] += 1
            message = "not submitted" if g.status == NOT_SUBMITTED else "; ".join(g.problems)
            ET.SubElement(case, "error", message=message, type=g.status).text = "\n".join(g.problems) or message
        for nb in g.notebooks:
            for cell in nb.cells:
                counts["tests"] += 1
                case = ET.SubElement(suite, "testcase", classname=f"{g.assignment}.{g.student}.{nb.name}",
                                     name=cell.name)
                ET.SubElement(ET.SubElement(case, "properties"), "property", name="points",
                              value=f"{cell.score:g}/{cell.max_score:g}")
                if cell.needs_manual_grade:
                    counts["skipped"] += 1
                    ET.SubElement(case, "skipped", message="needs manual grading")
                elif not cell.passed:
                    counts["failures"] += 1
                    text = " | ".join(cell.messages) or f"scored {cell.score:g} of {cell.max_score:g}"
                    ET.SubElement(case, "failure", message=text, type=cell.kind).text = text
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
    for key, value in totals.items():
        if key != "skipped":
            root.set(key, str(value))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def to_gradescope(grades: list[SubmissionGrade], course_id: str) -> str:
    """Gradescope's results.json for the one submission in `grades` (autograded cells as tests)."""
    submitted = [g for g in grades if g.status != NOT_SUBMITTED]
    if len(submitted) != 1:
        who = ", ".join(f"{g.assignment}/{g.student}" for g in submitted[:5]) or "none"
        raise UsageError(
            f"the gradescope format holds one submission; {len(submitted)} match ({who}): "
            "pick one with --assignment and --student"
        )
    g = submitted[0]
    tests = []
    pending = []
    for nb in g.notebooks:
        for cell in nb.cells:
            if cell.needs_manual_grade:
                pending.append(cell.name)
                continue
            tests.append({
                "name": f"{nb.name}: {cell.name}",
                "score": cell.score,
                "max_score": cell.max_score,
                "status": "passed" if cell.passed else "failed",
                "output": "\n".join(cell.messages) or ("passed" if cell.passed else "failed"),
                "visibility": "visible",
            })
    lines = list(g.problems)
    if g.variant:
        lines.insert(0, f"your numbers: {_variant_text(g.variant)}")
    if pending:
        lines.append(f"waiting for manual grading: {', '.join(pending)}")
    result = {"score": g.score, "output": "\n".join(lines), "tests": tests}
    return json.dumps(result, indent=1) + "\n"


FORMATS: dict[str, tuple[Callable[[list[SubmissionGrade], str], str], str]] = {
    "csv": (to_csv, "grades.csv"),
    "json": (to_json, "grades.json"),
    "junit": (to_junit, "grades.xml"),
    "gradescope": (to_gradescope, "results.json"),
}
"""format name -> (renderer, default output file name)."""


def run(
    *,
    course: Path | str = DEFAULT_COURSE,
    fmt: str = "csv",
    output: Path | str | None = None,
    assignments: Sequence[str] = (),
    students: Sequence[str] = (),
) -> Path:
    """Write the grades of the course (optionally only some assignments / students) as `fmt`; the path written."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown export format {fmt!r}; known: {', '.join(FORMATS)}")
    ctx = open_course(course)
    for name in assignments:
        ctx.require_released(name)
    grades = read_grades(ctx, assignments, students)
    missing = sorted(set(students) - {g.student for g in grades})
    if missing:
        raise UsageError(f"no such student in the gradebook: {', '.join(missing)}")
    render, default_name = FORMATS[fmt]
    text = render(grades, ctx.course_id)
    path = Path(output) if output is not None else Path(default_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path
