#!/usr/bin/env python3
"""Pivot the rows `cargo bench -p rayo-kernels --bench versus` prints into one line per op.

Usage: cargo bench -p rayo-kernels --bench versus | tee versus.txt
       python3 kernels/benches/versus_table.py versus.txt [more runs ...]
Each cell: rayo / trueno GB/s, then the median per-round speed-up of rayo
(trueno time / rayo time). The last column: 4M rayo vs the plain loop with
the same read:write mix on the same buffers.

With several files (separate runs, so separate processes), each figure is
the median over the runs and each speed-up is followed by the lowest and
highest run's value: one process can sit a few percent off the others for
its whole life, which its own interquartile ranges do not show.
"""
import re
import statistics
import sys

SIZES = ["1K", "16K", "256K", "4M"]


def parse(path):
    """{(op, size): (rayo, trueno or None, speed-up or None, base % or None)}, op order."""
    cells, order = {}, []
    for line in open(path):
        c = [x.strip() for x in line.strip().strip("|").split("|")]
        if len(c) != 6 or c[1] not in SIZES:
            continue
        op, size, rayo, trueno, ratio, base = c
        if op not in order:
            order.append(op)
        m = re.match(r"([\d.]+)x", ratio)
        b = re.match(r"(\d+)%", base)
        cells[(op, size)] = (
            float(rayo),
            None if trueno == "–" else float(trueno),
            float(m.group(1)) if m else None,
            (int(b.group(1)), re.sub(r"^\d+% \(.*?\) ", "", base)) if b else None,
        )
    return cells, order


def main():
    paths = sys.argv[1:] or ["/dev/stdin"]
    runs = [parse(p) for p in paths]
    order = runs[0][1]
    med = statistics.median
    count = {"faster": [], "tied": [], "slower": []}
    print("| op | " + " | ".join(f"{s}: rayo / trueno GB/s (speed-up)" for s in SIZES)
          + " | 4M: rayo vs plain loop |")
    print("|---|" + "---|" * (len(SIZES) + 1))
    for op in order:
        out = []
        for s in SIZES:
            vals = [r[0][(op, s)] for r in runs if (op, s) in r[0]]
            if not vals:
                out.append("–")
                continue
            rayo = med(v[0] for v in vals)
            if vals[0][1] is None:
                out.append(f"{rayo:.1f} / –")
                continue
            trueno = med(v[1] for v in vals)
            ups = [v[2] for v in vals]
            up = med(ups)
            spread = f", {min(ups):.2f}-{max(ups):.2f}" if len(ups) > 1 else ""
            out.append(f"{rayo:.1f} / {trueno:.1f} ({up:.2f}x{spread})")
            kind = "faster" if up >= 1.01 else "tied" if up >= 0.99 else "slower"
            count[kind].append(f"{op} {s} {up:.3f}x")
        bases = [r[0][(op, "4M")][3] for r in runs if (op, "4M") in r[0] and r[0][(op, "4M")][3]]
        base = f"{med(b[0] for b in bases):.0f}% {bases[0][1]}" if bases else "–"
        print(f"| {op} | " + " | ".join(out) + f" | {base} |")
    n = sum(len(v) for v in count.values())
    print(f"\n{n} cells with a trueno counterpart, by the median over {len(runs)} run(s): "
          f"{len(count['faster'])} faster (>= 1.01x), {len(count['tied'])} tied (0.99-1.01x), "
          f"{len(count['slower'])} slower")
    for kind in ("tied", "slower"):
        if count[kind]:
            print(f"{kind}: " + ", ".join(count[kind]))


if __name__ == "__main__":
    main()
