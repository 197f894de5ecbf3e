"""grader collect: from a folder <student>/<file>.ipynb or an LMS zip into submitted/, every skip explained."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from grader import collect
from grader.course import quiet_sqlalchemy
from grader.errors import UsageError
from tests.grader.conftest import ASSIGNMENT, fill

WHEN = 1_700_000_000  # 2023-11-14 22:13:20 UTC


def write(path: Path, content: str | nbformat.NotebookNode) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content)
    else:
        nbformat.write(content, path)
    os.utime(path, (WHEN, WHEN))
    return path


def students_in_gradebook(course: Path) -> set[str]:
    with quiet_sqlalchemy(), Gradebook(f"sqlite:///{course / 'gradebook.db'}", "tiny") as gb:
        return {s.id for s in gb.students}


def test_a_folder_of_student_folders_is_collected_and_skips_are_explained(course: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    write(inbox / "ann" / "ps1.ipynb", fill(course))
    write(inbox / "bob" / "ps1 (1).ipynb", fill(course))  # an LMS renamed it: the assignment has one notebook
    write(inbox / "cid" / "ps1.ipynb", fill(course))
    write(inbox / "cid" / "notes.txt", "my notes")
    write(inbox / "stray.ipynb", fill(course))  # no student folder

    result = collect.run(course=course, assignment=ASSIGNMENT, source=inbox)

    assert [c.student for c in result.collected] == ["ann", "bob", "cid"]
    assert all(c.new_student for c in result.collected)
    assert students_in_gradebook(course) >= {"ann", "bob", "cid"}
    bob = next(c for c in result.collected if c.student == "bob")
    assert bob.files == ["ps1.ipynb"] and "collected as 'ps1.ipynb'" in bob.notes[0]
    skipped = {s.path: s.reason for s in result.skipped}
    assert "not a notebook" in skipped[str(Path("cid") / "notes.txt")]
    assert "does not match" in skipped["stray.ipynb"]
    ann = course / "submitted" / "ann" / ASSIGNMENT
    assert (ann / "ps1.ipynb").read_bytes() == (inbox / "ann" / "ps1.ipynb").read_bytes()
    assert (ann / "timestamp.txt").read_text().strip() == "2023-11-14 22:13:20.000000 UTC"


def test_collecting_again_skips_unchanged_and_needs_force_to_replace(course: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    write(inbox / "ann" / "ps1.ipynb", fill(course))
    collect.run(course=course, assignment=ASSIGNMENT, source=inbox)
    again = collect.run(course=course, assignment=ASSIGNMENT, source=inbox)
    assert again.collected == [] and again.skipped[0].reason == "already collected, unchanged"

    write(inbox / "ann" / "ps1.ipynb", fill(course, cube="    return 0"))
    refused = collect.run(course=course, assignment=ASSIGNMENT, source=inbox)
    assert refused.collected == [] and "--force" in refused.skipped[0].reason
    replaced = collect.run(course=course, assignment=ASSIGNMENT, source=inbox, force=True)
    assert replaced.collected[0].notes == ["replaced an earlier collected submission"]
    assert "return 0" in (course / "submitted" / "ann" / ASSIGNMENT / "ps1.ipynb").read_text()


def test_an_lms_zip_is_unpacked_by_nbgrader_and_collected(course: Path, tmp_path: Path) -> None:
    """Does a zip with nested per-student zips (as Moodle makes) and a timestamp in the name get collected?"""
    inner = tmp_path / "dan.zip"
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("dan/ps1.ipynb", nbformat.writes(fill(course)))
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("submissions/eve/ps1.ipynb", nbformat.writes(fill(course)))
        z.writestr("submissions/eve/ps1_scratch.ipynb", nbformat.writes(fill(course)))
        z.write(inner, "submissions/dan.zip")
    result = collect.run(course=course, assignment=ASSIGNMENT, source=archive)
    assert [c.student for c in result.collected] == ["dan", "eve"]
    assert any(
        "ps1_scratch.ipynb" in s.path and "not a notebook of this assignment" in s.reason for s in result.skipped
    )
    assert (course / "submitted" / "dan" / ASSIGNMENT / "ps1.ipynb").exists()


def test_a_custom_regexp_reads_student_and_time_from_flat_file_names(course: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "flat"
    write(inbox / "ann_attempt_2024-02-01-09-30-00_ps1.ipynb", fill(course))
    regexp = r"(?P<student_id>[a-z]+)_attempt_(?P<timestamp>[0-9-]+)_(?P<file_id>\w+\.ipynb)"
    result = collect.run(course=course, assignment=ASSIGNMENT, source=inbox, regexp=regexp)
    assert result.collected[0].student == "ann"
    assert result.collected[0].timestamp.startswith("2024-02-01")


def test_a_missing_source_is_a_usage_error(course: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such folder"):
        collect.run(course=course, assignment=ASSIGNMENT, source=tmp_path / "nothing")
    text = tmp_path / "grades.txt"
    text.write_text("x")
    with pytest.raises(UsageError, match="neither a folder nor an archive"):
        collect.run(course=course, assignment=ASSIGNMENT, source=text)
