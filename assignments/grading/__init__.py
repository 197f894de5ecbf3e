"""The grading side of the symmetry-grader course: one folder per assignment, never released (grader.grading)."""
