"""grader/course.py: does a course resolve its folders, gradebook and config the way nbgrader does?"""

from __future__ import annotations

import pytest

from grader.course import DEFAULT_COURSE, Course, load_config


def test_the_shipped_course_lists_its_assignments_and_folders():
    course = Course.at(DEFAULT_COURSE)
    assert "init_symmetry" in course.assignments()
    assert course.directory("source", "init_symmetry") == DEFAULT_COURSE / "source" / "init_symmetry"
    assert course.source_notebooks("init_symmetry") == [DEFAULT_COURSE / "source/init_symmetry/init_symmetry.ipynb"]
    assert course.config.CourseDirectory.course_id == "symmetry-grader"
    assert course.db_url == f"sqlite:///{DEFAULT_COURSE}/gradebook.db"


def test_student_folders_follow_nbgrader_directory_structure(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\nc.CourseDirectory.submitted_directory = 'inbox'\n")
    course = Course.at(tmp_path)
    assert course.directory("submitted", "hw1", "alice") == tmp_path / "inbox" / "alice" / "hw1"
    assert course.directory("autograded", "hw1", "alice") == tmp_path / "autograded" / "alice" / "hw1"
    assert course.assignments() == []


def test_unknown_steps_and_missing_courses_are_named(tmp_path):
    with pytest.raises(ValueError, match="known: source, release"):
        Course.at(DEFAULT_COURSE).directory("graded", "init_symmetry")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        Course.at(tmp_path / "nowhere")


def test_a_folder_without_config_has_an_empty_one(tmp_path):
    assert load_config(tmp_path) == {}
    assert Course.at(tmp_path).db_url == f"sqlite:///{tmp_path}/gradebook.db"
