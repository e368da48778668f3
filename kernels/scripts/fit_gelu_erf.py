#!/usr/bin/env python3
"""Derives the polynomial behind rayo_kernels::gelu (the exact, erf-form GELU).

gelu(x) = x * Phi(x), Phi the standard normal CDF. With u = |x| and t = 1 / (1 + C u):

    Phi(-u) = t * exp(-u^2/2 + P(t))

where P is smooth on t in (1/(1 + 13.5 C), 1] and is fitted here as a degree-10 polynomial
(iteratively reweighted least squares towards minimax, reference values from mpmath at 40
digits). Phi(x) is then Phi(-u) for x < 0 and 1 - Phi(-u) for x >= 0, with no cancellation
either way. The script prints the fit's maximum absolute error in P (that is, the relative
error it adds to Phi(-u)) and the coefficients rounded to f32, lowest degree first, as
pasted into kernels/src/generic_nn.rs.

    python3 -m venv target/pyenv && target/pyenv/bin/pip install numpy mpmath
    target/pyenv/bin/python kernels/scripts/fit_gelu_erf.py
"""
import mpmath as mp
import numpy as np

mp.mp.dps = 40
C = 0.3      # t = 1 / (1 + C u); 0.25-0.4 fit equally well at degree 10
DEG = 10
U_MAX = 13.5  # beyond ~13.03, Phi(-u) underflows the kernel's exp and the result is -0.0
NODES = 3000


def main():
    lo, hi = 1 / (1 + C * U_MAX), 1.0
    k = np.arange(NODES)
    ts = (lo + hi) / 2 + (hi - lo) / 2 * np.cos(np.pi * (k + 0.5) / NODES)
    ys = []
    for t in ts:
        t = mp.mpf(t)
        u = (1 / t - 1) / C
        ys.append(float(mp.log(mp.ncdf(-u)) + u * u / 2 - mp.log(t)))
    ys = np.array(ys)
    a = np.vander(ts, DEG + 1, increasing=True)
    w = np.ones_like(ts)
    for _ in range(30):
        coef, *_ = np.linalg.lstsq(a * w[:, None], ys * w, rcond=None)
        err = np.abs(a @ coef - ys)
        w *= (err / err.max() + 1e-3) ** 0.3
    # Round to f32 one coefficient at a time, highest degree first, refitting the lower ones
    # each time: rounding them all at once costs ~10x the fit's error.
    fixed = []
    for d in range(DEG, -1, -1):
        rest = ys - sum(c * ts**e for e, c in fixed)
        sol, *_ = np.linalg.lstsq(a[:, : d + 1] * w[:, None], rest * w, rcond=None)
        fixed.append((d, float(np.float32(sol[d]))))
    coef32 = np.array([c for _, c in sorted(fixed)], dtype=np.float32)
    err32 = np.abs(a @ coef32.astype(np.float64) - ys).max()
    print(f"C = {C}, degree {DEG}, u in [0, {U_MAX}]")
    print(f"max |error| of P: {np.abs(a @ coef - ys).max():.2e} (f64 coefficients), "
          f"{err32:.2e} (rounded to f32)")
    for c in coef32:
        print(f"    {float(c)!r},")


if __name__ == "__main__":
    main()
