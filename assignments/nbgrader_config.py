"""nbgrader configuration of the symmetry-grader course (read by nbgrader and by grader/)."""

c = get_config()  # noqa: F821  (nbgrader provides get_config when it loads this file)

c.CourseDirectory.course_id = "symmetry-grader"

# A test cell scores zero when it raises or writes to stderr; students' notebooks may train small nets.
c.Execute.timeout = 120

# Test and locked cells a student deleted are put back from the gradebook before grading (and scored).
c.OverwriteCells.add_missing_cells = True

# Helper packages built from reference/ by grader/build.py into source/<assignment>/<package>/ (git-ignored,
# rebuilt before every release and grading run). "withhold" names the modules that hold what learners write in
# that assignment: they must never ship there. network.py is the backprop solution: ship it only to assignments
# that come after backprop.
c.Helpers.package = "nnlib"
c.Helpers.assignments = {
    # backprop comes first: learners write the forward and backward passes (network, activations, losses) and the
    # gradient checker (gradcheck), so it ships nothing but the data sets; its notebook gives the forward
    # activations in a locked cell.
    "backprop": {
        "ship": ["data"],
        "withhold": ["network", "activations", "losses", "gradcheck", "train", "init", "symmetry"],
    },
    "init_symmetry": {
        "ship": ["activations", "losses", "network", "train", "data"],
        "withhold": ["init", "symmetry"],
    },
    # init_scale: learners write a He init with a gain and orthogonal init (reference/init.py), the std profile
    # (reference/experiments.py) and the dead-unit fraction (reference/symmetry.py); the training code ships.
    "init_scale": {
        "ship": ["activations", "losses", "network", "train", "data"],
        "withhold": ["init", "symmetry", "experiments"],
    },
}
