"""The shipped assignments' generators (``grading/<name>/variants.py``, issue 18): enough different numbers in a class,
extremes that are real parameter sets, a generator a learner's notebook can run alone, and the same numbers in the
notebook as in the grader."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader import variant_files, variants
from grader.course import EMBEDDED_COURSE
from grader.demo import ROSTER

KEY = "00112233445566778899aabbccddeeff" * 2
"""A fixed course key, so that the class below is the same in every run (any key gives a class as varied)."""
CLASS = [*ROSTER, *(f"student{k:02d}" for k in range(30 - len(ROSTER)))]
"""The demo's roster extended to 30 ids."""
WITH_VARIANTS = [a for a in sorted(p.name for p in (EMBEDDED_COURSE / "source").iterdir())
                 if variants.has_variants(EMBEDDED_COURSE, a)]


@pytest.fixture(autouse=True)
def course_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(variants.KEY_VARIABLE, KEY)


def test_every_shipped_assignment_has_per_student_variants():
    assert WITH_VARIANTS == ["backprop", "init_scale", "init_symmetry"]


@pytest.mark.parametrize("assignment", WITH_VARIANTS)
def test_a_class_of_30_gets_at_least_5_values_of_every_varying_quantity(assignment):
    drawn = [variants.derive(EMBEDDED_COURSE, assignment, student).parameters for student in CLASS]
    names = set(drawn[0])
    assert names and all(set(d) == names for d in drawn)
    counts = {name: len({d[name] for d in drawn}) for name in names}
    assert all(n >= 5 for n in counts.values()), counts


@pytest.mark.parametrize("assignment", WITH_VARIANTS)
def test_the_extremes_are_two_parameter_sets_that_bound_the_class(assignment):
    generator = variants.generator(EMBEDDED_COURSE, assignment)
    low, high = (variants.plain_parameters(e, "extremes()") for e in generator.extremes())
    drawn = [variants.derive(EMBEDDED_COURSE, assignment, s).parameters for s in [*CLASS, *map(str, range(300))]]
    assert set(low) == set(high) == set(drawn[0])
    for name in low:
        if isinstance(low[name], int | float):
            values = [d[name] for d in drawn]
            assert low[name] <= min(values) and max(values) <= high[name], (name, min(values), max(values))
            assert low[name] < high[name], name


@pytest.mark.parametrize("assignment", WITH_VARIANTS)
def test_the_generator_imports_only_numpy(assignment):
    """It is shipped as source in a class release, where only NumPy is sure to be there."""
    tree = ast.parse((EMBEDDED_COURSE / "grading" / assignment / "variants.py").read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module and node.level == 0}
    assert imported <= {"numpy", "math", "__future__"}, imported


@pytest.mark.parametrize("assignment", WITH_VARIANTS)
def test_a_learners_notebook_derives_what_the_grader_derives(assignment, tmp_path: Path):
    """The released variant.py, alone in a folder, run by a Python that has NumPy but not this project."""
    course = tmp_path / "course"
    shutil.copytree(EMBEDDED_COURSE / "grading" / assignment, course / "grading" / assignment)
    (course / "grading" / assignment / "__init__.py").touch()
    variant_files.write_runtime(course, tmp_path, assignment, with_key=True)
    code = ("import json, sys\nsys.path.insert(0, '.')\nfrom variant import mine\n"
            "print(json.dumps(mine()))")
    for student in CLASS[:3]:
        (tmp_path / "variant.json").unlink(missing_ok=True)
        out = subprocess.run([sys.executable, "-I", "-c", code], cwd=tmp_path, capture_output=True, text=True,
                             env={"PATH": os.environ["PATH"], "JUPYTERHUB_USER": student}, timeout=60)
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout.splitlines()[-1]) == variants.derive(EMBEDDED_COURSE, assignment,
                                                                          student).parameters
