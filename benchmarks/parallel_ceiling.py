"""How much faster two notebooks can possibly run side by side than one after the other, on this machine.

``grader autograde --jobs 2`` cannot beat twice ``--jobs 1``; on a machine whose two cores share caches, memory
bandwidth or a physical core, it cannot reach that either. This runs the same NumPy training loop (a 2-8-1 tanh
network on 200 points for 1,000 steps, what backprop's experiments do) in 1 process and in 2 processes at once,
several rounds alternating, and prints the median time of a loop in each case and their ratio: the slowdown of a
notebook with a neighbour, and so the ceiling ``2 / slowdown`` on the speed-up of ``--jobs 2``.

    OPENBLAS_NUM_THREADS=1 python benchmarks/parallel_ceiling.py [--rounds 6]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from multiprocessing import Pool
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def training_seconds(_: int) -> float:
    """Seconds of three trainings of a 2-8-1 tanh network (1,000 steps each), in this process."""
    import numpy as np

    from reference.data import circles
    from reference.init import initialize
    from reference.train import train

    X, Y = circles(200, np.random.default_rng(1))
    start = time.perf_counter()
    for _ in range(3):
        params = initialize([2, 8, 1], np.random.default_rng(1), "lecun_normal", "normal")
        train(params, X, Y, activations=["tanh", "sigmoid"], loss="bce", lr=1.0, steps=1000)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=6, help="rounds of (1 process, 2 processes), alternating")
    args = parser.parse_args(argv)
    seconds: dict[int, list[float]] = {1: [], 2: []}
    for _ in range(args.rounds):
        for processes in (1, 2):
            with Pool(processes) as pool:  # two tasks per process; each task's own time is what counts
                seconds[processes] += pool.map(training_seconds, range(2 * processes), chunksize=1)
    alone, beside = statistics.median(seconds[1]), statistics.median(seconds[2])
    slowdown = beside / alone
    print(f"one loop alone:         {alone:.3f} s (median of {len(seconds[1])})")
    print(f"one loop beside another: {beside:.3f} s (median of {len(seconds[2])})")
    print(f"slowdown {slowdown:.3f} x: --jobs 2 can be at most {2 / slowdown:.2f} x --jobs 1 on this machine")
    return 0


if __name__ == "__main__":
    sys.exit(main())
