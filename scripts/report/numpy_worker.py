"""The NumPy side of ./report.sh's kernels table: a worker that times NumPy on request.

It speaks the same line protocol as kernels/examples/report_timing.rs (see there):
`info`, `run OP N CALLS BATCHES` -> `ok NS NS ...`, `quit`. Each batch is
perf_counter_ns() around a loop of CALLS calls, the same method as the Rust side's
Instant around its loop. float32 arrays, results written into a preallocated `out=`
array for the element-wise ops, as rayo's kernels write into a caller's slice. NumPy
places arrays of 4 MiB and more on transparent huge pages (madvise, NUMPY_MADVISE_HUGEPAGE
on by default); the Rust worker does the same for its buffers.
Run with the venv's python3; needs numpy only.
"""

import sys
import time

import numpy as np


def data(n, seed):
    # Deterministic values in [-1, 1) in float32; the values do not matter for speed
    # as long as there is no NaN or denormal, which there is not.
    rng = np.random.default_rng(seed)
    return (rng.random(n, dtype=np.float32) * 2 - 1).astype(np.float32)


def make_call(op, a, b, out):
    """A zero-argument function doing one call, looked up once so the loop pays only the call."""
    dot, npsum, npmax = np.dot, np.sum, np.max
    add, multiply = np.add, np.multiply
    s = np.float32(1.5)
    calls = {
        "dot": lambda: dot(a, b),
        "sum": lambda: npsum(a),
        "max": lambda: npmax(a),
        "add": lambda: add(a, b, out=out),
        "mul": lambda: multiply(a, b, out=out),
        "scale": lambda: multiply(a, s, out=out),
    }
    return calls.get(op)


def run(op, arrays, calls, batches):
    f = make_call(op, *arrays)
    if f is None:
        raise ValueError(f"unknown op `{op}`")
    clock = time.perf_counter_ns
    rng = range(calls)
    totals = []
    for _ in range(batches):
        t = clock()
        for _ in rng:
            f()
        totals.append(clock() - t)
    return totals


def main():
    # One set of arrays per size for the whole run: sizes alternate between requests, and
    # allocating again would put page faults inside the timed batches. `out` starts filled
    # (not np.zeros, whose pages the kernel would only map on first write).
    arrays = {}
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        try:
            if words[0] == "quit":
                break
            if words[0] == "info":
                reply = f"numpy {np.__version__}"
            elif words[0] == "run" and len(words) == 5:
                op = words[1]
                n, calls, batches = (int(w) for w in words[2:5])
                if min(n, calls, batches) < 1:
                    raise ValueError(f"N, CALLS and BATCHES must be at least 1 in `{line.strip()}`")
                if n not in arrays:
                    arrays[n] = (data(n, 1), data(n, 2), data(n, 3))
                reply = "ok " + " ".join(str(t) for t in run(op, arrays[n], calls, batches))
            else:
                reply = f"error unknown request `{line.strip()}`"
        except ValueError as e:
            reply = f"error {e}"
        sys.stdout.write(reply + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
