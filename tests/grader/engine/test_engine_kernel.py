"""The kernel executor's own stderr: does it stay off the grader's terminal, and does a kernel that cannot start still
say why, in the job's one-line message?"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell, new_notebook

from grader.engine import Job, Limits
from grader.engine.kernel import KernelExecutor

DYING = "import sys; sys.stderr.write('[IPKernelApp] WARNING | routine noise\\n'); import wisdom_of_the_ages"
"""A kernel that logs a routine warning, then dies of a missing module before it ever answers."""


@pytest.mark.slow
def test_a_kernel_that_cannot_start_says_why_in_the_message_not_on_the_terminal(tmp_path: Path, monkeypatch,
                                                                                 capfd) -> None:
    spec = tmp_path / "jupyter" / "kernels" / "dying"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({"argv": [sys.executable, "-c", DYING, "{connection_file}"],
                                                  "display_name": "dying", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    job = Job("dying", new_notebook(cells=[new_code_cell("1 + 1")]), str(tmp_path), Limits(cell_timeout=10))
    result = next(iter(KernelExecutor(kernel_name="dying").map([job])))
    assert result.status == "error" and len(result.message.splitlines()) == 1
    assert result.message.endswith("(the kernel's last words: "
                                   "ModuleNotFoundError: No module named 'wisdom_of_the_ages')"), result.message
    assert "routine noise" not in result.message
    assert "wisdom_of_the_ages" not in capfd.readouterr().err
