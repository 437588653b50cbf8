"""JAX (jit) training steps of the MLPs of compare.py, printed as JSON (µs per step,
medians). compare.py runs it under `taskset -c 0` with XLA's CPU thread pool at one
thread, as the issue's "JAX jit, one core" baseline."""

import json
import statistics
import sys
import time

import jax
import jax.numpy as jnp
import optax

NETWORKS = json.loads(sys.argv[1])


def init(widths, key):
    params = []
    for fan_in, fan_out in zip(widths, widths[1:]):
        key, sub = jax.random.split(key)
        bound = 1.0 / fan_in**0.5
        params.append((jax.random.uniform(sub, (fan_in, fan_out), minval=-bound, maxval=bound), jnp.zeros(fan_out)))
    return params


def forward(params, x):
    for i, (w, b) in enumerate(params):
        x = x @ w + b
        if i + 1 < len(params):
            x = jax.nn.relu(x)
    return x


def main():
    out = {}
    for name, widths, batch in NETWORKS:
        if widths == "cnn":
            continue
        params = init(widths, jax.random.PRNGKey(0))
        adam = optax.adam(1e-4)
        state = adam.init(params)
        x = jax.random.uniform(jax.random.PRNGKey(1), (batch, widths[0]))
        y = jax.random.randint(jax.random.PRNGKey(2), (batch,), 0, 10)

        @jax.jit
        def step(params, state, x, y):
            loss, grads = jax.value_and_grad(
                lambda p: optax.softmax_cross_entropy_with_integer_labels(forward(p, x), y).mean()
            )(params)
            updates, state = adam.update(grads, state, params)
            return optax.apply_updates(params, updates), state, loss

        for _ in range(20):
            params, state, loss = step(params, state, x, y)
        loss.block_until_ready()
        times = []
        start = time.perf_counter()
        while time.perf_counter() - start < 1.0 or len(times) < 20:
            t = time.perf_counter_ns()
            params, state, loss = step(params, state, x, y)
            loss.block_until_ready()
            times.append((time.perf_counter_ns() - t) / 1e3)
        out[f"train/{name}"] = statistics.median(times)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
