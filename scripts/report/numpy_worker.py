"""The NumPy side of ./report.sh's kernels table: a worker that times NumPy on request.

It speaks the same line protocol as kernels/examples/report_timing.rs (see there):
`info`, `run OP N CALLS BATCHES` -> `ok NS NS ...`, `quit`. Each batch is
perf_counter_ns() around a loop of CALLS calls, the same method as the Rust side's
Instant around its loop. float32 arrays, results written into a preallocated `out=`
array for the element-wise ops, as rayo's kernels write into a caller's slice.
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
    arrays, arrays_n = None, None
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
                if arrays_n != n:
                    arrays = (data(n, 1), data(n, 2), np.zeros(n, dtype=np.float32))
                    arrays_n = n
                reply = "ok " + " ".join(str(t) for t in run(op, arrays, calls, batches))
            else:
                reply = f"error unknown request `{line.strip()}`"
        except ValueError as e:
            reply = f"error {e}"
        sys.stdout.write(reply + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
