"""NumPy/OpenBLAS single-thread gemm on the shapes of benches/gemm.rs.

Run by benches/gemm.sh in its own process with OPENBLAS_NUM_THREADS=1 and
OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset (OpenBLAS picks its kernel for this
CPU). Prints the BLAS threadpoolctl reports, then `RESULT numpy/<shape>/<form>
<GFLOPS>` lines: form f32-kxn is `a @ b` with b (k, n) C-contiguous, f32-nxk
is `a @ w.T` with w (n, k) (a Linear weight). Each figure is the median over
rounds of ~2 ms batches, the forms interleaved, like GEMM_MODE=interleaved.
"""

import os
import sys
import time

import numpy as np
import threadpoolctl

SHAPES = [
    (1, 384, 384), (1, 384, 1536), (1, 1536, 384),
    (16, 384, 384), (16, 384, 1536), (16, 1536, 384),
    (128, 384, 384), (128, 384, 1536), (128, 1536, 384),
    (512, 512, 512), (8, 64, 64),
]


def main():
    rounds = int(os.environ.get("GEMM_ROUNDS", "21"))
    batch = float(os.environ.get("GEMM_BATCH_US", "2000")) * 1e-6
    for info in threadpoolctl.threadpool_info():
        print(
            f"threadpoolctl: {info.get('internal_api')} {info.get('version')} "
            f"architecture={info.get('architecture')} threads={info.get('num_threads')} "
            f"({info.get('filepath')})"
        )
    print(f"numpy {np.__version__}, OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}, "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')}, "
          f"OPENBLAS_L2_SIZE={os.environ.get('OPENBLAS_L2_SIZE')}")
    rng = np.random.default_rng(1)
    for m, k, n in SHAPES:
        a = rng.uniform(-1, 1, (m, k)).astype(np.float32)
        b = rng.uniform(-1, 1, (k, n)).astype(np.float32)
        w = np.ascontiguousarray(b.T)
        c = np.empty((m, n), np.float32)
        calls = {
            "f32-kxn": lambda: np.matmul(a, b, out=c),
            "f32-nxk": lambda: np.matmul(a, w.T, out=c),
        }
        iters = {}
        for name, f in calls.items():
            f()
            t = time.perf_counter()
            i = 0
            while time.perf_counter() - t < batch:
                f()
                i += 1
            iters[name] = max(i, 1)
        times = {name: [] for name in calls}
        names = list(calls)
        for r in range(rounds):
            for s in range(len(names)):
                name = names[(r + s) % len(names)]
                f, n_it = calls[name], iters[name]
                t = time.perf_counter()
                for _ in range(n_it):
                    f()
                times[name].append((time.perf_counter() - t) / n_it)
        for name in names:
            med = sorted(times[name])[len(times[name]) // 2]
            print(f"RESULT numpy/{m}x{k}x{n}/{name} {2 * m * n * k / med / 1e9:.2f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
