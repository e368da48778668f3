"""NumPy/OpenBLAS single-thread gemm, timed on request: the second process
of benches/gemm.rs.

benches/gemm.rs starts this script (GEMM_PYTHON=<python with numpy and
threadpoolctl>) with OPENBLAS_NUM_THREADS=1 and OPENBLAS_CORETYPE /
OPENBLAS_L2_SIZE removed from this process's environment only (OpenBLAS
picks its own kernel and cache sizes for the CPU), and makes OpenBLAS one
more contender of every interleaved round. Protocol, one line each way:

    -> info                      <- info <BLAS library, core type, versions>
    -> time M K N FORM ITERS     <- ns <nanoseconds per call>
    -> quit

FORM f32-kxn is `a @ b` with b (k, n) C-contiguous; f32-nxk is `a @ w.T`
with w (n, k) C-contiguous (a Linear weight, no copy: OpenBLAS gets the
transposed flag); overhead is `a @ b` at 1x1x1, the Python and NumPy cost of
one call, which the bench subtracts from OpenBLAS's time for ratios (that
favours OpenBLAS). Each call writes into a preallocated C (`out=`).
"""

import os
import sys
import time

import numpy as np
import threadpoolctl


def info():
    libs = [
        f"{i.get('internal_api')} {i.get('version')} core type {i.get('architecture')} "
        f"threads {i.get('num_threads')}"
        for i in threadpoolctl.threadpool_info()
    ]
    env = " ".join(
        f"{v}={os.environ.get(v, '(unset)')}"
        for v in ("OPENBLAS_NUM_THREADS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
    )
    return f"{'; '.join(libs) or 'no BLAS found'}; numpy {np.__version__}; {env}"


class Shapes:
    def __init__(self):
        self.rng = np.random.default_rng(1)
        self.calls = {}

    def call(self, m, k, n, form):
        key = (m, k, n, form)
        if key not in self.calls:
            a = self.rng.uniform(-1, 1, (m, k)).astype(np.float32)
            b = self.rng.uniform(-1, 1, (k, n)).astype(np.float32)
            w = np.ascontiguousarray(b.T)
            c = np.empty((m, n), np.float32)
            if form == "f32-kxn" or form == "overhead":
                self.calls[key] = lambda: np.matmul(a, b, out=c)
            elif form == "f32-nxk":
                self.calls[key] = lambda: np.matmul(a, w.T, out=c)
            else:
                raise ValueError(f"unknown form {form!r}")
        return self.calls[key]


def main():
    shapes = Shapes()
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "quit":
            break
        if words[0] == "info":
            print("info " + info(), flush=True)
        elif words[0] == "time" and len(words) == 6:
            m, k, n = map(int, words[1:4])
            form, iters = words[4], int(words[5])
            f = shapes.call(m, k, n, form)
            t = time.perf_counter_ns()
            for _ in range(iters):
                f()
            print(f"ns {(time.perf_counter_ns() - t) / iters:.1f}", flush=True)
        else:
            print(f"error: bad request {line.strip()!r}", flush=True)


if __name__ == "__main__":
    main()
