"""Writes recurrent_bidirectional.json: PyTorch's bidirectional LSTM, GRU and RNN.

Same format and conventions as recurrent.json (see README.md): every input and expected
tensor is float32-representable, computed in float64 on the CPU, with batch_first=True.
Each case runs `nn.LSTM/GRU/RNN(I, H, bidirectional=True, batch_first=True)` from the zero
state and gives the gradients of L = sum(y * g) + sum(h_n * gh) for every parameter
(`weight_ih_l0`, ..., `weight_ih_l0_reverse`, ...) and for x.

Run with PyTorch installed (`pip install torch numpy`):

    python3 tests/reference/make_bidirectional.py
"""

import json
import pathlib

import torch

OUT = pathlib.Path(__file__).with_name("recurrent_bidirectional.json")
NAMES = ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
MODES = {
    "LSTM": lambda i, h: torch.nn.LSTM(i, h, batch_first=True, bidirectional=True),
    "GRU": lambda i, h: torch.nn.GRU(i, h, batch_first=True, bidirectional=True),
    "RNN_TANH": lambda i, h: torch.nn.RNN(i, h, nonlinearity="tanh", batch_first=True, bidirectional=True),
    "RNN_RELU": lambda i, h: torch.nn.RNN(i, h, nonlinearity="relu", batch_first=True, bidirectional=True),
}


def f32(t):
    """Rounds to float32 and back, so the values are exactly representable."""
    return t.float().double()


def tensor(t):
    return {"shape": list(t.shape), "data": [float(v) for v in t.flatten()]}


def case(mode, b, t, i, h, last_step_only, seed):
    torch.manual_seed(seed)
    m = MODES[mode](i, h).double()
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(f32(p))
    x = f32(torch.randn(b, t, i, dtype=torch.float64)).requires_grad_()
    # With `last_step_only`, only h_n carries a gradient: the layer's `return_sequences =
    # false` output is [h_n forward, h_n reverse].
    g = torch.zeros(b, t, 2 * h, dtype=torch.float64) if last_step_only else f32(torch.randn(b, t, 2 * h, dtype=torch.float64))
    gh = f32(torch.randn(2, b, h, dtype=torch.float64))
    y, state = m(x)
    h_n = state[0] if mode == "LSTM" else state
    loss = (y * g).sum() + (h_n * gh).sum()
    loss.backward()
    names = [n + s for s in ["", "_reverse"] for n in NAMES]
    params = dict(m.named_parameters())
    kind = "last_step" if last_step_only else "sequence"
    name = f"{mode.lower()}_bidirectional_{kind}_B{b}_T{t}_I{i}_H{h}"
    inputs = {"input_size": i, "hidden_size": h, "mode": mode, "x": tensor(x.detach()), "g": tensor(g), "gh": tensor(gh)}
    if mode.startswith("RNN"):
        inputs["nonlinearity"] = mode[4:].lower()
    inputs.update({n: tensor(params[n].detach()) for n in names})
    expected = {"y": tensor(y.detach()), "h_n": tensor(h_n.detach()), "dx": tensor(x.grad)}
    expected.update({"d" + n: tensor(params[n].grad) for n in names})
    call = {"LSTM": "nn.LSTM", "GRU": "nn.GRU"}.get(mode, f"nn.RNN(nonlinearity='{mode[4:].lower()}')")
    return {
        "name": name,
        "description": (
            f"{call}({i}, {h}, batch_first=True, bidirectional=True) from the zero state. "
            f"x [B, T, I] = [{b}, {t}, {i}]; y [B, T, 2H]: y[:, t, :H] is the forward direction's h_t, "
            "y[:, t, H:] the reverse direction's state after it has read x[:, T-1], ..., x[:, t]. "
            "h_n [2, B, H]: h_n[0] = y[:, T-1, :H], h_n[1] = y[:, 0, H:]. Gradients of "
            "L = sum(y * g) + sum(h_n * gh) for x and every parameter; the reverse direction's "
            "parameters are named with the suffix _reverse. "
            + ("g is zero: only h_n carries a gradient. " if last_step_only else "")
            + "Weights are PyTorch's default U(-1/sqrt(H), 1/sqrt(H)), x ~ N(0, 1), float32 values computed in float64."
        ),
        "pytorch_call": f"m = {call}({i}, {h}, batch_first=True, bidirectional=True).double(); y, h_n = m(x)",
        "inputs": inputs,
        "expected": expected,
    }


def main():
    cases = [
        case("LSTM", 2, 5, 3, 4, False, 1),
        case("LSTM", 3, 4, 3, 4, True, 2),
        case("GRU", 2, 5, 4, 3, False, 3),
        case("GRU", 3, 4, 4, 3, True, 4),
        case("RNN_TANH", 2, 5, 3, 5, False, 5),
        case("RNN_RELU", 2, 4, 2, 5, True, 6),
    ]
    OUT.write_text(json.dumps(cases, indent=1) + "\n")
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
