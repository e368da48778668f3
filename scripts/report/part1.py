"""Part 1 of ./report.sh: rayo's kernels (Rust) beside NumPy (Python), timed the same way.

Two workers answer `run OP N CALLS BATCHES` with the total ns of each batch
(kernels/examples/report_timing.rs and scripts/report/numpy_worker.py). This driver:

1. calibrates CALLS per (op, size, side) so one batch lasts about --target-ms,
2. then, for each of --rounds rounds, visits every (op, size) cell in a shuffled order and
   asks both workers for --batches batches, Rust first on even rounds and NumPy first on odd
   ones, so drift and neighbours' builds hit both sides alike,
3. writes every batch's ns-per-call and each cell's median to --out (JSON).

Size 1 is measured for every op: on the NumPy side it is the per-call overhead (argument
parsing, dispatch, the result object), which the report subtracts to show NumPy's own work.
The NumPy worker runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from its
environment (and only its environment).
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time

OPS = ["dot", "sum", "max", "add", "mul", "scale"]
SIZES = {"1K": 1 << 10, "16K": 1 << 14, "256K": 1 << 18, "4M": 1 << 22}
UNSET_FOR_NUMPY = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


class WorkerError(Exception):
    pass


class Worker:
    """A timing worker on a pipe; every request gets one line back."""

    def __init__(self, name, argv, env=None):
        self.name = name
        try:
            self.proc = subprocess.Popen(
                argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
            )
        except OSError as e:
            raise WorkerError(f"{name}: cannot start {argv[0]}: {e}") from e

    def ask(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        reply = self.proc.stdout.readline().strip()
        if not reply:
            raise WorkerError(f"{self.name}: no answer to `{line}` (worker exited?)")
        if reply.startswith("error "):
            raise WorkerError(f"{self.name}: `{line}`: {reply[6:]}")
        return reply

    def run(self, op, n, calls, batches):
        words = self.ask(f"run {op} {n} {calls} {batches}").split()
        if words[0] != "ok" or len(words) != batches + 1:
            raise WorkerError(f"{self.name}: unexpected reply to run {op} {n}: {' '.join(words)[:80]}")
        return [int(w) / calls for w in words[1:]]

    def close(self):
        try:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()


def calibrate(worker, op, n, target_ns):
    """Calls per batch so that one batch takes about target_ns (at least 1 call)."""
    calls = 1
    for _ in range(12):
        per_call = min(worker.run(op, n, calls, 3))
        total = per_call * calls
        if total >= target_ns / 4 or per_call >= target_ns:
            return max(1, round(target_ns / max(per_call, 1)))
        calls *= 8
    return calls


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rust", required=True, help="the report_timing example binary")
    p.add_argument("--python", required=True, help="python3 of the venv with numpy")
    p.add_argument("--worker", required=True, help="numpy_worker.py")
    p.add_argument("--rounds", type=int, default=12)
    p.add_argument("--batches", type=int, default=20, help="batches per side per cell per round")
    p.add_argument("--target-ms", type=float, default=0.5, help="wall time of one batch")
    p.add_argument("--seed", type=int, default=11, help="shuffle seed for the cell order")
    p.add_argument("--out", required=True)
    args = p.parse_args()

    env = {k: v for k, v in os.environ.items() if k not in UNSET_FOR_NUMPY}
    unset_present = [k for k in UNSET_FOR_NUMPY if k in os.environ]
    rust = Worker("rust", [args.rust])
    numpy = Worker("numpy", [args.python, args.worker], env=env)
    started = time.time()
    try:
        backend = rust.ask("info").split()[1]
        numpy_version = numpy.ask("info").split()[1]
        cells = [(op, label, n) for op in OPS for label, n in [("1", 1)] + list(SIZES.items())]
        target_ns = args.target_ms * 1e6
        calls = {}
        print(f"part1: calibrating {len(cells)} cells x 2 sides", file=sys.stderr)
        for op, label, n in cells:
            for w in (rust, numpy):
                calls[(op, label, w.name)] = calibrate(w, op, n, target_ns)
        samples = {key: [] for key in calls}
        order = random.Random(args.seed)
        for r in range(args.rounds):
            print(f"part1: round {r + 1}/{args.rounds}", file=sys.stderr)
            shuffled = cells[:]
            order.shuffle(shuffled)
            sides = (rust, numpy) if r % 2 == 0 else (numpy, rust)
            for op, label, n in shuffled:
                for w in sides:
                    key = (op, label, w.name)
                    samples[key].extend(w.run(op, n, calls[key], args.batches))
    finally:
        rust.close()
        numpy.close()

    results = []
    for (op, label, side), ns in samples.items():
        q = statistics.quantiles(ns, n=4) if len(ns) >= 2 else [ns[0]] * 3
        results.append(
            {
                "op": op,
                "size": label,
                "n": 1 if label == "1" else SIZES[label],
                "side": side,
                "calls_per_batch": calls[(op, label, side)],
                "batches": len(ns),
                "median_ns": statistics.median(ns),
                "q1_ns": q[0],
                "q3_ns": q[2],
                "min_ns": min(ns),
                "ns_per_call": ns,
            }
        )
    out = {
        "method": {
            "rounds": args.rounds,
            "batches_per_round": args.batches,
            "target_batch_ms": args.target_ms,
            "shuffle_seed": args.seed,
            "unset_for_numpy": list(UNSET_FOR_NUMPY),
            "were_set_here": unset_present,
        },
        "rust_backend": backend,
        "numpy_version": numpy_version,
        "seconds": round(time.time() - started, 1),
        "results": results,
    }
    with open(args.out, "w") as f:
        json.dump(out, f)
    print(f"part1: {len(results)} series in {out['seconds']} s -> {args.out}", file=sys.stderr)


if __name__ == "__main__":
    try:
        main()
    except WorkerError as e:
        sys.exit(f"part1: error: {e}")
