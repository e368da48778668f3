"""One table from benches/gemm.sh's runs, with the goals it was written against checked.

usage: gemm_table.py [--stat median|p10] target/gemm-bench/run-*.txt

Reads the `RAW <group>/<contender> <ns> <ns> ...` lines of benches/gemm.rs
(GEMM_RAW=1: per-call nanoseconds of every batch, round by round; every
contender of a group ran once per round). Per run:
- median (default): GFLOPS from the median batch; a ratio (speed-up, % of
  peak) is the median over rounds of that round's ratio, so load that changes
  slowly between rounds cancels out.
- p10: GFLOPS from the 10th-percentile (fast) batch, ratios of those: on a
  busy machine (a 1-minute load above ~1.3 on 2 vCPUs) most batches are
  preempted, and the fastest tenth is the closest to what a quiet machine
  shows. Say which one a figure is.
Over runs: the median of the per-run values.
"""

import re
import sys
from statistics import median

SHAPES = ["1x384x384", "1x384x1536", "1x1536x384", "16x384x384", "16x384x1536",
          "16x1536x384", "128x384x384", "128x384x1536", "128x1536x384", "512x512x512", "8x64x64"]
NOTES = ("rayo gemm backend", "OpenBLAS process", "## gemm summary", "load after")
PEAK_FLOPS = {"fma-avx2": 12 * 1024 * 16, "fma-avx512": 12 * 1024 * 32}


def read(path):
    raw, notes = {}, []
    for line in open(path):
        if line.startswith("RAW "):
            w = line.split()
            raw[w[1]] = [float(x) for x in w[2:]]
        elif line.startswith(NOTES):
            notes.append(line.strip())
    return raw, notes


def q(v, frac):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * frac))]


class Run:
    def __init__(self, raw, stat):
        self.raw, self.stat = raw, stat

    def t(self, key):
        """The statistic's per-call ns of one contender."""
        v = self.raw.get(key)
        return None if not v else q(v, 0.5 if self.stat == "median" else 0.1)

    def combine(self, keys, f):
        """f over the contenders' times: per round, then the median (median
        mode); or over their p10 times (p10 mode)."""
        vs = [self.raw.get(k) for k in keys]
        if any(not v for v in vs):
            return None
        if self.stat == "median" and len({len(v) for v in vs}) == 1:
            return median(f(*ts) for ts in zip(*vs))
        return f(*[q(v, 0.5 if self.stat == "median" else 0.1) for v in vs])


def flops(shape):
    m, k, n = map(int, shape.split("x"))
    return 2 * m * k * n


def main(args):
    stat = "median"
    if args[:1] == ["--stat"]:
        stat, args = args[1], args[2:]
    runs = []
    for i, path in enumerate(args):
        raw, notes = read(path)
        for n in notes:
            print(f"  run {i + 1}: {n}")
        runs.append(Run(raw, stat))
    over = lambda f: (lambda v: median(v) if v else None)([x for x in (f(r) for r in runs) if x is not None])
    f1 = lambda x: "-" if x is None else f"{x:.1f}"
    xx = lambda v: "-" if v is None else f"{v:.2f}x"
    pct = lambda v: "-" if v is None else f"{100 * v:.0f}%"

    def gf(g, who):
        return over(lambda r: None if r.t(f"{g}/{who}") is None else
                    (flops(g.split("-")[1]) if g.startswith("gemm-") else 0) / r.t(f"{g}/{who}"))

    def peak(name):
        return over(lambda r: median([PEAK_FLOPS[name] / x for k, v in r.raw.items() if k.endswith("/" + name)
                                      for x in [q(v, 0.5 if stat == "median" else 0.1)]] or [0]) or None)

    p2, p5 = peak("fma-avx2"), peak("fma-avx512")
    best = "fma-avx512" if p5 else "fma-avx2"
    ovh = over(lambda r: median([r.t(k) for k in r.raw if k.endswith("/openblas-overhead")] or [0]) or None)
    print(f"\n{len(runs)} runs, statistic: {stat}. FMA peak (register-only loop, timed in every shape's rounds): "
          f"AVX2 {f1(p2)} GFLOPS, AVX-512 {f1(p5)} GFLOPS. NumPy's per-call overhead {f1(ovh)} ns "
          f"(a 1x1x1 matmul; taken off OpenBLAS's times in the ratios, which favours OpenBLAS).\n")

    def speedup(g, num, dens, blas=False):
        keys = [f"{g}/{num}"] + [f"{g}/{d}" for d in dens]
        if blas:
            keys.append(f"{g}/openblas-overhead")
            return over(lambda r: r.combine(keys, lambda a, b, o: max(b - o, 1.0) / a))
        return over(lambda r: r.combine(keys, lambda a, *b: min(b) / a))

    def peak_frac(g, who, pk):
        fl = flops(g.split("-")[1])
        return over(lambda r: r.combine([f"{g}/{who}", f"{g}/{pk}"],
                                        lambda a, p: (fl / a) / (PEAK_FLOPS[pk] / p)))

    cols = ["rayo packed f32", "packed f16", "f32 nxk", "f32 kxn", "f16 nxk", "gemm crate kxn", "gemm crate nxk",
            "matrixmultiply", "OpenBLAS kxn", "OpenBLAS nxk", "packed f32 % of peak", "packed f32 / OpenBLAS",
            "packed f16 / OpenBLAS", "f32 nxk / OpenBLAS nxk", "packed f32 / gemm crate (faster layout)",
            "f16 / f32 (packed)"]
    print(f"GFLOPS ({stat}); ratios > 1: rayo faster\n")
    print("| shape | " + " | ".join(cols) + " |")
    print("|---" * (len(cols) + 1) + "|")
    results = {}
    for s in SHAPES:
        g = f"gemm-{s}"
        row = [f1(gf(g, w)) for w in ["rayo-packed-f32", "rayo-packed-f16", "rayo-f32-nxk", "rayo-f32-kxn",
                                       "rayo-f16-nxk", "gemm-crate-f32-kxn", "gemm-crate-f32-nxk",
                                       "matrixmultiply-f32-kxn", "openblas-f32-kxn", "openblas-f32-nxk"]]
        r = {
            "peak": peak_frac(g, "rayo-packed-f32", best),
            "blas": speedup(g, "rayo-packed-f32", ["openblas-f32-kxn"], blas=True),
            "blas16": speedup(g, "rayo-packed-f16", ["openblas-f32-kxn"], blas=True),
            "blasnxk": speedup(g, "rayo-f32-nxk", ["openblas-f32-nxk"], blas=True),
            "crate": speedup(g, "rayo-packed-f32", ["gemm-crate-f32-kxn", "gemm-crate-f32-nxk"]),
            "f16": speedup(g, "rayo-packed-f16", ["rayo-packed-f32"]),
            "avx2": peak_frac(g, "rayo-avx2-packed-f32", "fma-avx2") or
                    (peak_frac(g, "rayo-packed-f32", "fma-avx2") if not p5 else None),
        }
        results[s] = r
        row += [pct(r["peak"]), xx(r["blas"]), xx(r["blas16"]), xx(r["blasnxk"]), xx(r["crate"]), xx(r["f16"])]
        print(f"| {s} | " + " | ".join(row) + " |")

    if p5:
        print("\nThe AVX2 path on this AVX-512 machine: packed f32 GFLOPS, % of the AVX2 FMA peak")
        for s in SHAPES:
            print(f"  {s}: {f1(gf('gemm-' + s, 'rayo-avx2-packed-f32'))} ({pct(results[s]['avx2'])})")

    print("\nm = 1, B out of cache (64 MiB of copies in rotation), GB/s of B:")
    cold = {}
    for s in ["1x384x1536", "1x1536x384"]:
        g = f"gemv-cold-{s}"
        _, k, n = map(int, s.split("x"))
        gbs = lambda who, size: over(lambda r: None if r.t(f"{g}/{who}") is None else k * n * size / r.t(f"{g}/{who}"))
        for ty, size in [("f32", 4), ("f16", 2)]:
            frac = over(lambda r: r.combine([f"{g}/rayo-packed-{ty}", f"{g}/read1-{ty}", f"{g}/read4-{ty}"],
                                            lambda a, b, c: min(b, c) / a))
            cold[(s, ty)] = frac
            print(f"  {s} packed {ty}: rayo {f1(gbs('rayo-packed-' + ty, size))}; plain read of the same bytes, "
                  f"1 stream {f1(gbs('read1-' + ty, size))}, 4 streams {f1(gbs('read4-' + ty, size))}: "
                  f"rayo = {pct(frac)} of the faster read")
        print(f"  {s} unpacked f32: nxk {f1(gbs('rayo-f32-nxk', 4))}, kxn {f1(gbs('rayo-f32-kxn', 4))}")
    dram = lambda w: over(lambda r: None if r.t(f"dram-256MiB/{w}") is None else (256 << 20) / r.t(f"dram-256MiB/{w}"))
    print(f"  DRAM, 256 MiB read: 1 stream {f1(dram('read1'))}, 4 streams {f1(dram('read4'))} GB/s")

    print(f"\nGoals ({stat}):")
    goals = []
    for s in ["128x384x384", "128x384x1536", "128x1536x384", "512x512x512"]:
        goals += [(f"{s}: packed f32 >= OpenBLAS", results[s]["blas"], 1.0),
                  (f"{s}: >= 85% of the FMA peak", results[s]["peak"], 0.85),
                  (f"{s}: >= 1.3x the gemm crate", results[s]["crate"], 1.3)]
    for s in ["16x384x384", "16x384x1536", "16x1536x384"]:
        goals.append((f"{s}: packed f32 >= 1.1x OpenBLAS", results[s]["blas"], 1.1))
    for (s, ty), v in cold.items():
        goals.append((f"{s}: packed {ty}, B out of cache, >= 90% of a plain read", v, 0.9))
    for s in ["128x384x384", "128x384x1536", "128x1536x384"]:
        goals += [(f"{s}: f16 B within 10% of f32 B", results[s]["f16"], 0.9),
                  (f"{s}: AVX2 path >= 85% of the AVX2 peak", results[s]["avx2"], 0.85)]
    for name, v, want in goals:
        verdict = "not measured" if v is None else ("met" if v >= want else "NOT MET")
        print(f"  {verdict:>12}  {name} ({'-' if v is None else f'{v:.2f}'}; goal {want})")


if __name__ == "__main__":
    main(sys.argv[1:])
