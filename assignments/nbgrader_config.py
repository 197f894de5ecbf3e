"""nbgrader configuration of the symmetry-grader course (read by nbgrader and by grader/)."""

c = get_config()  # noqa: F821  (nbgrader provides get_config when it loads this file)

c.CourseDirectory.course_id = "symmetry-grader"

# A test cell scores zero when it raises or writes to stderr; students' notebooks may train small nets.
c.Execute.timeout = 120

# Test and locked cells a student deleted are put back from the gradebook before grading (and scored).
c.OverwriteCells.add_missing_cells = True

# The helper package released next to each notebook is built from modules of `reference` (grader.build): which ones
# an assignment ships and withholds is in grading/<assignment>/assignment.toml.
c.Helpers.source = "reference"
c.Helpers.package = "nnlib"

# The hidden checks compute their truth with `reference`, the course's solutions: `grader autograde` runs them in the
# judge, outside the notebooks' processes (grader.judge), so nothing of it is preloaded for the notebooks. Where the
# checks run in the notebook's process (plain `nbgrader autograde`), a notebook that replaces any of its functions
# fails its checks.
c.Engine.watch = ["reference.*"]
