"""Times one streaming step against PyTorch at batch 1, in the same run.

The step is `examples/streaming.rs`'s: a GRU(32) or LSTM(32) cell on 8 features (PyTorch's
nn.GRUCell / nn.LSTMCell) and a Linear(32, 4) head, for one incoming sample, the state
carried between calls; PyTorch under torch.no_grad() on one thread. Each side times every
step of 12,800 and reports the median and the 99th percentile; the two alternate
`--rounds` times. Build the example first (`cargo build --release --example streaming`);
needs torch. Run it on a quiet machine.

    python3 benches/pytorch/compare_streaming.py [--rounds R]
"""

import argparse
import pathlib
import re
import statistics
import subprocess
import time

import torch

ROOT = pathlib.Path(__file__).resolve().parents[2]
RUST = ROOT / "target" / "release" / "examples" / "streaming"
STEPS = 12_800
BUDGET_US = 1e6 / 48_000


def pytorch_steps(lstm):
    torch.manual_seed(0)
    cell = torch.nn.LSTMCell(8, 32) if lstm else torch.nn.GRUCell(8, 32)
    head = torch.nn.Linear(32, 4)
    x = torch.randn(STEPS, 1, 8)
    h = torch.zeros(1, 32)
    state = (h, torch.zeros(1, 32)) if lstm else h
    times = []
    with torch.no_grad():
        for t in range(STEPS):
            start = time.perf_counter_ns()
            state = cell(x[t], state)
            logits = head(state[0] if lstm else state)
            times.append(time.perf_counter_ns() - start)
    del logits
    times.sort()
    return times[len(times) // 2] / 1e3, times[len(times) * 99 // 100] / 1e3


def rust_steps(lstm):
    out = subprocess.run([str(RUST)] + (["--lstm"] if lstm else []), check=True, capture_output=True, text=True).stdout
    m = re.search(r"median ([0-9.]+) µs, p99 ([0-9.]+) µs", out)
    return float(m.group(1)), float(m.group(2))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    for name, lstm in (("GRU(32)", False), ("LSTM(32)", True)):
        ours, theirs = [], []
        for _ in range(args.rounds):
            ours.append(rust_steps(lstm))
            theirs.append(pytorch_steps(lstm))
        s = statistics.median(m for m, _ in ours)
        sp = statistics.median(p for _, p in ours)
        p = statistics.median(m for m, _ in theirs)
        pp = statistics.median(q for _, q in theirs)
        print(
            f"{name} step + Linear(32, 4) head, batch 1: staticnet median {s:.2f} µs (p99 {sp:.2f}), "
            f"PyTorch {torch.__version__} median {p:.2f} µs (p99 {pp:.2f}): staticnet {p / s:.1f}x faster; "
            f"real-time factor at 48 kHz ({BUDGET_US:.1f} µs): staticnet {BUDGET_US / s:.1f}, PyTorch {BUDGET_US / p:.1f}"
        )


if __name__ == "__main__":
    main()
