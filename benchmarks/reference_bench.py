"""Benchmark of reference/: forward+backward against a hand-written NumPy baseline, the directional check, and
duplicate_units against the O(n²) pairwise loop.

Run: `python benchmarks/reference_bench.py [--repeats N]`. Prints medians and ratios; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from reference.gradcheck import directional_check
from reference.init import initialize
from reference.network import backward, forward
from reference.symmetry import duplicate_units, pairwise_duplicate_groups, unit_features


def baseline(params: dict, X: np.ndarray, Y: np.ndarray) -> dict:
    """The obvious hand-written 4-layer ReLU/sigmoid MLP with BCE: forward then backward, nothing shared."""
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    W3, b3, W4, b4 = params["W3"], params["b3"], params["W4"], params["b4"]
    m = X.shape[1]
    Z1 = W1 @ X + b1
    A1 = np.maximum(0, Z1)
    Z2 = W2 @ A1 + b2
    A2 = np.maximum(0, Z2)
    Z3 = W3 @ A2 + b3
    A3 = np.maximum(0, Z3)
    Z4 = W4 @ A3 + b4
    A4 = 1 / (1 + np.exp(-Z4))
    dZ4 = (A4 - Y) / m
    dW4, db4 = dZ4 @ A3.T, dZ4.sum(axis=1, keepdims=True)
    dZ3 = (W4.T @ dZ4) * (Z3 > 0)
    dW3, db3 = dZ3 @ A2.T, dZ3.sum(axis=1, keepdims=True)
    dZ2 = (W3.T @ dZ3) * (Z2 > 0)
    dW2, db2 = dZ2 @ A1.T, dZ2.sum(axis=1, keepdims=True)
    dZ1 = (W2.T @ dZ2) * (Z1 > 0)
    dW1, db1 = dZ1 @ X.T, dZ1.sum(axis=1, keepdims=True)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2, "dW3": dW3, "db3": db3, "dW4": dW4, "db4": db4}


def reference_step(params: dict, X: np.ndarray, Y: np.ndarray) -> dict:
    _, cache = forward(params, X, ["relu", "relu", "relu", "sigmoid"])
    return backward(params, cache, Y, "bce")


def bench_mlp(repeats: int) -> None:
    rng = np.random.default_rng(0)
    dims = [512] * 5
    params = initialize(dims, rng)
    X = rng.standard_normal((512, 256))
    Y = (rng.random((512, 256)) < 0.5).astype(np.float64)
    ours, base = reference_step(params, X, Y), baseline(params, X, Y)
    assert all(np.allclose(ours[k], base[k], rtol=1e-10, atol=1e-14) for k in base), "implementations disagree"
    t_ours, t_base = [], []
    for _ in range(repeats):  # interleaved, so that machine noise hits both alike
        t0 = time.perf_counter()
        reference_step(params, X, Y)
        t1 = time.perf_counter()
        baseline(params, X, Y)
        t2 = time.perf_counter()
        t_ours.append(t1 - t0)
        t_base.append(t2 - t1)
    mo, mb = statistics.median(t_ours), statistics.median(t_base)
    print(f"forward+backward, 4 layers of width 512, batch 256, float64 ({repeats} interleaved runs)")
    print(f"  reference.network   median {mo * 1e3:8.2f} ms")
    print(f"  hand-written NumPy  median {mb * 1e3:8.2f} ms")
    print(f"  ratio reference / baseline = {mo / mb:.3f}  (target <= 1.1)")


def bench_directional(repeats: int) -> None:
    rng = np.random.default_rng(1)
    dims = [1000, 1000, 1]
    params = initialize(dims, rng)
    n_params = sum(v.size for v in params.values())
    X = rng.standard_normal((1000, 32))
    Y = (rng.random((1, 32)) < 0.5).astype(np.float64)
    acts = ["tanh", "sigmoid"]
    times = []
    for _ in range(max(3, repeats // 5)):
        t0 = time.perf_counter()
        report = directional_check(params, X, Y, acts, "bce", rng, n_directions=10)
        times.append(time.perf_counter() - t0)
    t_fwd = []
    for _ in range(5):
        t0 = time.perf_counter()
        forward(params, X, acts)
        t_fwd.append(time.perf_counter() - t0)
    fwd = statistics.median(t_fwd)
    print(f"\ndirectional_check, {n_params:,} parameters, 10 random directions")
    print(f"  median {statistics.median(times):.3f} s (target < 2 s), max relative error {report.max_error:.2e}")
    print(
        f"  check_gradients would need 2 x {n_params:,} forward passes: about {2 * n_params * fwd:,.0f} s "
        f"({2 * n_params * fwd / 3600:.1f} h at {fwd * 1e3:.2f} ms per forward pass)"
    )


def bench_duplicates(repeats: int) -> None:
    """256 hidden units, half of them copies of the other half, timed against the pairwise loop."""
    rng = np.random.default_rng(0)
    n = 256
    params = {"W1": rng.normal(size=(n, 64)), "b1": rng.normal(size=(n, 1)),
              "W2": rng.normal(size=(n, n)), "b2": np.zeros((n, 1))}
    for key in ("W1", "b1"):
        params[key][1::2] = params[key][::2]
    params["W2"][:, 1::2] = params["W2"][:, ::2]
    F = unit_features(params, 1)
    ours, loop = [], []
    for _ in range(max(3, repeats // 10)):  # the loop takes over 0.1 s a run: fewer runs
        t0 = time.perf_counter()
        fast = duplicate_units(params, 1)
        t1 = time.perf_counter()
        slow = pairwise_duplicate_groups(F, 1e-8)
        t2 = time.perf_counter()
        assert fast == slow
        ours.append(t1 - t0)
        loop.append(t2 - t1)
    mo, ml = statistics.median(ours), statistics.median(loop)
    print(f"\nduplicate_units, {n} units in {n // 2} pairs ({len(ours)} interleaved runs)")
    print(f"  reference.symmetry  median {mo * 1e3:8.2f} ms")
    print(f"  pairwise loop       median {ml * 1e3:8.2f} ms")
    print(f"  ratio loop / reference = {ml / mo:.0f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30, help="timed runs per implementation (default 30)")
    args = parser.parse_args()
    bench_mlp(args.repeats)
    bench_directional(args.repeats)
    bench_duplicates(args.repeats)


if __name__ == "__main__":
    main()
