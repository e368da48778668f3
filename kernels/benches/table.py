#!/usr/bin/env python3
"""Markdown tables from criterion's JSON after `cargo bench -p rayo-kernels --bench kernels`.

Usage: python3 kernels/benches/table.py [target/criterion]
Each cell: median GB/s (decimal, bytes touched / median time).
"""
import json
import os
import sys

root = sys.argv[1] if len(sys.argv) > 1 else "target/criterion"
SIZES = ["1K", "16K", "256K", "4M"]


def gbs(group, func, size):
    d = os.path.join(root, group, func, size)
    try:
        est = json.load(open(os.path.join(d, "new", "estimates.json")))
        bench = json.load(open(os.path.join(d, "new", "benchmark.json")))
    except OSError:
        return None
    tp = bench.get("throughput") or {}
    nbytes = tp.get("Bytes") or tp.get("BytesDecimal")
    if not nbytes:
        return None
    return nbytes / est["median"]["point_estimate"]


def fmt(x):
    return "–" if x is None else f"{x:.1f}"


groups = sorted(g for g in os.listdir(root) if os.path.isdir(os.path.join(root, g)) and g != "report")
order = ["sum", "mean", "dot", "norm_l1", "norm_l2", "max", "min", "argmax", "argmin",
         "add", "sub", "mul", "div", "scale", "axpy", "fma", "clamp", "abs",
         "relu", "exp", "sigmoid", "tanh", "gelu_tanh", "softmax", "cosine", "euclidean", "matvec"]
READS_ONLY = {"sum", "mean", "dot", "norm_l1", "norm_l2", "max", "min", "argmax",
              "argmin", "cosine", "euclidean", "matvec"}
base = {"read": gbs("memory", "read", "4M"), "copy": gbs("memory", "copy", "4M")}
print("| op | " + " | ".join(f"{s} rayo / trueno (x)" for s in SIZES)
      + " | 4M rayo vs memory baseline |")
print("|---|" + "---|" * (len(SIZES) + 1))
for g in [o for o in order if o in groups]:
    cells = []
    for s in SIZES:
        r, t = gbs(g, "rayo", s), gbs(g, "trueno", s)
        if r is None:
            cells.append("–")
        elif t is None:
            cells.append(f"{fmt(r)} / –")
        else:
            cells.append(f"{fmt(r)} / {fmt(t)} ({r / t:.2f}x)")
    kind = "read" if g in READS_ONLY else "copy"
    r4 = gbs(g, "rayo", "4M")
    pct = f"{100 * r4 / base[kind]:.0f}% of {kind}" if r4 and base[kind] else "–"
    print(f"| {g} | " + " | ".join(cells) + f" | {pct} |")

print()
print("| baseline / rayo backend | " + " | ".join(SIZES) + " |")
print("|---|" + "---|" * len(SIZES))
for g in ["memory", "isa"]:
    d = os.path.join(root, g)
    if not os.path.isdir(d):
        continue
    for f in sorted(os.listdir(d)):
        if f == "report":
            continue
        print(f"| {g}/{f} | " + " | ".join(fmt(gbs(g, f, s)) for s in SIZES) + " |")
