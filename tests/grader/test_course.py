"""grader/course.py: does a course resolve its folders, gradebook and config the way nbgrader does, and can it be
copied without the copy touching the original?"""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.course import (
    DEFAULT_COURSE,
    EMBEDDED_COURSE,
    Course,
    load_config,
    open_course,
    quiet_sqlalchemy,
    scratch_copy,
)
from grader.errors import AssignmentNotFoundError, CourseNotFoundError, UsageError
from tests.grader.conftest import ASSIGNMENT, fill, submit


def test_the_shipped_course_lists_its_assignments_and_folders():
    course = Course.at(EMBEDDED_COURSE)
    assert "init_symmetry" in course.assignments()
    assert course.directory("source", "init_symmetry") == EMBEDDED_COURSE / "source" / "init_symmetry"
    assert course.source_notebooks("init_symmetry") == [EMBEDDED_COURSE / "source/init_symmetry/init_symmetry.ipynb"]
    assert course.config.CourseDirectory.course_id == "symmetry-grader"
    assert course.course_id == "symmetry-grader"
    assert course.db_url == f"sqlite:///{EMBEDDED_COURSE}/gradebook.db"


def test_the_default_course_is_assignments_of_the_working_directory(tmp_path, monkeypatch):
    """Run from the repository root, the default is the shipped course; elsewhere, that folder's assignments/."""
    assert Path("assignments") == DEFAULT_COURSE
    monkeypatch.chdir(EMBEDDED_COURSE.parent)
    assert open_course().root == EMBEDDED_COURSE
    (tmp_path / "assignments" / "source").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    assert open_course().root == tmp_path / "assignments"


def test_student_folders_follow_nbgrader_directory_structure(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\nc.CourseDirectory.submitted_directory = 'inbox'\n")
    course = Course.at(tmp_path)
    assert course.directory("submitted", "hw1", "alice") == tmp_path / "inbox" / "alice" / "hw1"
    assert course.submitted_dir("alice", "hw1") == tmp_path / "inbox" / "alice" / "hw1"
    assert course.autograded_dir("alice", "hw1") == tmp_path / "autograded" / "alice" / "hw1"
    assert course.assignments() == []
    (tmp_path / "inbox" / "bob" / "hw1").mkdir(parents=True)
    (tmp_path / "inbox" / "alice" / "hw1").mkdir(parents=True)
    (tmp_path / "inbox" / "cid" / "hw2").mkdir(parents=True)
    assert course.submitted_students("hw1") == ["alice", "bob"]


def test_unknown_steps_and_missing_courses_are_named(tmp_path):
    with pytest.raises(ValueError, match="known: source, release"):
        Course.at(EMBEDDED_COURSE).directory("graded", "init_symmetry")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        Course.at(tmp_path / "nowhere")
    with pytest.raises(CourseNotFoundError, match="not found"):
        open_course(tmp_path / "nowhere")
    with pytest.raises(CourseNotFoundError, match=r"neither nbgrader_config\.py nor a source/ folder"):
        open_course(tmp_path)


def test_a_folder_without_config_has_an_empty_one(tmp_path):
    assert load_config(tmp_path) == {}
    assert Course.at(tmp_path).db_url == f"sqlite:///{tmp_path}/gradebook.db"


def test_an_assignment_must_be_released_before_it_is_graded(course: Path):
    opened = open_course(course)
    opened.require_released(ASSIGNMENT)
    with pytest.raises(AssignmentNotFoundError, match=r"released: ps1.*grader release ps9"):
        opened.require_released("ps9")


def test_a_scratch_copy_has_the_sources_and_its_own_gradebook(course: Path, tmp_path: Path):
    """Is the copy free of what nbgrader generated, and does its gradebook live in the copy even when the course
    configures another database?"""
    submit(course, "ann", fill(course))
    (course / "nbgrader_config.py").write_text(
        (course / "nbgrader_config.py").read_text() + f"c.CourseDirectory.db_url = 'sqlite:///{course}/gradebook.db'\n"
    )
    original = open_course(course)
    assert original.db_url == f"sqlite:///{course}/gradebook.db"
    copy = scratch_copy(original, tmp_path / "copy")
    assert copy.root == tmp_path / "copy"
    assert copy.db_url == f"sqlite:///{tmp_path / 'copy'}/gradebook.db"
    assert copy.course_id == original.course_id == "tiny"
    assert copy.assignments() == [ASSIGNMENT]
    assert (copy.source_dir(ASSIGNMENT) / "helper.py").read_text() == "GREETING = 'hello'\n"
    assert sorted(p.name for p in copy.root.iterdir()) == ["grading", "nbgrader_config.py", "source"]
    assert (copy.root / "grading" / ASSIGNMENT / "mistakes.py").is_file()  # the grading folder comes along
    with quiet_sqlalchemy(), copy.gradebook() as gb:
        assert gb.assignments == []  # a fresh gradebook, not the course's (where ps1 is released)
    with pytest.raises(UsageError, match="already exists"):
        scratch_copy(original, tmp_path / "copy")


def test_a_course_with_absolute_folders_cannot_be_copied(tmp_path: Path):
    root = tmp_path / "course"
    (root / "source").mkdir(parents=True)
    (root / "nbgrader_config.py").write_text(f"c = get_config()\nc.CourseDirectory.release_directory = '{tmp_path}'\n")
    with pytest.raises(UsageError, match="release_directory"):
        scratch_copy(open_course(root), tmp_path / "copy")
