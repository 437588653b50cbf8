"""Writes rows_bidirectional.safetensors and rows_bidirectional.json: a bidirectional GRU
under a bidirectional LSTM, trained in PyTorch on the MNIST digits read as 28 rows of 28
pixels, saved with `safetensors.torch.save_file(model.state_dict())`, and its logits on
the first 200 images of the bundled test subset, in the format of the other files here.

    pip install torch numpy safetensors
    python3 tests/reference/pytorch_models/make_rows_bidirectional.py
"""

import gzip
import hashlib
import json
import pathlib

import numpy as np
import safetensors
import safetensors.torch
import torch

HERE = pathlib.Path(__file__).resolve().parent
DATA = HERE.parents[2] / "data" / "mnist"

NETWORK = """network! {
    pub struct RowsBidirectional {
        input: [28, 28],
        gru: Gru(16, return_sequences = true, bidirectional = true),
        lstm: Lstm(32, bidirectional = true),
        head: Dense(10),
    }
}"""


class RowsBidirectional(torch.nn.Module):
    """The `network!` above: `head` reads the LSTM's h_n, forward then reverse direction."""

    def __init__(self):
        super().__init__()
        self.gru = torch.nn.GRU(28, 16, batch_first=True, bidirectional=True)
        self.lstm = torch.nn.LSTM(32, 32, batch_first=True, bidirectional=True)
        self.head = torch.nn.Linear(64, 10)

    def forward(self, x):
        y, _ = self.gru(x)
        _, (h_n, _) = self.lstm(y)
        return self.head(h_n.permute(1, 0, 2).reshape(len(x), -1))


def idx(name):
    raw = gzip.open(DATA / name).read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def main():
    torch.set_num_threads(1)
    torch.manual_seed(1)
    x = torch.from_numpy(idx("train-images-idx3-ubyte.gz").astype(np.float32) / np.float32(255))
    y = torch.from_numpy(idx("train-labels-idx1-ubyte.gz").astype(np.int64))
    xt = torch.from_numpy(idx("t10k-images-idx3-ubyte.gz").astype(np.float32) / np.float32(255))
    yt = torch.from_numpy(idx("t10k-labels-idx1-ubyte.gz").astype(np.int64))
    model = RowsBidirectional()
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(1)
    history = []
    for epoch in range(1, 3):
        order = torch.randperm(len(x), generator=generator)
        total, correct = 0.0, 0
        for i in range(0, len(x), 32):
            batch = order[i : i + 32]
            optimizer.zero_grad()
            logits = model(x[batch])
            loss = loss_fn(logits, y[batch])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            total += loss.item() * len(batch)
            correct += (logits.argmax(1) == y[batch]).sum().item()
        history.append({"epoch": epoch, "loss": total / len(x), "train_accuracy": correct / len(x)})
    model.eval()
    with torch.no_grad():
        test_accuracy = (model(xt).argmax(1) == yt).float().mean().item()
        indices = list(range(200))
        logits = model(xt[indices])
    path = HERE / "rows_bidirectional.safetensors"
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    safetensors.torch.save_file(state, str(path))
    info = {
        "name": "rows_bidirectional",
        "description": "A bidirectional GRU(16) returning every step, a bidirectional LSTM(32) and a linear head on "
        "both directions' final states, over the MNIST digits read as 28 rows of 28 pixels (x = v / 255).",
        "versions": {"torch": torch.__version__, "safetensors": safetensors.__version__, "numpy": np.__version__},
        "files": {path.name: hashlib.sha256(path.read_bytes()).hexdigest()},
        "training": {
            "optimizer": "Adam",
            "lr": 2e-3,
            "batch": 32,
            "epochs": 2,
            "clip_grad_norm": 1.0,
            "torch.manual_seed": 1,
            "threads": 1,
            "history": history,
            "test_accuracy_1500": test_accuracy,
        },
        "input_layout": "row-major 28x28 image as [28, 28]: 28 steps of 28 features (batch_first=True)",
        "staticnet_network": NETWORK,
        "tensors": [{"name": k, "shape": list(v.shape), "dtype": str(v.dtype).replace("torch.", "")} for k, v in state.items()],
        "indices": indices,
        "labels": yt[indices].tolist(),
        "logits": logits.tolist(),
        "argmax": logits.argmax(1).tolist(),
    }
    (HERE / "rows_bidirectional.json").write_text(json.dumps(info, indent=1) + "\n")
    print(f"test accuracy {test_accuracy:.4f}; wrote {path.name} and rows_bidirectional.json")


if __name__ == "__main__":
    main()
