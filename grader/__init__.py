"""symmetry-grader: the instructor's, student's and CI's tool on top of real nbgrader."""
