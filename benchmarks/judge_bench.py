"""Benchmark of the judge's channel: one call of a student's function from a check, through the judge, against the
same call made directly, as the checks made it before the judge (in the notebook's process).

A tiny course whose one check calls the student's function ``--calls`` times, returning arrays of a few sizes; the
judge server is started as `grader autograde` starts it (`grader.judge.host.Judge`) and this process is the
notebook's (`grader.judge.client.Client`). The student's function records when it is called: the time between two
calls is one round trip (judge → notebook: the call; notebook → judge: the result; judge: decode, next call).
Prints p50 and p99 per size, and the ratio to a direct call of the same function. Asserts nothing.

    python benchmarks/judge_bench.py              # 2000 calls per size
    python benchmarks/judge_bench.py --calls 200
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grader.judge.client import Client
from grader.judge.host import Judge
from grader.judge.session import ANY, Expected

CHECKS = '''
from grader.checks import call_student


def ping(fn, size, calls):
    """Call the student's function ``calls`` times; it returns ``size`` float64 numbers."""
    for _ in range(calls):
        call_student("ping", fn, size)
'''
SIZES = {"a number": 1, "1 KB": 128, "100 KB": 12_800, "8 MB": 1_000_000}


def recorder(stamps: list[float], payload: np.ndarray):
    """The student's function: notes when it is called, returns the first ``n`` numbers of ``payload``."""

    def student(n: int) -> np.ndarray:
        stamps.append(time.perf_counter())
        return payload[:n]

    return student


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls per size (default 2000; 8 MB: a tenth)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="judge-bench-") as tmp:
        course = Path(tmp) / "course"
        (course / "grading" / "bench").mkdir(parents=True)
        (course / "grading" / "bench" / "checks.py").write_text(CHECKS)
        judge = Judge(str(course))
        try:
            started = time.perf_counter()
            judge.ready()
            print(f"judge server ready in {time.perf_counter() - started:.2f} s; {args.calls} calls per size")
            print(f"{'returns':10} {'p50':>9} {'p99':>9} {'direct p50':>11} {'judge / direct (p50)':>21}")
            for label, size in SIZES.items():
                calls = max(10, args.calls // 10) if size >= 1_000_000 else args.calls
                notebook = {"cells": [{"cell_type": "code", "source": "hidden.check('ping', f, SIZE, CALLS)",
                                       "metadata": {"nbgrader": {"grade": True, "solution": False,
                                                                 "grade_id": "t"}}}]}
                token, _, _ = judge.register(notebook, "bench")
                stamps: list[float] = []
                student = recorder(stamps, np.arange(size, dtype=np.float64))

                client = Client(judge.socket_path, token)
                client.check("ping", (student, size, calls), {})
                client.sock.close()
                judge.finish(token, [Expected(0, "t", "ping", (ANY, ANY, ANY))])
                trips = [b - a for a, b in itertools.pairwise(stamps)]
                direct = []
                for _ in range(min(calls, 500)):
                    t = time.perf_counter()
                    student(size)
                    direct.append(time.perf_counter() - t)
                p50, p99, d50 = percentile(trips, 0.5), percentile(trips, 0.99), statistics.median(direct)
                print(f"{label:10} {p50 * 1e6:7.0f} µs {p99 * 1e6:7.0f} µs {d50 * 1e6:9.1f} µs "
                      f"{p50 / d50:19.0f}x")
        finally:
            judge.close()


if __name__ == "__main__":
    main()
