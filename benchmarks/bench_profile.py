"""``benchmarks/autograde_bench.py --profile``: where the grading process's own time goes.

`instrument` times nbgrader's steps (every nbconvert preprocessor call), gradebook opening and commits and notebook
I/O in the ``--worker`` process of the ``--jobs 1`` run; `profile_report` prints them per submission.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from autograde_bench import SetResult, Stats


def instrument(stats: Stats) -> None:
    """Time nbgrader's steps (every nbconvert preprocessor call), gradebook opening and commits, notebook I/O."""
    import nbformat
    from nbconvert.preprocessors.base import Preprocessor
    from nbgrader.api import Gradebook
    from sqlalchemy.orm import Session

    def timed(owner: Any, name: str, label: Any) -> None:
        original = getattr(owner, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            key = label(args) if callable(label) else label
            t = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                stats.steps[key] = stats.steps.get(key, 0.0) + time.perf_counter() - t
                stats.counts[key] = stats.counts.get(key, 0) + 1

        setattr(owner, name, wrapper)

    timed(Preprocessor, "__call__", lambda args: f"step {type(args[0]).__name__}")
    timed(Gradebook, "__init__", "gradebook open")
    timed(Session, "commit", "gradebook commit")
    for name in ("read", "reads", "write", "writes"):
        timed(nbformat, name, f"nbformat.{name}")


def profile_report(result: SetResult) -> list[str]:
    timing, stats = result.ours[1]
    wall = timing.wall
    n = result.n
    waiting = stats.engine_wait_seconds - stats.engine_start_seconds
    own = stats.worker_seconds - stats.import_seconds - stats.engine_wait_seconds
    lines = [f"{result.assignment}, -j1: where the {wall:.1f} s of the grading process went ({n} submissions)",
             f"  Python start                            {wall - stats.worker_seconds:7.2f} s",
             f"  imports (grader, nbgrader)              {stats.import_seconds:7.2f} s",
             f"  warm server start, not covered          {stats.engine_start_seconds:7.2f} s   (it boots while the "
             "grader imports)",
             f"  waiting for the engine                  {waiting:7.2f} s   {1000 * waiting / n:6.1f} ms/sub   "
             f"(Σ cells {stats.cell_seconds:.2f} s = {1000 * stats.cell_seconds / n:.1f} ms/sub; Σ job wall "
             f"{stats.job_seconds:.2f} s)",
             f"  the grading pipeline itself             {own:7.2f} s   {1000 * own / n:6.1f} ms/sub   "
             f"(the first job reached the engine after {stats.first_job_seconds:.2f} s)",
             "    of which (gradebook opens and commits happen inside the steps, nbformat I/O partly too):"]
    for key, seconds in sorted(stats.steps.items(), key=lambda kv: -kv[1]):
        lines.append(f"    {key:<36} {seconds:7.2f} s   {1000 * seconds / n:6.1f} ms/sub   "
                     f"{stats.counts.get(key, 0) / n:5.1f} calls/sub")
    return lines
