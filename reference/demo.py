"""Print the experiment tables behind the course's claims: `python -m reference.demo`."""

from __future__ import annotations

import math

from reference.experiments import depth_ratios, init_comparison


def main() -> None:
    """Run both experiments and print one table each."""
    print("Same 2-10-5-1 ReLU net trained on circles (300 points) from each init")
    print(f"{'init':<16}{'first loss':>12}{'final loss':>12}{'train acc':>11}{'dup. units':>12}")
    for r in init_comparison():
        print(f"{r.init:<16}{r.first_loss:>12.4f}{r.final_loss:>12.4f}{r.train_accuracy:>11.3f}{r.duplicate_units:>12d}")
    print(f"(ln 2 = {math.log(2):.4f}: the loss of a network that answers 0.5 for every example)\n")
    print("50 layers of width 256: std of layer-50 pre-activations / std of layer-1's (median of 10 seeds)")
    for r in depth_ratios():
        print(f"{r.case:<34}{r.median_ratio:>12.3g}")


if __name__ == "__main__":
    main()
