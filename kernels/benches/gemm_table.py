"""One table from benches/gemm.sh's runs: medians over runs, ratios per run.

usage: gemm_table.py target/gemm-bench/rayo-*.txt target/gemm-bench/numpy-*.txt
Every input holds `RESULT <id> <value>` lines (GFLOPS, or GB/s for reads).
A ratio is the median over runs of that run's ratio (rayo run i with numpy run i).
"""

import re
import sys
from statistics import median

SHAPES = ["1x384x384", "1x384x1536", "1x1536x384", "16x384x384", "16x384x1536",
          "16x1536x384", "128x384x384", "128x384x1536", "128x1536x384", "512x512x512", "8x64x64"]


def read(path):
    out, notes = {}, []
    for line in open(path):
        m = re.match(r"RESULT (\S+) ([\d.]+)", line)
        if m:
            out[m.group(1)] = float(m.group(2))
        elif line.startswith(("threadpoolctl", "numpy ", "rayo gemm backend", "load", "FMA peak", "## gemm")):
            notes.append(line.strip())
    return out, notes


def main(paths):
    rayo = [read(p) for p in paths if "rayo-" in p]
    numpy = [read(p) for p in paths if "numpy-" in p]
    for r, n in zip(rayo, numpy):
        for note in r[1] + n[1]:
            print(f"  {note}")
    runs = list(zip([r[0] for r in rayo], [n[0] for n in numpy]))

    def med(key, src):
        vals = [(r if src == "r" else n).get(key) for r, n in runs]
        vals = [v for v in vals if v is not None]
        return median(vals) if vals else None

    def ratio(a, b):
        vals = []
        for r, n in runs:
            both = {**r, **n}
            if a in both and b in both:
                vals.append(both[a] / both[b])
        return median(vals) if vals else None

    f = lambda x: "-" if x is None else f"{x:.1f}"
    x = lambda x: "-" if x is None else f"{x:.2f}x"
    peak = med("peak/fma-avx512", "r") or med("peak/fma-avx2", "r")
    print(f"\nFMA peak: avx2 {f(med('peak/fma-avx2', 'r'))}, avx512 {f(med('peak/fma-avx512', 'r'))} GFLOPS; {len(runs)} runs\n")
    cols = ["rayo packed f32", "rayo packed f16", "rayo f32 nxk", "gemm crate kxn", "OpenBLAS kxn",
            "OpenBLAS nxk", "packed f32 % peak", "packed f32 / OpenBLAS", "packed f16 / OpenBLAS",
            "packed f32 / gemm crate", "f32 nxk / OpenBLAS nxk", "f16 / f32 packed"]
    print("| shape | " + " | ".join(cols) + " |")
    print("|---" * (len(cols) + 1) + "|")
    for s in SHAPES:
        g = f"gemm-{s}/"
        p32, p16 = g + "rayo-packed-f32", g + "rayo-packed-f16"
        ob, obt = f"numpy/{s}/f32-kxn", f"numpy/{s}/f32-nxk"
        pv = med(p32, "r")
        row = [f(pv), f(med(p16, "r")), f(med(g + "rayo-f32-nxk", "r")), f(med(g + "gemm-crate-f32-kxn", "r")),
               f(med(ob, "n")), f(med(obt, "n")),
               "-" if pv is None or not peak else f"{100 * pv / peak:.0f}%",
               x(ratio(p32, ob)), x(ratio(p16, ob)), x(ratio(p32, g + "gemm-crate-f32-kxn")),
               x(ratio(g + "rayo-f32-nxk", obt)), x(ratio(p16, p32))]
        print(f"| {s} | " + " | ".join(row) + " |")
    if any("rayo-avx2-packed-f32" in k for r, _ in runs for k in r):
        peak2 = med("peak/fma-avx2", "r")
        print("\nAVX2 path (on an AVX-512 machine): packed f32 GFLOPS and % of the AVX2 FMA peak")
        for s in SHAPES:
            v = med(f"gemm-{s}/rayo-avx2-packed-f32", "r")
            print(f"  {s}: {f(v)} ({'-' if v is None or not peak2 else f'{100 * v / peak2:.0f}%'})")
    for s in ["1x384x1536", "1x1536x384"]:
        g = f"gemv-cold-{s}/"
        k, n = map(int, s.split("x")[1:])
        gb = lambda key, bytes_: None if med(key, "r") is None else med(key, "r") * bytes_ / 2
        r32, r16 = med(g + "read-f32", "r"), med(g + "read-f16", "r")
        g32, g16 = gb(g + "rayo-packed-f32", 4), gb(g + "rayo-packed-f16", 2)
        pct = lambda a, b: "-" if a is None or b is None else f"{100 * a / b:.0f}%"
        print(f"\ngemv {s}, B out of cache: packed f32 {f(g32)} GB/s = {pct(g32, r32)} of a plain read ({f(r32)}); "
              f"packed f16 {f(g16)} GB/s = {pct(g16, r16)} of a plain read ({f(r16)})")


if __name__ == "__main__":
    main(sys.argv[1:])
