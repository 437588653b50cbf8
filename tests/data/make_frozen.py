"""Writes frozen_base.safetensors (the model file of `Base`) and frozen_parts.safetensors (the
other frozen layers), the weights tests/integration/frozen.rs reads at compile time.

Standard library only: a safetensors file is an 8-byte little-endian header length, a JSON
header naming each tensor's dtype, shape and byte range, then the little-endian values.
The values are drawn from random.Random(0), uniform in [-0.5, 0.5).

    python3 tests/data/make_frozen.py
"""

import json
import random
import struct
from pathlib import Path

FILES = ({
    # The network `Base` of tests/integration/frozen.rs: conv, fc1 and head.
    "conv.weight": [2, 1, 3, 3],
    "conv.bias": [2],
    "fc1.weight": [8, 32],
    "fc1.bias": [8],
    "head.weight": [3, 8],
    "head.bias": [3],
}, {
    # A frozen Dense(5) between two trainable layers.
    "mid.weight": [5, 6],
    "mid.bias": [5],
    # A frozen Conv1d(3, 3) on [2, 8] signals.
    "sig.weight": [3, 2, 3],
    "sig.bias": [3],
})


def main():
    rng = random.Random(0)
    for file, tensors in zip(["frozen_base.safetensors", "frozen_parts.safetensors"], FILES):
        write(file, tensors, rng)


def write(file, tensors, rng):
    header, data = {}, b""
    for name, shape in tensors.items():
        count = 1
        for d in shape:
            count *= d
        values = struct.pack(f"<{count}f", *(rng.random() - 0.5 for _ in range(count)))
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [len(data), len(data) + len(values)]}
        data += values
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    out = Path(__file__).with_name(file)
    out.write_bytes(struct.pack("<Q", len(text)) + text + data)
    print(f"wrote {out} ({8 + len(text) + len(data)} bytes)")


if __name__ == "__main__":
    main()
