"""Does the fork engine record what nbgrader's kernel path records, cell by cell?

Each notebook runs through `KernelExecutor` (nbgrader's ``Execute`` preprocessor, a fresh kernel) and through
`LocalForkExecutor`; outputs must agree in type, order, stream name and text, data and metadata (PNG bytes
included), execution counts, ename and evalue, and nbgrader must give every graded cell the same points.
Tracebacks may differ in decoration only (the engine uses IPython's Plain mode).
"""

from __future__ import annotations

from typing import Any

import pytest
from nbgrader.utils import determine_grade

from grader.engine import Job, JobResult, KernelExecutor, Limits


def graded(source: str, grade_id: str) -> tuple[str, dict[str, Any]]:
    """An autograder test cell as nbgrader's release has it."""
    return source, {
        "nbgrader": {
            "grade": True,
            "grade_id": grade_id,
            "locked": True,
            "points": 2,
            "schema_version": 3,
            "solution": False,
            "task": False,
        }
    }


FEATURES = [
    "print('a')\nimport sys\nprint('b', file=sys.stderr)\nprint('c')",
    "1+1",
    "import os, time\nos.system('echo from the shell')\ntime.sleep(0.05)\nprint('after')",
    "raise ValueError('bad value')",
    graded("assert 1 == 2, 'nope'", "t_assert"),
    "import sys\nsys.exit()",
    "sys.exit(3)",
    "from IPython.display import HTML, Markdown, display\ndisplay(HTML('<b>x</b>'))\nprint('p')\nHTML('<i>y</i>')",
    "Markdown('**bold**')",
    "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.title('line');",
    "%time x = sum(range(10))",
    "%%capture cap\nprint('hidden')",
    "cap.stdout",
    "input('name? ')",
    "import warnings\nwarnings.warn('careful')",
    "import time\nprint('s1')\ntime.sleep(0.4)\nprint('s2')",
    "",
    "# only a comment",
    "import os\nos.getcwd().endswith('work'), __name__",
    "h = display('first', display_id=True)\nh.update('second')",
    "from IPython.display import clear_output\nprint('gone')\nclear_output()\nprint('kept')",
    "import numpy as np\nnp.arange(6).reshape(2, 3) / 2",
    "def f(:\n    pass",
    "undefined_name",
    "import helper\nhelper.boom()",
    "import asyncio\nawait asyncio.sleep(0)\n'awaited'",
    graded("import sys\nsys.stderr.write('only stderr\\n')\nNone", "t_stderr"),
    graded("print('fine')\n0.5", "t_partial"),
    graded("print('all good')", "t_pass"),
    graded("assert helper.value() == 42, 'helper value'", "t_helper"),
    "raise ExceptionGroup('group', [ValueError('inner')])",
    ("print('skipped')", {"tags": ["skip-execution"]}),
    ("1/0", {"tags": ["raises-exception"]}),
    "#md A markdown cell is left alone.",
    "print('the end')",
]


@pytest.fixture(scope="module")
def features_job(make_nb, clean_env, tmp_path_factory) -> Job:
    """The FEATURES notebook in a folder with a helper."""
    folder = tmp_path_factory.mktemp("features") / "work"
    folder.mkdir()
    (folder / "helper.py").write_text("def boom():\n    raise RuntimeError('boom from helper')\n\n"
                                      "def value():\n    return 41\n")
    return Job("features", make_nb(*FEATURES), str(folder), Limits(cell_timeout=30), env=clean_env)


@pytest.fixture(scope="module")
def features(features_job, fork) -> tuple[JobResult, JobResult]:
    """The FEATURES notebook run by nbgrader's kernel path and by the fork engine."""
    return both(features_job, fork)


def both(job: Job, fork: Any) -> tuple[JobResult, JobResult]:
    kernel = KernelExecutor().run(job)
    forked = fork.run(job)
    return kernel, forked


def joined_streams(shapes: list[Any]) -> list[Any]:
    """The shapes with consecutive stream outputs of the same name joined: where a stream is cut."""
    joined = []
    for count, outputs, timing in shapes:
        merged: list[dict[str, Any]] = []
        for output in outputs:
            last = merged[-1] if merged else None
            if last and output["output_type"] == last["output_type"] == "stream" and output["name"] == last["name"]:
                merged[-1] = {**last, "text": last["text"] + output["text"]}
            else:
                merged.append(output)
        joined.append((count, merged, timing))
    return joined


def test_outputs_counts_and_errors_match_the_kernel(features, features_job, fork, cell_shapes):
    """Are streams, results, displays, errors and execution counts recorded as nbgrader records them, streams cut
    into outputs at the same places (ipykernel sends a stream 0.2 s after its first write)?

    Where a stream is cut depends on timing in both executors: a process held up 0.2 s between two writes of one
    print (a loaded CI machine) cuts it there. So when the two runs differ only in that, both run again, up to
    twice; the cuts must agree in one of the runs, and nothing else may ever differ."""
    kernel, forked = features
    for attempt in range(3):
        assert kernel.status == forked.status == "ok", (kernel.message, forked.message)
        expected, actual = cell_shapes(kernel.notebook), cell_shapes(forked.notebook)
        if actual == expected or attempt == 2:
            break
        assert joined_streams(actual) == joined_streams(expected)
        kernel, forked = both(features_job, fork)
    for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
        assert got == want, f"cell {index}: {FEATURES[index]!r}"
    assert forked.notebook.metadata["language_info"] == kernel.notebook.metadata["language_info"]
    # sanity: the comparison saw the interesting shapes, not empty cells
    kinds = {o["output_type"] for cell in forked.notebook.cells for o in cell.get("outputs", [])}
    assert kinds == {"stream", "execute_result", "display_data", "error"}
    png = [o for o in forked.notebook.cells[9].outputs if "image/png" in o.get("data", {})]
    assert len(png) == 1 and len(png[0]["data"]["image/png"]) > 1000


def test_nbgrader_scores_every_graded_cell_the_same(features):
    """Does nbgrader's determine_grade give identical points on both executors' notebooks?"""
    scores = {}
    for name, result in zip(("kernel", "fork"), features, strict=True):
        scores[name] = {cell.metadata["nbgrader"]["grade_id"]: determine_grade(cell)
                        for cell in result.notebook.cells if cell.metadata.get("nbgrader", {}).get("grade")}
    assert scores["fork"] == scores["kernel"]
    assert scores["fork"] == {"t_assert": (0, 2.0), "t_stderr": (0, 2.0), "t_partial": (0.5, 2.0),
                              "t_pass": (2.0, 2.0), "t_helper": (0, 2.0)}


def test_a_cell_past_its_time_limit_is_interrupted_and_the_notebook_goes_on(
    make_nb, clean_env, tmp_path, fork, cell_shapes
):
    """Does a looping cell get KeyboardInterrupt + nbgrader's CellTimeoutError, with later cells still run?"""
    nb = make_nb("print('before')", "while True:\n    pass", "print('after')")
    job = Job("loop", nb, str(tmp_path), Limits(cell_timeout=1), env=clean_env)
    kernel, forked = both(job, fork)
    assert kernel.status == forked.status == "ok"
    assert cell_shapes(forked.notebook) == cell_shapes(kernel.notebook)
    assert [o["ename"] for o in forked.notebook.cells[1].outputs] == ["KeyboardInterrupt", "CellTimeoutError"]
    assert [c.status for c in forked.cells] == ["ok", "timeout", "ok"]


def test_a_process_that_exits_is_a_dead_kernel_for_both(make_nb, clean_env, tmp_path, fork, cell_shapes):
    """Does os._exit give status 'died' at the same cell, with earlier outputs kept, on both executors?"""
    nb = make_nb("print('kept')", "import os\nos._exit(0)", "print('never')")
    job = Job("exit", nb, str(tmp_path), env=clean_env)
    kernel, forked = both(job, fork)
    assert kernel.status == forked.status == "died"
    assert kernel.stopped == forked.stopped == 1
    assert kernel.not_run == forked.not_run == (2,)
    assert cell_shapes(forked.notebook)[0] == cell_shapes(kernel.notebook)[0]
    assert forked.notebook.cells[0].outputs[0]["text"] == "kept\n"
