#!/usr/bin/env python3
"""NumPy/OpenBLAS (one thread) on the shapes of benches/nn.rs, for the kernels README.

Run in a virtual environment with numpy, scipy (for erf) and threadpoolctl:

    python3 -m venv target/pyenv && target/pyenv/bin/pip install numpy scipy threadpoolctl
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 \\
        target/pyenv/bin/python kernels/benches/nn_numpy.py

Each figure is the median of 31 timings of a loop of calls (perf_counter_ns around it),
float32 throughout, on the shapes and value ranges of benches/nn.rs; the load average is
printed with every row (NumPy runs in its own process, so its figures and rayo's are not
interleaved: compare them from runs close in time and load). Attention is per head with batched matmuls over a (12, t, 32) view of
the fused QKV rows, the way a NumPy BERT does it; its flops are 4 t^2 * 384.
"""
import os
import time

import numpy as np
from scipy.special import erf
from threadpoolctl import threadpool_info

H, HEADS, D, T, FFN = 384, 12, 32, 128, 1536


def timed(f, reps):
    f()
    out = []
    for _ in range(31):
        t = time.perf_counter_ns()
        for _ in range(reps):
            f()
        out.append((time.perf_counter_ns() - t) / reps)
    return float(np.median(out))


def gelu(x):
    return 0.5 * x * (1.0 + erf(x * np.float32(0.70710678)))


def layer_norm(x, g, b, eps=np.float32(1e-12)):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g + b


def softmax(s):
    e = np.exp(s - s.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def attention(qkv, t):
    q = qkv[:, :H].reshape(t, HEADS, D).transpose(1, 0, 2)
    k = qkv[:, H : 2 * H].reshape(t, HEADS, D).transpose(1, 2, 0)
    v = qkv[:, 2 * H :].reshape(t, HEADS, D).transpose(1, 0, 2)
    p = softmax((q @ k) * np.float32(1 / np.sqrt(D)))
    return (p @ v).transpose(1, 0, 2).reshape(t, H)


def load():
    return " ".join(open("/proc/loadavg").read().split()[:3])


def main():
    rng = np.random.default_rng(1)
    info = [(i.get("internal_api"), i.get("num_threads"), i.get("architecture")) for i in threadpool_info()]
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"# NumPy {np.__version__}, BLAS (api, threads, core type): {info}; "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')}; CPU {cpu}; load average {load()}\n")
    print("| op | shape | NumPy time | throughput | load average |")
    print("|---|---|---|---|---|")
    a = (4 * rng.uniform(-1, 1, (T, FFN))).astype(np.float32)
    ns = timed(lambda: gelu(a), 20)
    print(f"| gelu (erf) | {T}x{FFN} | {ns / 1e3:.1f} us | {a.size / ns:.2f} Gelem/s | {load()} |")
    x = (3 * rng.uniform(-1, 1, (T, H))).astype(np.float32)
    g = (1 + 0.1 * rng.uniform(-1, 1, H)).astype(np.float32)
    b = rng.uniform(-1, 1, H).astype(np.float32)
    ns = timed(lambda: layer_norm(x, g, b), 100)
    print(f"| layer_norm | {T}x{H} | {ns / 1e3:.1f} us | {x.size / ns:.2f} Gelem/s | {load()} |")
    s = (8 * rng.uniform(-1, 1, (HEADS, T, T))).astype(np.float32)
    ns = timed(lambda: softmax(s), 20)
    print(f"| softmax_rows | {HEADS}x{T}x{T} | {ns / 1e3:.1f} us | {s.size / ns:.2f} Gelem/s | {load()} |")
    xb = x.copy()
    ns = timed(lambda: np.add(xb, b, out=xb), 200)
    print(f"| add_bias (in place) | {T}x{H} | {ns / 1e3:.1f} us | {x.size / ns:.2f} Gelem/s | {load()} |")
    keep = (np.arange(T) < 100).astype(np.float32)  # a 100-token sentence padded to 128
    ns = timed(lambda: (x * keep[:, None]).sum(0) / max(keep.sum(), 1e-9), 200)
    print(f"| mean pooling, 100 of {T} rows | {T}x{H} | {ns / 1e3:.1f} us | {100 * H / ns:.2f} Gelem/s | {load()} |")
    ns = timed(lambda: x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), np.float32(1e-12)), 200)
    print(f"| normalize_l2 | {T}x{H} | {ns / 1e3:.1f} us | {x.size / ns:.2f} Gelem/s | {load()} |")
    for t in [8, 16, 32, 64, 128, 256]:
        qkv = (2 * rng.uniform(-1, 1, (t, 3 * H))).astype(np.float32)
        reps = max(1, 2000 // t)
        ns = timed(lambda: attention(qkv, t), reps)
        flops = 4 * t * t * H
        print(f"| attention 12x32 | {t} tokens | {ns / 1e3:.1f} us | {flops / ns:.2f} GFLOPS | {load()} |")


if __name__ == "__main__":
    main()
