"""Times `examples/mnist_rows.rs` against PyTorch on one thread, in the same run.

Alternates the two programs `--rounds` times (LSTM, then GRU; both bidirectional with
`--bidirectional`), each training `--epochs` epochs, and prints the median seconds per
epoch of each and their ratio. Build the example first (`cargo build --release --example
mnist_rows`); needs torch and numpy. Run it on a quiet machine: another build on the same
cores changes both figures.

    python3 benches/pytorch/compare_mnist_rows.py [--epochs N] [--rounds R] [--bidirectional]
"""

import argparse
import pathlib
import re
import statistics
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
RUST = ROOT / "target" / "release" / "examples" / "mnist_rows"
TORCH = [sys.executable, str(ROOT / "benches" / "pytorch" / "mnist_rows.py")]


def epochs(command):
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    times = [float(t) for t in re.findall(r"time ([0-9.]+)s?\b", out)]
    accuracy = re.findall(r"test accuracy: ([0-9.]+)", out)[-1]
    return times, accuracy


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--bidirectional", action="store_true")
    args = parser.parse_args()
    both = ["--bidirectional"] if args.bidirectional else []
    prefix = "bidirectional " if args.bidirectional else ""
    for cell, flag in ((prefix + "LSTM(64)", both), (prefix + "GRU(64)", ["--gru"] + both)):
        ours, theirs = [], []
        for _ in range(args.rounds):
            t, a = epochs([str(RUST), "--epochs", str(args.epochs)] + flag)
            ours += t
            t, b = epochs(TORCH + ["--epochs", str(args.epochs)] + flag)
            theirs += t
        s, p = statistics.median(ours), statistics.median(theirs)
        print(f"{cell}: staticnet {s:.3f} s/epoch (test accuracy {a}), PyTorch {torch_version()} one thread "
              f"{p:.3f} s/epoch (test accuracy {b}): staticnet {p / s:.2f}x faster")


def torch_version():
    import torch

    return torch.__version__


if __name__ == "__main__":
    main()
