"""grader/checker_wheel.py: does the students' wheel hold the grader and not the course's solutions, and does
``grader check`` run from it alone, with the repository's editable install (which serves ``reference``) out of reach?"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import nbformat
import pytest

from grader import checker_wheel
from tests.grader.conftest import fill

CHECK = """
import importlib.util, sys
from grader.cli import main
code = main(["check", sys.argv[1]])
assert importlib.util.find_spec("reference") is None, "reference is importable"
assert "reference" not in sys.modules
print("grader from", __import__("grader").__file__)
sys.exit(code)
"""
"""What the student's process runs: `grader check`, then proof that the solutions were never within reach."""


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_the_checker_wheel_ships_no_solutions_and_checks_a_notebook_alone(course: Path, tmp_path: Path) -> None:
    wheel = checker_wheel.build(tmp_path / "dist")
    names = zipfile.ZipFile(wheel).namelist()
    assert "grader/check.py" in names and "grader/templates/feedback.html.j2" in names
    assert not [n for n in names if n.startswith(("reference", "assignments", "tests"))], names
    assert {n.split("/")[0] for n in names} == {"grader", "-".join(wheel.name.split("-")[:2]) + ".dist-info"}

    # A fresh venv whose only link to this one is a .pth line naming its site-packages: a folder named there is not
    # scanned for .pth files, so the editable install of this repository (a .pth hook) never runs in it.
    venv = tmp_path / "student-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                    tmp_path).stdout.strip())
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    installed = run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--target",
                     str(site), str(wheel)], tmp_path)
    assert installed.returncode == 0, installed.stderr

    notebook = tmp_path / "mine" / "ps1.ipynb"
    notebook.parent.mkdir()
    nbformat.write(fill(course), notebook)
    done = run([str(python), "-c", CHECK, notebook.name], notebook.parent)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "all public tests pass" in done.stdout and done.stderr == ""
    assert f"grader from {site}" in done.stdout
    assert run([str(python), "-c", "import reference"], tmp_path).returncode == 1
