#!/usr/bin/env bash
# Runs staticnet's benchmarks and the same work in PyTorch (eager and torch.compile, one
# thread and every core), JAX (jit, one core) and numpy's OpenBLAS, and prints one table of ratios. Installs
# PyTorch, JAX and numpy into a virtual environment of its own (target/compare-venv, ~5 GB) on
# first use. Not part of CI; run it on a quiet machine (about 10 minutes).
#
#     benches/compare/run.sh [--skip-compile]
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=target/compare-venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet torch numpy jax optax
fi
exec "$venv/bin/python" benches/compare/compare.py "$@"
