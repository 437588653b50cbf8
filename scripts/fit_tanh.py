"""Fits the rational form of `tanh` in `core/src/vector_math.rs` and checks it in f32.

    tanh x ≈ x P(x²) / Q(x²) on [0, X],  P of degree NP, Q of degree NQ with Q(0) = 1,

for the least largest relative error: Loeb's iteration, each step a linear programme
(`min d` subject to `|x P - t Q| ≤ d t Q_prev`) in a Chebyshev basis of `2 (x / X)² - 1`
so that it stays well conditioned, with Q kept at least 1/2 on the grid. Then the
coefficients are rounded to f32 and evaluated as the Rust code does (fused Horner steps,
`min(1, a P / Q)`), and the worst error over 6.4 million inputs is printed in multiples of
f32's epsilon. Needs numpy and scipy; not run in CI.

    python3 scripts/fit_tanh.py [NP NQ X]     (defaults: 6 3 9.5)
"""

import sys

import numpy as np
from numpy.polynomial import chebyshev as cheb
from numpy.polynomial import polynomial as poly
from scipy.optimize import linprog


def fit(n_p, n_q, end):
    x = np.concatenate([np.linspace(1e-3, end, 4000), np.geomspace(1e-5, 1e-3, 50)])
    t = np.tanh(x)
    v = 2 * (x / end) ** 2 - 1
    basis_p, basis_q = cheb.chebvander(v, n_p), cheb.chebvander(v, n_q)
    q_prev = np.ones_like(x)
    n = n_p + 1 + n_q + 1 + 1  # P's and Q's coefficients, then d
    for _ in range(25):
        s = t * q_prev
        above = np.column_stack([x[:, None] * basis_p, -t[:, None] * basis_q, -s])
        below = np.column_stack([-x[:, None] * basis_p, t[:, None] * basis_q, -s])
        q_floor = np.column_stack([np.zeros_like(basis_p), -basis_q, np.zeros_like(x)])
        q_at_zero = np.zeros((1, n))
        q_at_zero[0, n_p + 1 : n_p + 2 + n_q] = cheb.chebvander(np.array([-1.0]), n_q)[0]
        objective = np.zeros(n)
        objective[-1] = 1
        r = linprog(
            objective,
            A_ub=np.vstack([above, below, q_floor]),
            b_ub=np.concatenate([np.zeros(2 * len(x)), -0.5 * np.ones(len(x))]),
            A_eq=q_at_zero,
            b_eq=[1.0],
            bounds=[(None, None)] * (n - 1) + [(0, None)],
            method="highs",
        )
        c_p, c_q = r.x[: n_p + 1], r.x[n_p + 1 : n_p + 2 + n_q]
        q_prev = cheb.chebval(v, c_q)
    error = np.abs(x * cheb.chebval(v, c_p) / q_prev - t) / t
    return in_z(c_p, end), in_z(c_q, end), error.max()


def in_z(c, end):
    """Chebyshev coefficients in v = 2 z / end² - 1 to monomial ones in z."""
    in_v = cheb.cheb2poly(c)
    in_u = np.zeros(1)
    for k, a in enumerate(in_v):
        in_u = poly.polyadd(in_u, a * poly.polypow([-1, 2], k))
    return np.array([a / end ** (2 * k) for k, a in enumerate(in_u)])


def tanh_f32(xs, p, q, end):
    """The Rust evaluation, each step rounded to f32 (a fused multiply-add rounds once)."""
    a = np.minimum(np.abs(xs), np.float32(end))
    z = (a * a).astype(np.float32)

    def horner(c):
        acc = np.full_like(z, c[-1])
        for k in c[-2::-1]:
            acc = (acc.astype(np.float64) * z + k).astype(np.float32)
        return acc

    t = ((a * horner(p)).astype(np.float32) / horner(q)).astype(np.float32)
    return np.copysign(np.minimum(t, np.float32(1)), xs)


def main():
    n_p, n_q, end = (int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])) if len(sys.argv) > 3 else (6, 3, 9.5)
    p, q, error = fit(n_p, n_q, end)
    p, q = p / q[0], q / q[0]
    p32, q32 = p.astype(np.float32), q.astype(np.float32)
    xs = np.concatenate(
        [np.linspace(-12, 12, 4000001, dtype=np.float32), np.linspace(-2, 2, 2000001, dtype=np.float32),
         np.linspace(-1e-3, 1e-3, 400001, dtype=np.float32)]
    )
    got, want = tanh_f32(xs, p32, q32, end).astype(np.float64), np.tanh(xs.astype(np.float64))
    ulps = np.abs(got - want) / np.maximum(np.abs(want), 1e-45) / np.finfo(np.float32).eps
    print(f"exact arithmetic: largest relative error {error:.3g}")
    print(f"f32: worst {ulps.max():.2f} epsilons at x = {xs[ulps.argmax()]}; largest |tanh| {np.abs(got).max()}")
    print("TANH_P (highest power first):", ", ".join(str(c) for c in p32[::-1]))
    print("TANH_Q (highest power first):", ", ".join(str(c) for c in q32[::-1]))


if __name__ == "__main__":
    main()
