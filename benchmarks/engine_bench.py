"""Benchmark of the execution engine: nbgrader's kernel path vs the fork engine with 1 and 2 jobs.

Two sets of N notebooks: ``trivial`` (a student notebook whose cells cost nothing, so executor overhead is all
there is) and ``numpy`` (some tens of milliseconds of NumPy work). Each set runs through `KernelExecutor` (nbgrader's
``Execute`` preprocessor, a fresh kernel per notebook, as ``nbgrader autograde`` does) once, and through
`LocalForkExecutor` with ``--jobs 1`` and ``--jobs 2`` ``--repeat`` times (medians reported; the warm server is
started before timing, its start-up is printed apart), each time also with ``spare=False`` (every notebook's process
forked when its job comes, rather than ahead of it), the two runs alternated.

Printed per set and executor: wall seconds for the set, the median wall per notebook, Σ of the notebooks' own cell
seconds, the floor (Σ cells / jobs), wall over floor, and the overhead per notebook, (wall × jobs − Σ cells) / N:
the core-milliseconds each notebook costs beyond its own cells. Then the ratios kernel/fork and jobs 1/jobs 2, and
what the spare saves per notebook.

    python benchmarks/engine_bench.py            # N = 20
    python benchmarks/engine_bench.py --n 5 --repeat 1
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grader.engine import Job, KernelExecutor, Limits, LocalForkExecutor

TRIVIAL = [
    "#md # Initialization\nImplement `init_params`.",
    "import numpy as np\n\ndef init_params(n):\n    return {'W1': np.ones((n, n)), 'b1': np.zeros((n, 1))}",
    "params = init_params(3)\nprint(params['W1'].shape)",
    "assert params['b1'].shape == (3, 1)",
    "assert params['W1'].sum() == 9, 'W1 should hold nine ones'",
]
NUMPY = [
    "import numpy as np\nrng = np.random.default_rng(0)",
    "A = rng.standard_normal((160, 160))\nfor _ in range(250):\n    A = np.tanh(A @ A.T / 160)\nfloat(A.sum())",
    "X = rng.standard_normal((4, 2000))\nW = rng.standard_normal((8, 4)) * 0.1\n"
    "for _ in range(600):\n    Z = np.maximum(W @ X, 0)\n    W -= 1e-4 * (Z @ X.T)\nprint(round(float(Z.mean()), 6))",
    "assert np.isfinite(A).all()",
]
SETS = {"trivial": TRIVIAL, "numpy": NUMPY}
THREADS = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
"""One BLAS thread per notebook for every executor: parallelism comes from running notebooks side by side."""


def notebook(cells: list[str]) -> dict:
    nb = new_notebook(cells=[new_markdown_cell(c[4:]) if c.startswith("#md ") else new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


@dataclass
class Run:
    wall: float
    per_notebook: float
    cells: float
    jobs: int
    n: int

    @property
    def floor(self) -> float:
        return self.cells / self.jobs

    @property
    def overhead_ms(self) -> float:
        return 1000 * (self.wall * self.jobs - self.cells) / self.n


def measure(executor, jobs: list[Job], width: int) -> Run:
    started = time.perf_counter()
    results = list(executor.map(jobs))
    wall = time.perf_counter() - started
    bad = [r for r in results if r.status != "ok"]
    if bad:
        raise SystemExit(f"{bad[0].id}: {bad[0].status}: {bad[0].message}")
    return Run(wall, statistics.median(r.wall_seconds for r in results),
               sum(r.total_cell_seconds for r in results), width, len(results))


def median_run(runs: list[Run]) -> Run:
    return min(runs, key=lambda r: abs(r.wall - statistics.median(x.wall for x in runs)))


def line(name: str, run: Run) -> str:
    return (f"  {name:<10} wall {run.wall:8.3f} s   per notebook {1000 * run.per_notebook:8.1f} ms   "
            f"Σ cells {run.cells:7.3f} s   floor {run.floor:7.3f} s   wall/floor {run.wall / run.floor:6.2f}   "
            f"overhead {run.overhead_ms:7.1f} ms/notebook")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=20, help="notebooks per set")
    parser.add_argument("--repeat", type=int, default=3, help="fork-engine runs per setting (median reported)")
    parser.add_argument("--no-kernel", action="store_true", help="skip the (slow) kernel path")
    args = parser.parse_args(argv)
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"} | THREADS
    print(f"engine benchmark: {args.n} notebooks per set, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        for set_name, cells in SETS.items():
            nb = notebook(cells)
            jobs = [Job(f"{set_name}-{i}", nb, tmp, Limits(), env=env) for i in range(args.n)]
            print(f"\n{set_name}:")
            runs: dict[str, Run] = {}
            if not args.no_kernel:
                runs["kernel"] = measure(KernelExecutor(jobs=1), jobs, 1)
                print(line("kernel", runs["kernel"]))
            for width in (1, 2):
                with LocalForkExecutor(jobs=width, server_env=env) as executor, \
                        LocalForkExecutor(jobs=width, server_env=env, spare=False) as unspared:
                    started = time.perf_counter()
                    executor.server  # noqa: B018 (start the warm servers outside the timing)
                    startup = time.perf_counter() - started
                    unspared.server  # noqa: B018
                    measured: dict[str, list[Run]] = {"": [], " (no spare)": []}
                    for _ in range(args.repeat):  # alternated, so that both see the same machine
                        measured[""].append(measure(executor, jobs, width))
                        measured[" (no spare)"].append(measure(unspared, jobs, width))
                for suffix, taken in measured.items():
                    runs[f"fork -j{width}{suffix}"] = median_run(taken)
                print(line(f"fork -j{width}", runs[f"fork -j{width}"]) + f"   (server start {startup:.2f} s)")
                print(line("  no spare", runs[f"fork -j{width} (no spare)"]) + "   (each process forked when its job "
                      "comes)")
            j1, j2 = runs["fork -j1"], runs["fork -j2"]
            saved = {w: runs[f"fork -j{w} (no spare)"].overhead_ms - runs[f"fork -j{w}"].overhead_ms for w in (1, 2)}
            ratios = [f"jobs 2 over jobs 1: {j1.wall / j2.wall:.2f}x",
                      *(f"the spare saves {ms:.1f} ms/notebook at -j{w}" for w, ms in saved.items())]
            if "kernel" in runs:
                ratios = [f"kernel over fork -j1: {runs['kernel'].wall / j1.wall:.1f}x",
                          f"kernel over fork -j2: {runs['kernel'].wall / j2.wall:.1f}x", *ratios]
            print("  " + "   ".join(ratios))


if __name__ == "__main__":
    main()
