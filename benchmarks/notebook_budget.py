"""Benchmark of grading cost: each assignment's solution notebook, hidden tests included, run top to bottom in a
Jupyter kernel (kernel start excluded), against its budget.

Run: `python benchmarks/notebook_budget.py [--repeats N] [--assignments A B]`. Prints the median seconds of the cells
and the budget's margin over it; asserts nothing. Each assignment's budget is ``[budget] seconds`` of its
``grading/<name>/assignment.toml`` (a few seconds of cells, so that an instructor grading hundreds of notebooks waits
minutes, not hours); an assignment without one is timed against no budget. An assignment with per-student variants
runs with the variant files of its generator's high extreme (``extremes()[-1]``, the largest numbers), as a
submission graded at that extreme would.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from autograde_bench import grading_env  # the environment graded notebooks run in (one BLAS thread)
from nbclient import NotebookClient

from grader import variant_files, variants
from grader.build import build_course
from grader.course import EMBEDDED_COURSE, Course, scratch_copy
from grader.grading import read_settings

ASSIGNMENTS = Course.at(EMBEDDED_COURSE).assignments()


def cell_seconds(notebook: Path) -> float:
    """Seconds from the first cell's start to the last cell's end, in a kernel started beforehand.

    The source notebook is the solution with its hidden tests: nbgrader's markers are comments to Python.
    """
    nb = nbformat.read(notebook, as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3",
                            extra_arguments=["--IPKernelApp.log_level=ERROR"],  # no transport warning per kernel
                            resources={"metadata": {"path": str(notebook.parent)}})
    with client.setup_kernel(env=grading_env()):
        start = time.perf_counter()
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)  # raises CellExecutionError if the solution fails a test
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="kernel runs per notebook (default 5)")
    parser.add_argument("--assignments", nargs="+", default=ASSIGNMENTS, choices=ASSIGNMENTS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="notebook-budget-") as tmp:
        course = scratch_copy(Course.at(EMBEDDED_COURSE), Path(tmp) / "course")
        build_course(course, args.assignments)
        for name in args.assignments:
            if variants.has_variants(course.root, name):
                generator = variants.generator(course.root, name)
                variant = variants.Variant("budget", name, dict(generator.extremes()[-1]), generator.VERSION)
                variant_files.write_files(course.root, course.directory("source", name), variant)
        print(f"solution notebooks, hidden tests included, kernel start excluded ({args.repeats} runs each)")
        for name in args.assignments:
            notebooks = course.source_notebooks(name)
            runs = []
            for _ in range(args.repeats):
                runs.append(sum(cell_seconds(nb) for nb in notebooks))
                print(".", end="", flush=True, file=sys.stderr)
            median = statistics.median(runs)
            budget = read_settings(EMBEDDED_COURSE, name).budget_seconds
            against = f"budget {budget:g} s: {budget / median:.1f}x margin" if budget else "no budget set"
            print(f"\r  {name:14} median {median:6.2f} s  (min {min(runs):.2f}, max {max(runs):.2f})  {against}")


if __name__ == "__main__":
    main()
