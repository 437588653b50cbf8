"""staticnet against PyTorch and OpenBLAS, measured in one run on this machine.

Runs `cargo bench -p staticnet-bench` (the `threads/`, `inference/` and `gemm/` groups),
then the same networks in PyTorch (Adam and softmax cross-entropy for training steps,
eager and `torch.compile`, on one thread and on every core) and the MLPs in JAX (jit, one
core: `jax_steps.py` under `taskset -c 0`), and the same matrix products
in numpy's OpenBLAS on one thread (its AVX-512 kernels, and its Haswell AVX2 kernels through
OPENBLAS_CORETYPE), and prints markdown tables: times (medians) and ratios, each against a
baseline measured in this run. Use `benches/compare/run.sh`, which sets up PyTorch.
"""

import argparse
import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORES = os.cpu_count() or 1
UNITS = {"ns": 1e-3, "µs": 1.0, "us": 1.0, "ms": 1e3, "s": 1e6}

# (name, layer widths or "cnn", batch) as in benches/benches/training.rs.
NETWORKS = [
    ("784-128-10", [784, 128, 10], 32),
    ("64-32-10", [64, 32, 10], 16),
    ("784-512-512-10", [784, 512, 512, 10], 128),
    ("mnist_cnn", "cnn", 32),
]
# (rows, in, out) of every layer of the MLPs above, then the two products of the recurrent
# step of examples/mnist_rows.rs' LSTM(64) at batch 32 (`h W_hhᵀ` is the input gradient of
# 256-to-64, `dL/dh` backwards that of 64-to-256), as in benches/benches/gemm.rs.
SHAPES = [
    (32, 784, 128), (32, 128, 10), (16, 64, 32), (16, 32, 10), (128, 784, 512), (128, 512, 512), (128, 512, 10),
    (32, 256, 64), (32, 64, 256),
]


def machine():
    model = ""
    flags = set()
    for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name") and not model:
            model = line.split(":", 1)[1].strip()
        if line.startswith("flags") and not flags:
            flags = set(line.split(":", 1)[1].split())
    isa = "AVX-512F" if "avx512f" in flags else "AVX2+FMA" if {"avx2", "fma"} <= flags else "no AVX2"
    return f"{model}, {CORES} cores, {isa} ({platform.machine()})"


def criterion(filters):
    """Median times in µs of the staticnet benchmarks matching `filters`, read from the
    estimates criterion writes under target/criterion."""
    for bench, pattern in filters:
        subprocess.run(
            ["cargo", "bench", "-p", "staticnet-bench", "--bench", bench, "--", pattern],
            cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
        )
    out = {}
    for meta in (ROOT / "target" / "criterion").glob("**/new/benchmark.json"):
        full_id = json.loads(meta.read_text())["full_id"]
        estimates = json.loads((meta.parent / "estimates.json").read_text())
        out[full_id] = estimates["median"]["point_estimate"] / 1e3
    return out


def median_us(step, seconds=1.0, min_runs=20):
    for _ in range(5):
        step()
    times = []
    start = time.perf_counter()
    while time.perf_counter() - start < seconds or len(times) < min_runs:
        t = time.perf_counter_ns()
        step()
        times.append((time.perf_counter_ns() - t) / 1e3)
    return statistics.median(times)


def torch_network(torch, widths):
    nn = torch.nn
    if widths == "cnn":
        return nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Dropout(0.3), nn.Linear(64, 10),
        )
    layers = []
    for i in range(len(widths) - 1):
        layers.append(nn.Linear(widths[i], widths[i + 1]))
        if i + 2 < len(widths):
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def pytorch(torch, compiled, threads, skip_compile):
    """µs per training step (and per one-sample inference for the MLPs)."""
    torch.set_num_threads(threads)
    out = {}
    for name, widths, batch in NETWORKS:
        if compiled and skip_compile:
            continue
        torch.manual_seed(0)
        net = torch_network(torch, widths)
        shape = (batch, 1, 28, 28) if widths == "cnn" else (batch, widths[0])
        x, y = torch.rand(shape), torch.randint(0, 10, (batch,))
        adam = torch.optim.Adam(net.parameters(), lr=1e-4)
        loss_fn = torch.nn.CrossEntropyLoss()

        def step_fn(x, y):
            adam.zero_grad(set_to_none=True)
            loss = loss_fn(net(x), y)
            loss.backward()
            adam.step()
            return loss

        step = torch.compile(step_fn) if compiled else step_fn
        out[f"train/{name}"] = median_us(lambda: step(x, y))
        if widths != "cnn":
            net.eval()
            one = torch.rand(1, widths[0])
            forward = torch.compile(net) if compiled else net
            with torch.no_grad():
                out[f"infer/{name}"] = median_us(lambda: forward(one).argmax())
    return out


def openblas(coretype):
    """GFLOP/s of numpy's OpenBLAS on one thread for the three products of every shape."""
    code = f"""
import json, statistics, time, numpy as np
out = {{}}
for r, k, n in {SHAPES!r}:
    x = np.random.rand(r, k).astype(np.float32); w = np.random.rand(n, k).astype(np.float32)
    dy = np.random.rand(r, n).astype(np.float32)
    for prod, f in (("forward", lambda: x @ w.T), ("input_grad", lambda: dy @ w), ("weight_grad", lambda: dy.T @ x)):
        for _ in range(20): f()
        ts = []
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < 0.4 or len(ts) < 50:
            t = time.perf_counter_ns(); f(); ts.append(time.perf_counter_ns() - t)
        out[f"{{r}}x{{k}}x{{n}}/{{prod}}"] = 2 * r * k * n / statistics.median(ts)
print(json.dumps(out))
"""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    if coretype:
        env["OPENBLAS_CORETYPE"] = coretype
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return json.loads(run.stdout)


def jax_one_core():
    """µs per JAX jit training step of each MLP on one core (`taskset -c 0`, XLA's CPU
    pool at one thread), or {} without JAX (run.sh installs it) or `taskset`."""
    import importlib.util
    import shutil

    if importlib.util.find_spec("jax") is None or shutil.which("taskset") is None:
        return {}
    env = dict(os.environ, XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
    script = pathlib.Path(__file__).with_name("jax_steps.py")
    run = subprocess.run(
        ["taskset", "-c", "0", sys.executable, str(script), json.dumps(NETWORKS)],
        env=env, capture_output=True, text=True, check=True,
    )
    return json.loads(run.stdout.strip().splitlines()[-1])


def fmt(us):
    return f"{us / 1e3:.2f} ms" if us >= 1e3 else f"{us:.1f} µs" if us >= 10 else f"{us:.2f} µs"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-compile", action="store_true", help="leave out torch.compile (slow to compile)")
    args = parser.parse_args()
    import torch

    print(f"machine: {machine()}; torch {torch.__version__}\n", flush=True)
    ours = criterion([("training", "threads/|inference/"), ("gemm", "gemm/")])
    eager = {t: pytorch(torch, False, t, args.skip_compile) for t in sorted({1, CORES})}
    compiled = {t: pytorch(torch, True, t, args.skip_compile) for t in sorted({1, CORES})}
    blas = {"avx512": openblas(None), "avx2": openblas("Haswell")}
    jax = jax_one_core()

    print("## Training steps (Adam, softmax cross-entropy) and one-sample inference\n")
    cols = ["staticnet 1 thread", f"staticnet {CORES} threads"]
    for t in sorted({1, CORES}):
        cols += [f"eager {t}t", f"compile {t}t"]
    cols.append("JAX jit, 1 core")
    print("| work | " + " | ".join(cols) + " | eager 1t / staticnet 1t | JAX 1 core / staticnet 1t | best PyTorch / best staticnet |")
    print("|---" * (len(cols) + 4) + "|")
    for name, widths, batch in NETWORKS:
        group = f"threads/{name}/batch{batch}/adam"
        one, many = ours.get(f"{group}/workspace"), ours.get(f"{group}/parallel_{CORES}", ours.get(f"{group}/workspace"))
        row = [fmt(one), fmt(many)]
        torch_times = []
        for t in sorted({1, CORES}):
            for table in (eager, compiled):
                v = table[t].get(f"train/{name}")
                row.append(fmt(v) if v else "-")
                if v:
                    torch_times.append(v)
        ratio = eager[1][f"train/{name}"] / one
        best = min(torch_times) / min(one, many)
        j = jax.get(f"train/{name}")
        row.append(fmt(j) if j else "-")
        jax_ratio = f"{j / one:.2f}x" if j else "-"
        print(f"| {name} step, batch {batch} | " + " | ".join(row) + f" | {ratio:.1f}x | {jax_ratio} | {best:.1f}x |")
    for name, widths, _ in NETWORKS:
        if widths == "cnn":
            continue
        one = ours.get(f"inference/{name}/single/staticnet")
        if one is None:
            continue
        row = [fmt(one), "-"]
        torch_times = []
        for t in sorted({1, CORES}):
            for table in (eager, compiled):
                v = table[t].get(f"infer/{name}")
                row.append(fmt(v) if v else "-")
                if v:
                    torch_times.append(v)
        ratio = eager[1][f"infer/{name}"] / one
        row.append("-")
        print(f"| {name} inference, 1 sample | " + " | ".join(row) + f" | {ratio:.1f}x | - | {min(torch_times) / one:.1f}x |")

    print("\n## Dense products, one thread: staticnet's GFLOP/s as a share of OpenBLAS's (numpy)\n")
    print("| rows x in x out | product | staticnet avx512 | OpenBLAS avx512 | share | staticnet avx2 | OpenBLAS Haswell (avx2) | share |")
    print("|---|---|---|---|---|---|---|---|")
    for r, k, n in SHAPES:
        for prod in ("forward", "input_grad", "weight_grad"):
            key = f"{r}x{k}x{n}/{prod}"
            cells = []
            for isa in ("avx512", "avx2"):
                us = ours.get(f"gemm/{key}/{isa}")
                if us is None:
                    cells += ["-", "-", "-"]
                    continue
                gflops = 2 * r * k * n / us / 1e3
                theirs = blas[isa][key]
                cells += [f"{gflops:.0f}", f"{theirs:.0f}", f"{gflops / theirs:.0%}"]
            print(f"| {r}x{k}x{n} | {prod} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
