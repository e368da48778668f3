#!/usr/bin/env python3
"""Pivot the rows `cargo bench -p kernels --bench versus` prints into one line per op.

Usage: cargo bench -p kernels --bench versus | tee versus.txt
       python3 kernels/benches/versus_table.py versus.txt
Each cell: rayo / trueno GB/s, then the median per-round speed-up of rayo
(trueno time / rayo time). The last column: 4M rayo vs the plain loop with
the same read:write mix on the same buffers.
"""
import re
import sys

SIZES = ["1K", "16K", "256K", "4M"]
rows, order = {}, []
for line in open(sys.argv[1] if len(sys.argv) > 1 else "/dev/stdin"):
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) != 6 or cells[1] not in SIZES:
        continue
    op, size, rayo, trueno, ratio, base = cells
    if op not in rows:
        rows[op] = {}
        order.append(op)
    m = re.match(r"([\d.]+)x", ratio)
    speed = f" ({m.group(1)}x)" if m else ""
    rows[op][size] = f"{rayo} / {trueno}{speed}" if trueno != "–" else f"{rayo} / –"
    if size == "4M" and base:
        rows[op]["base"] = re.sub(r" \(.*?\)", "", base)

print("| op | " + " | ".join(f"{s}: rayo / trueno GB/s (speed-up)" for s in SIZES)
      + " | 4M: rayo vs plain loop |")
print("|---|" + "---|" * (len(SIZES) + 1))
for op in order:
    r = rows[op]
    print(f"| {op} | " + " | ".join(r.get(s, "–") for s in SIZES) + f" | {r.get('base', '–')} |")
