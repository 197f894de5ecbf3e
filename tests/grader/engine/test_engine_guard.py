"""Does the fork engine stop a notebook that tampers with what grading relies on before its next graded cell, and
leave ordinary notebooks alone? (`grader.guard.Snapshot` itself is tested in tests/grader/test_guard.py.)"""

from __future__ import annotations

from typing import Any

import pytest

from grader.engine import Job, Limits


def graded(source: str, grade_id: str) -> tuple[str, dict[str, Any]]:
    return source, {"nbgrader": {"grade": True, "grade_id": grade_id, "locked": True, "points": 1,
                                 "schema_version": 3, "solution": False, "task": False}}


TEST_CELLS = [graded("import numpy as np\nassert np.allclose(double(1.0), 2.0), 'double'", "t1"),
              graded("assert double(2) == 4", "t2")]


@pytest.mark.parametrize(
    ("attack", "words"),
    [
        ("import numpy as np\nnp.allclose = lambda *a, **k: True", "numpy.allclose was replaced"),
        ("get_ipython().set_custom_exc((AssertionError,), lambda *a, **k: None)", "custom exception handlers"),
        ("get_ipython().showtraceback = lambda *a, **k: None", "the shell's methods"),
        ("get_ipython().ast_transformers.append(object())", "AST transformers"),
        ("get_ipython().hub.iopub = lambda *a, **k: None", "hub.iopub was replaced"),
    ],
    ids=["np.allclose", "custom_exc", "showtraceback", "ast", "hub"],
)
def test_a_notebook_that_tampers_is_stopped_before_its_next_graded_cell(make_nb, tmp_path, fork, attack, words):
    """Is the graded cell after the tampering never run, the job 'tampered', and the change named?"""
    nb = make_nb("def double(x):\n    return x", attack, *TEST_CELLS)
    result = fork.run(Job("tamper", nb, str(tmp_path)))
    assert result.status == "tampered", result.message
    assert words in result.message and "before graded cell 2 ran" in result.message
    assert result.stopped == 2 and result.not_run == (2, 3)
    assert [c.index for c in result.cells] == [0, 1]


def test_tampering_inside_a_graded_cell_fails_that_cell(make_nb, tmp_path, fork):
    """A student function called by a test cell that patches NumPy: caught right after that graded cell."""
    patching = "import numpy as np\ndef double(x):\n    np.allclose = lambda *a, **k: True\n    return x"
    nb = make_nb(patching, *TEST_CELLS)
    result = fork.run(Job("sneaky", nb, str(tmp_path)))
    assert result.status == "tampered" and "after graded cell 1 ran" in result.message
    assert result.stopped == 1 and result.not_run == (2,)


def test_the_warm_server_watches_everything_on_the_fast_path(fork):
    """The engine's guard covers NumPy, IPython, the grader and the rest (~17,000 attributes) and checks them in
    tens of microseconds; a watched class whose namespace the fast path cannot read would turn every check back into
    a millisecond one (docs/results/engine.md)."""
    hello = fork.server.hello
    assert hello["guarded"] > 10_000
    assert hello["guard_fast"] is True


def test_ordinary_notebooks_are_not_tampering(make_nb, tmp_path, fork):
    """Plots, magics, display hooks, warnings filters, np.random seeding, new attributes: no false alarm."""
    nb = make_nb(
        "%matplotlib inline\nimport matplotlib.pyplot as plt\nimport numpy as np\nnp.random.seed(0)\n"
        "import warnings\nwarnings.simplefilter('ignore')\nnp.float = float\nplt.plot([1, 2]);",
        "%load_ext autoreload\n%autoreload 2\ndef double(x):\n    return 2 * x",
        *TEST_CELLS,
        "%%capture\nprint('hidden')",
        graded("from grader.checks import Answer, check_answer\n"
               "check_answer({'q': Answer('int', 2, 'why')}, 'q', 2)", "t3"),
    )
    result = fork.run(Job("ordinary", nb, str(tmp_path), Limits(cell_timeout=20)))
    assert result.status == "ok", result.message
    errors = [o for cell in result.notebook.cells for o in cell.get("outputs", []) if o["output_type"] == "error"]
    assert errors == []
