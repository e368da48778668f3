"""One table from benches/gemm.sh's runs: medians over runs of each run's
medians (GFLOPS, GB/s) and of each run's per-round ratios, with the goals of
issue 16 checked against them.

usage: gemm_table.py target/gemm-bench/run-*.txt
Inputs hold `RESULT <id> <value>` and `RATIO <id> <value>` lines
(benches/gemm.rs's summary).
"""

import re
import sys
from statistics import median

SHAPES = ["1x384x384", "1x384x1536", "1x1536x384", "16x384x384", "16x384x1536",
          "16x1536x384", "128x384x384", "128x384x1536", "128x1536x384", "512x512x512", "8x64x64"]
NOTES = ("rayo gemm backend", "OpenBLAS process", "## gemm summary", "load after")


def read(path):
    vals, notes = {}, []
    for line in open(path):
        m = re.match(r"(RESULT|RATIO) (\S+) ([-\d.eE+]+)", line)
        if m:
            vals[(m.group(1), m.group(2))] = float(m.group(3))
        elif line.startswith(NOTES):
            notes.append(line.strip())
    return vals, notes


def main(paths):
    runs = [read(p) for p in paths]
    for i, (_, notes) in enumerate(runs):
        for n in notes:
            print(f"  run {i + 1}: {n}")

    def med(kind, key):
        v = [r[(kind, key)] for r, _ in runs if (kind, key) in r]
        return median(v) if v else None

    res = lambda k: med("RESULT", k)
    rat = lambda k: med("RATIO", k)
    f = lambda x: "-" if x is None else f"{x:.1f}"
    x = lambda v: "-" if v is None else f"{v:.2f}x"
    pct = lambda v: "-" if v is None else f"{100 * v:.0f}%"
    p2 = median([v for r, _ in runs for (kind, k), v in r.items() if k.endswith("/fma-avx2")] or [0]) or None
    p5 = median([v for r, _ in runs for (kind, k), v in r.items() if k.endswith("/fma-avx512")] or [0]) or None
    print(f"\n{len(runs)} runs. FMA peak (register-only loop, median of every round's): "
          f"AVX2 {f(p2)} GFLOPS, AVX-512 {f(p5)} GFLOPS. "
          f"NumPy per-call overhead {f(res('openblas-overhead-ns'))} ns (taken off OpenBLAS's time in the ratios).\n")
    cols = ["rayo packed f32", "packed f16", "f32 nxk", "f32 kxn", "f16 nxk", "gemm crate kxn", "gemm crate nxk",
            "matrixmultiply", "OpenBLAS kxn", "OpenBLAS nxk", "packed f32 % peak", "packed f32 / OpenBLAS",
            "packed f16 / OpenBLAS", "f32 nxk / OpenBLAS nxk", "packed f32 / gemm crate", "f16 / f32 packed"]
    print("GFLOPS (median over runs); ratios: median over runs of the median of per-round ratios (> 1: rayo faster)\n")
    print("| shape | " + " | ".join(cols) + " |")
    print("|---" * (len(cols) + 1) + "|")
    for s in SHAPES:
        g = f"gemm-{s}/"
        row = [f(res(g + w)) for w in ["rayo-packed-f32", "rayo-packed-f16", "rayo-f32-nxk", "rayo-f32-kxn",
                                        "rayo-f16-nxk", "gemm-crate-f32-kxn", "gemm-crate-f32-nxk",
                                        "matrixmultiply-f32-kxn", "openblas-f32-kxn", "openblas-f32-nxk"]]
        row += [pct(rat(g + "peak-frac")), x(rat(g + "rayo-packed-f32/openblas")),
                x(rat(g + "rayo-packed-f16/openblas")), x(rat(g + "rayo-f32-nxk/openblas-nxk")),
                x(rat(g + "rayo-packed-f32/gemm-crate")), x(rat(g + "f16/f32"))]
        print(f"| {s} | " + " | ".join(row) + " |")

    if any(k.endswith("rayo-avx2-packed-f32") for r, _ in runs for (_, k) in r):
        print("\nThe AVX2 path on this AVX-512 machine: packed f32 GFLOPS, % of the AVX2 FMA peak")
        for s in SHAPES:
            print(f"  {s}: {f(res(f'gemm-{s}/rayo-avx2-packed-f32'))} ({pct(rat(f'gemm-{s}/avx2-peak-frac'))})")

    print("\nm = 1, B out of cache (64 MiB of copies in rotation), GB/s of B:")
    for s in ["1x384x1536", "1x1536x384"]:
        g = f"gemv-cold-{s}/"
        for ty in ["f32", "f16"]:
            print(f"  {s} packed {ty}: rayo {f(res(g + 'rayo-packed-' + ty))}, plain read 1 stream "
                  f"{f(res(g + 'read1-' + ty))}, 4 streams {f(res(g + 'read4-' + ty))}: "
                  f"rayo = {pct(rat(g + 'packed-' + ty + '/read'))} of the faster read")
        print(f"  {s} unpacked f32: nxk {f(res(g + 'rayo-f32-nxk'))}, kxn {f(res(g + 'rayo-f32-kxn'))}")
    print(f"  DRAM, 256 MiB read: 1 stream {f(res('dram-256MiB/read1'))}, 4 streams {f(res('dram-256MiB/read4'))} GB/s")

    print("\nGoals (issue 16), on this machine's default backend:")
    goals = []
    for s in ["128x384x384", "128x384x1536", "128x1536x384", "512x512x512"]:
        g = f"gemm-{s}/"
        goals.append((f"{s} packed f32 >= OpenBLAS", rat(g + "rayo-packed-f32/openblas"), 1.0))
        goals.append((f"{s} >= 85% of FMA peak", rat(g + "peak-frac"), 0.85))
        goals.append((f"{s} >= 1.3x gemm crate", rat(g + "rayo-packed-f32/gemm-crate"), 1.3))
    for s in ["16x384x384", "16x384x1536", "16x1536x384"]:
        goals.append((f"{s} packed f32 >= 1.1x OpenBLAS", rat(f"gemm-{s}/rayo-packed-f32/openblas"), 1.1))
    for s in ["1x384x1536", "1x1536x384"]:
        for ty in ["f32", "f16"]:
            goals.append((f"{s} packed {ty}, B out of cache, >= 90% of a plain read",
                          rat(f"gemv-cold-{s}/packed-{ty}/read"), 0.9))
    for s in ["128x384x384", "128x384x1536", "128x1536x384"]:
        goals.append((f"{s} f16 B within 10% of f32 B", rat(f"gemm-{s}/f16/f32"), 0.9))
        goals.append((f"{s} AVX2 path >= 85% of the AVX2 peak", rat(f"gemm-{s}/avx2-peak-frac"), 0.85))
    for name, v, want in goals:
        verdict = "not measured" if v is None else ("met" if v >= want else "NOT MET")
        print(f"  {verdict:>12}: {name} ({'-' if v is None else f'{v:.2f}'}, want >= {want})")


if __name__ == "__main__":
    main(sys.argv[1:])
