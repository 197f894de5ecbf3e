"""nbgrader configuration of stats101, a small second course kept for the tests (tests/grader/test_second_course.py).

It has nothing to do with the course shipped in assignments/: one assignment, ``means``, whose notebook reads a CSV
file through a helper module released beside it, and whose grading folder (grading/means/) holds its hidden checks,
its answer key and its mistake library. It ships no helper package (no c.Helpers) and asks nothing of the engine
(no c.Engine): the defaults are enough.
"""

c = get_config()  # noqa: F821  (nbgrader provides get_config when it loads this file)

c.CourseDirectory.course_id = "stats101"

# A test cell scores zero when it raises or writes to stderr; nothing in this notebook takes more than a second.
c.Execute.timeout = 30
