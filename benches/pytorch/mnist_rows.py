"""PyTorch's side of `examples/mnist_rows.rs`, for a same-run speed comparison.

The same task and network: each 28x28 digit of the bundled MNIST subset read as 28 rows of
28 pixels (v / 255), nn.LSTM(28, 64, batch_first=True) (or nn.GRU with --gru; with
--bidirectional, bidirectional=True) and a Linear on the final hidden state h_n (both
directions' side by side when bidirectional), Adam at 2e-3, batch 32, reshuffled every epoch, the
gradient norm clipped to 1 before each step; one thread (torch.set_num_threads(1)).
Prints one line per epoch, "epoch N time S", then "test accuracy: A".

    python3 benches/pytorch/mnist_rows.py [--epochs N] [--gru] [--bidirectional] [--threads T]

Needs torch and numpy (not installed by CI); `compare_mnist_rows.py` runs it beside the
Rust example.
"""

import argparse
import gzip
import pathlib
import time

import numpy as np
import torch

DATA = pathlib.Path(__file__).resolve().parents[2] / "data" / "mnist"


def idx(name):
    raw = gzip.open(DATA / name).read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


class Rows(torch.nn.Module):
    def __init__(self, gru, bidirectional):
        super().__init__()
        cell = torch.nn.GRU if gru else torch.nn.LSTM
        self.rnn = cell(28, 64, batch_first=True, bidirectional=bidirectional)
        self.head = torch.nn.Linear(128 if bidirectional else 64, 10)

    def forward(self, x):
        _, state = self.rnn(x)
        h_n = state if isinstance(self.rnn, torch.nn.GRU) else state[0]
        # [directions, B, 64] -> [B, directions * 64]: forward then reverse.
        return self.head(h_n.permute(1, 0, 2).reshape(len(x), -1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--gru", action="store_true")
    parser.add_argument("--bidirectional", action="store_true")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    x = torch.from_numpy(idx("train-images-idx3-ubyte.gz").astype(np.float32) / 255.0)
    y = torch.from_numpy(idx("train-labels-idx1-ubyte.gz").astype(np.int64))
    xt = torch.from_numpy(idx("t10k-images-idx3-ubyte.gz").astype(np.float32) / 255.0)
    yt = torch.from_numpy(idx("t10k-labels-idx1-ubyte.gz").astype(np.int64))
    model = Rows(args.gru, args.bidirectional)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        order = torch.randperm(len(x))
        for i in range(0, len(x), 32):
            batch = order[i : i + 32]
            optimizer.zero_grad()
            loss = loss_fn(model(x[batch]), y[batch])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
        print(f"epoch {epoch} time {time.perf_counter() - start:.3f}", flush=True)
    with torch.no_grad():
        accuracy = (model(xt).argmax(1) == yt).float().mean().item()
    print(f"test accuracy: {accuracy:.4f}")


if __name__ == "__main__":
    main()
