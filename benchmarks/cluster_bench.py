"""``benchmarks/autograde_bench.py --cluster ADDRESS``: ``grader autograde --cluster`` against ``--jobs 2``.

The same submissions graded with ``--jobs 2`` and on the cluster, alternately, ``--repeat`` times each, each run
in a fresh copy of the course and a process of its own (``autograde_bench.py --worker``); the report quotes every
run, the median ratio (target at most 1.15x) and each pair's, and whether every run's scores agree with the first.
docs/distributed.md keeps the figures.
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import autograde_bench
from autograde_bench import REPO, Stats, Timing, _row, disagreements, run, scores

BENCH = Path(autograde_bench.__file__)
"""The benchmark whose ``--worker`` mode grades one run."""


@dataclass
class ClusterResult:
    assignment: str
    n: int
    cluster: str
    runs: list[tuple[str, Timing, Stats]]
    """(label, timing, stats) in the order they ran: ``-j2`` and the cluster, alternately."""
    agree: bool
    disagreements: list[str]


def compare_cluster(base: Path, work: Path, assignment: str, made: dict[str, str], cluster: str,
                    repeat: int) -> ClusterResult:
    """``--jobs 2`` and ``--cluster`` alternately, ``repeat`` times each, each in a fresh copy of the course."""
    runs: list[tuple[str, Timing, Stats]] = []
    graded: dict[str, dict[Any, Any]] = {}
    for i in range(repeat):
        for label in ("-j2", cluster):
            root = work / f"{assignment}-{'j2' if label == '-j2' else 'cluster'}-{i}"
            shutil.copytree(base, root)
            out = work / f"{root.name}.json"
            argv = [sys.executable, str(BENCH), "--worker", str(root), assignment, "2", str(out)]
            if label != "-j2":
                argv += ["--worker-cluster", cluster]
            timing = run(argv, cwd=REPO)
            runs.append((label, timing, Stats(**json.loads(out.read_text()))))
            graded[f"{label} run {i + 1}"] = scores(root, assignment)
            shutil.rmtree(root)
            print(f"  {assignment} {label} run {i + 1}: {timing.wall:.1f} s (load average {timing.load:.1f})",
                  flush=True)
    wrong = disagreements(graded, "-j2 run 1", made)
    return ClusterResult(assignment, len(made), cluster, runs, not wrong, wrong)


def cluster_report(result: ClusterResult) -> list[str]:
    n = result.n
    lines = [f"{result.assignment}: {n} submissions, --jobs 2 against --cluster {result.cluster}, alternately "
             f"(the machine is shared: every run is quoted)"]
    for label in ("-j2", result.cluster):
        mine = [(t, s) for name, t, s in result.runs if name == label]
        walls = [t.wall for t, _ in mine]
        overhead = [(t.wall * 2 - s.cell_seconds) / n for t, s in mine]
        cells = [s.cell_seconds / n for _, s in mine]
        statuses = mine[-1][1].statuses
        lines.append(_row(f"{label} wall", f"{statistics.median(walls):.1f} s",
                          "median of " + ", ".join(f"{w:.1f}" for w in walls) + " s; load averages after "
                          + ", ".join(f"{t.load:.1f}" for t, _ in mine)
                          + "".join(f"; EXIT CODE {s.exit_code}" for _, s in mine if s.exit_code)))
        lines.append(_row(f"{label} overhead", f"{1000 * statistics.median(overhead):.0f} ms/sub",
                          "(wall × 2 − Σ cells) / n, start-up included: " + ", ".join(f"{1000 * o:.0f}"
                                                                                      for o in overhead)
                          + f"; Σ cells {1000 * statistics.median(cells):.0f} ms/notebook; statuses {statuses}"))
    local = statistics.median(t.wall for name, t, _ in result.runs if name == "-j2")
    dask = statistics.median(t.wall for name, t, _ in result.runs if name != "-j2")
    lines.append(_row("cluster / -j2", f"{dask / local:.3f} x", "(median over median; target <= 1.15)"))
    pairs = [b.wall / a.wall for (_, a, _), (_, b, _) in zip(result.runs[::2], result.runs[1::2], strict=True)]
    lines.append(_row("per pair", "", ", ".join(f"{p:.3f}" for p in pairs) + " x (each cluster run over the -j2 "
                      "run just before it)"))
    lines.append(_row("scores agree", "yes" if result.agree else "NO"))
    lines += [f"    {d}" for d in result.disagreements[:20]]
    return lines
