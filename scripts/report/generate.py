"""Writes docs/REPORT.md and docs/report/*.svg from the raw data ./report.sh collected.

usage: generate.py --raw target/report/raw --out docs/REPORT.md --svg-dir docs/report [--quick 0|1]

Every figure printed comes from a file in --raw (measured by report.sh in this run) or from
the named inputs below and in prices.py. Also writes docs/report/cost.json (inputs, the
figures used and the results) so scripts/report/check.py can recompute the arithmetic.
"""

import argparse
import glob
import json
import os
import re
import statistics
import sys

import costmodel
import embed
import prices
import svg

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# ---- the cost model's inputs (Part 4): change them here or through the environment ----
MEMORY_MB = int(os.environ.get("REPORT_MEMORY_MB", "128"))
# AWS: "INITs (cold starts) typically occur in under 1% of invocations" (the INIT billing post).
COLD_RATE = float(os.environ.get("REPORT_COLD_RATE", "0.01"))
INVOCATIONS = 1_000_000

# The seed's claims, quoted as claims (never used as measurements).
SEED_DOT_1K_US = (10.8, 17.3)

OPS = ["dot", "sum", "max", "add", "mul", "scale"]
SIZES = ["1K", "16K", "256K", "4M"]


# ---- formatting ----
def sig(x, digits=3):
    """x with `digits` significant figures, no exponent."""
    if x == 0:
        return "0"
    from math import floor, log10

    decimals = max(0, digits - 1 - int(floor(log10(abs(x)))))
    return f"{x:,.{decimals}f}"


def t_ns(ns):
    if ns < 1_000:
        return f"{sig(ns)} ns"
    if ns < 1_000_000:
        return f"{sig(ns / 1e3)} µs"
    return f"{sig(ns / 1e6)} ms"


def ms(x):
    return "–" if x is None else sig(x)


def nbytes(n):
    return f"{n:,}"


def kib(n):
    if n >= 1 << 20:
        return f"{n / (1 << 20):.1f} MiB"
    return f"{n / 1024:.0f} KiB"


def si_bytes(n):
    """Decimal units for chart axes, whose ticks fall on powers of ten."""
    for unit, k in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= k:
            return f"{sig(n / k, 3)} {unit}"
    return f"{n:.0f} B"


def price(x):
    """A per-GB-second price in plain decimals, as AWS prints it ($0.0000166667)."""
    return f"${x:.10f}".rstrip("0")


def usd(x):
    return f"${x:.4f}" if x >= 0.01 else f"${x:.6f}"


def load(path, default=None):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        if default is not None:
            return default
        sys.exit(f"generate.py: {path} is missing: run ./report.sh")
    except json.JSONDecodeError as e:
        sys.exit(f"generate.py: {path} is not valid JSON: {e}")


# ---- bench-coldstart results ----
class Bench:
    """One bench-coldstart --json document: medians by (bootstrap, metric)."""

    def __init__(self, doc, label):
        self.label = label
        self.doc = doc
        self.names = [b["name"] for b in doc["bootstraps"]]
        self.size = {b["name"]: b.get("size_bytes") for b in doc["bootstraps"]}
        self.failure = {b["name"]: b.get("failure") for b in doc["bootstraps"] if b.get("failure")}
        self.summary = {(s["bootstrap"], s["metric"]): s for s in doc["summary"]}
    def med(self, name, metric):
        s = self.summary.get((name, metric))
        return None if s is None else s["median"]

    def p90(self, name, metric):
        s = self.summary.get((name, metric))
        return None if s is None else s["p90"]

    def ratio(self, name, metric="init_ms"):
        s = self.summary.get((name, metric))
        return None if s is None else s.get("ratio_to_first")

    def load_range(self):
        """The 1-minute load average's range over the runs (bench-coldstart's machine record)."""
        m = self.doc.get("machine", {})
        lo, hi = m.get("load_min"), m.get("load_max")
        return (lo, hi) if isinstance(lo, (int, float)) and isinstance(hi, (int, float)) else None


def bench_table(b, md):
    throttled = any(m == "init_throttled_ms" for (_, m) in b.summary)
    extra_h, extra_s = (" init throttled ms |", "---|") if throttled else ("", "")
    md.append(
        "| bootstrap | size | init median (p90) ms | init vs baseline | init CPU ms |" + extra_h
        + " peak RSS | first invoke ms | warm p50 ms | CPU total ms |"
    )
    md.append("|---|---|---|---|---|" + extra_s + "---|---|---|---|")
    for n in b.names:
        if n in b.failure:
            md.append(f"| {n} | – | failed: {b.failure[n]} |" + " |" * (6 + throttled))
            continue
        size = b.size.get(n)
        rss = b.med(n, "peak_rss_kib")
        r = b.ratio(n)
        extra = f" {ms(b.med(n, 'init_throttled_ms'))} |" if throttled else ""
        md.append(
            f"| {n} | {kib(size) if size else '–'} | {ms(b.med(n, 'init_ms'))} ({ms(b.p90(n, 'init_ms'))}) "
            f"| {sig(r) + '×' if r else '–'} | {ms(b.med(n, 'init_cpu_ms'))} |{extra}"
            f" {kib(rss * 1024) if rss else '–'} | {ms(b.med(n, 'first_invoke_ms'))} "
            f"| {ms(b.med(n, 'warm_p50_ms'))} | {ms(b.med(n, 'cpu_ms'))} |"
        )


def wait_warning(b, md):
    """Flags a run whose bare baseline spent most of its wall-clock init waiting, not working."""
    init, cpu = b.med("baseline", "init_ms"), b.med("baseline", "init_cpu_ms")
    if init and cpu and init > 4 * cpu:
        md.append("")
        md.append(f"**Warning, this table:** the bare baseline's median wall-clock init ({sig(init)} ms) is "
                  f"{sig(init / cpu)}× its CPU time ({sig(cpu)} ms): in this run the sub-millisecond rows "
                  "mostly waited to be scheduled on the busy machine. Compare them by *init CPU*; their "
                  "wall-clock init says more about the machine than about the bootstraps.")


def versions_line(md_path):
    try:
        with open(md_path) as f:
            for line in f:
                if line.startswith("Versions:"):
                    return line.strip()
    except FileNotFoundError:
        pass
    return None


# ---- the report ----
def main():
    p = argparse.ArgumentParser()
    p.add_argument("--raw", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--svg-dir", required=True)
    p.add_argument("--quick", default="0")
    a = p.parse_args()
    raw = a.raw
    quick = a.quick == "1"
    os.makedirs(a.svg_dir, exist_ok=True)
    svg_rel = os.path.relpath(a.svg_dir, os.path.dirname(os.path.abspath(a.out)))

    machine = load(f"{raw}/machine.json")
    npinfo = load(f"{raw}/numpy-info.json")
    p1 = load(f"{raw}/part1.json")
    full = Bench(load(f"{raw}/peers-full/results.json"), "full CPU")
    tiers_full = Bench(load(f"{raw}/tiers-full.json"), "full CPU")
    memory_state = open(f"{raw}/has-memory").read().strip()
    has_memory = memory_state == "1"
    memory_reason = memory_state[1:].strip() if not has_memory else ""
    m128 = Bench(load(f"{raw}/peers-128/results.json"), "128 MB, init throttled") if has_memory else None
    tiers128 = Bench(load(f"{raw}/tiers-128.json"), "128 MB, init throttled") if has_memory else None
    # The same share with init left free (--unthrottled-init), when bench-coldstart has it.
    has_free = has_memory and os.path.exists(f"{raw}/peers-128u/results.json")
    m128u = Bench(load(f"{raw}/peers-128u/results.json"), "128 MB, init free") if has_free else None
    tiers128u = Bench(load(f"{raw}/tiers-128u.json"), "128 MB, init free") if has_free else None
    peer_sizes = load(f"{raw}/peer-sizes.json")
    seconds = int(open(f"{raw}/seconds").read().strip() or 0)

    md = []
    w = md.append
    cmd = "./report.sh --quick" if quick else "./report.sh"

    # ---- header ----
    w("# rayo: kernels, cold start, size and cost, measured")
    w("")
    w(f"Generated by `{cmd}` (scripts in `scripts/report/`); every figure below was measured by that "
      "command in the run described here, or is an input this report names as such.")
    w("")
    dirty = " (with uncommitted changes)" if machine.get("dirty") else ""
    w(f"- **Date:** {machine['date_utc']}; the whole command took {seconds // 60} min {seconds % 60} s"
      f"{' (--quick: fewer rounds and runs)' if quick else ''}.")
    w(f"- **Commit:** `{machine.get('commit')}` on branch `{machine.get('branch')}`{dirty}.")
    w(f"- **Machine:** {machine.get('cpu_model')}, {machine.get('logical_cpus')} logical CPUs"
      f"{', ' + machine['hypervisor'] + ' guest' if machine.get('hypervisor') else ''}, "
      f"Linux {machine.get('kernel')} ({machine.get('arch')}); CPU flags: "
      f"{', '.join(machine.get('cpu_flags', []))}.")
    w(f"- **Toolchains:** {machine.get('rustc')}; Python {npinfo.get('python')}, NumPy {npinfo.get('numpy')}.")
    w(f"- **Noise:** 1-minute load average {machine.get('load_avg_1m_at_start', 0):.1f} at the start. "
      "This is a shared 2-vCPU VM on which other jobs build at the same time: every figure is a "
      "**median** of many samples, each comparison is measured **interleaved in the same run**, "
      "and ratios are steadier than absolute times. Re-run on a quiet machine before quoting an absolute figure.")
    w("")
    summary_at = len(md)
    key = []

    # ---- Part 1 ----
    res = {(r["op"], r["size"], r["side"]): r for r in p1["results"]}
    meth = p1["method"]

    def med(op, size, side):
        r = res.get((op, size, side))
        return None if r is None else r["median_ns"]

    blas_rt = (npinfo.get("blas_runtime") or [{}])
    blas_rt = blas_rt[0] if blas_rt else {}
    blas_build = npinfo.get("blas_build") or {}
    w("## Part 1: rayo's kernels (Rust) beside NumPy (Python)")
    w("")
    w("Method. Two workers answer timing requests over a pipe: `kernels/examples/report_timing.rs` "
      "(rayo's public API: `kernels::dot`, `sum`, `max`, `add`, `mul`, `scale`, "
      f"dispatching to the **{p1['rust_backend']}** backend on this CPU) and "
      "`scripts/report/numpy_worker.py` (`np.dot`, `np.sum`, `np.max`, `np.add(a, b, out=out)`, "
      "`np.multiply(a, b, out=out)`, `np.multiply(a, np.float32(1.5), out=out)`; float32 arrays, "
      "outputs preallocated as rayo's are). Both time a batch the same way: a clock read around a loop "
      "of CALLS calls (`Instant` in Rust, `time.perf_counter_ns` in Python), CALLS calibrated per "
      f"side so one batch lasts about {meth['target_batch_ms']:g} ms (short, so that on a busy machine most "
      "batches run inside one scheduler time slice; a 4M call is one batch by itself). "
      "`scripts/report/part1.py` then runs "
      f"{meth['rounds']} rounds; each round visits every (op, size) cell in a shuffled order and asks "
      f"both workers for {meth['batches_per_round']} batches, Rust first on even rounds and NumPy first on odd ones, "
      "so drift hits both sides alike. Figures are the **median time per call over all batches** "
      f"({meth['rounds'] * meth['batches_per_round']} per cell and side). "
      "A 1-element call of the same function measures each side's fixed per-call cost: for NumPy that is "
      "the interpreter, argument parsing, dispatch and the result object.")
    w("")
    w("Memory: each worker keeps one set of arrays per size for the whole run, written once before any "
      "timing (no page faults inside a batch). NumPy puts arrays of 4 MiB and more on transparent huge "
      "pages (`madvise`, its default); the Rust worker does the same for its buffers, so at 4M elements "
      "both sides have the same page size (this machine's THP mode: "
      f"`{machine.get('transparent_hugepages')}`). Without that the comparison at 4M would partly "
      "measure page size rather than kernels (in trial runs, not part of this report, the Rust side "
      "was clearly slower at 4M on 4 KiB pages).")
    w("")
    unset_note = ("they were set here and were removed" if meth.get("were_set_here")
                  else "neither was set in this run's environment, so removing them changed nothing")
    w(f"NumPy {npinfo.get('numpy')} uses **{blas_build.get('name', '?')} {blas_build.get('version', '')}** "
      f"(`numpy.show_config()`: `{blas_build.get('openblas configuration', '').strip()}`); as loaded "
      f"(threadpoolctl): {blas_rt.get('internal_api', '?')} {blas_rt.get('version', '')}, core type "
      f"**{blas_rt.get('architecture', '?')}**, {blas_rt.get('num_threads', '?')} threads. "
      "The NumPy worker (and only it) runs with `OPENBLAS_CORETYPE` and `OPENBLAS_L2_SIZE` removed "
      f"from its environment ({unset_note}). Only `np.dot` goes through BLAS; the other five are NumPy's own "
      "ufunc/reduction loops, single-threaded. rayo's kernels are single-threaded.")
    w("")
    def spread(op, size, side):
        r = res.get((op, size, side))
        return None if r is None or not r["median_ns"] else (r["q3_ns"] - r["q1_ns"]) / r["median_ns"]

    w("| op | size | rayo | NumPy | NumPy per-call overhead | NumPy − overhead | NumPy / rayo | (NumPy − overhead) / rayo | spread rayo / NumPy |")
    w("|---|---|---|---|---|---|---|---|---|")
    chart_rows = []
    for op in OPS:
        o = med(op, "1", "numpy")
        for size in SIZES:
            r, n = med(op, size, "rust"), med(op, size, "numpy")
            if r is None or n is None:
                w(f"| {op} | {size} | – | – | – | – | – | – | – |")
                continue
            net = n - o if o is not None else None
            net_txt = t_ns(net) if net is not None and net > 0 else "≤ 0 (all overhead)"
            net_ratio = f"{sig(net / r)}×" if net is not None and net > 0 else "–"
            sr, sn = spread(op, size, "rust"), spread(op, size, "numpy")
            w(f"| {op} | {size} | {t_ns(r)} | {t_ns(n)} | {t_ns(o) if o else '–'} | {net_txt} "
              f"| {sig(n / r)}× | {net_ratio} | {sr:.0%} / {sn:.0%} |")
            chart_rows.append((f"{op} {size}", [r, n, net if net and net > 0 else None]))
    w("")
    w("*spread* is the interquartile range of the batch times over their median, per side: how much the "
      "busy machine moved that cell.")
    w("")
    w("Per-call cost of a 1-element call (the fixed part of every call):")
    w("")
    w("| op | rayo, 1 element | NumPy, 1 element |")
    w("|---|---|---|")
    for op in OPS:
        r1, n1 = med(op, "1", "rust"), med(op, "1", "numpy")
        w(f"| {op} | {t_ns(r1) if r1 else '–'} | {t_ns(n1) if n1 else '–'} |")
    w("")
    r_dot, n_dot, o_dot = med("dot", "1K", "rust"), med("dot", "1K", "numpy"), med("dot", "1", "numpy")
    if r_dot and n_dot and o_dot:
        share = min(100.0, 100 * o_dot / n_dot)
        w(f"**The seed's \"1.6×\".** The seed's report *claimed* dot at 1K elements: {SEED_DOT_1K_US[0]} µs "
          f"(its Rust) vs {SEED_DOT_1K_US[1]} µs (NumPy), 1.6×. Those are the seed's figures, quoted, not "
          f"measured here; how they were timed is not known. Measured here: rayo {t_ns(r_dot)}, NumPy "
          f"{t_ns(n_dot)} ({sig(n_dot / r_dot)}×), and NumPy's 1-element `np.dot` alone costs {t_ns(o_dot)}, "
          f"{share:.0f}% of its 1K time; without it NumPy's 1K dot is "
          f"{t_ns(max(n_dot - o_dot, 0))} ({sig(max(n_dot - o_dot, 0) / r_dot)}× rayo). At 1K the gap is "
          "Python's per-call cost, not arithmetic.")
        w("")
        key.append(f"- **Kernels:** dot of 1K f32: rayo {t_ns(r_dot)}, NumPy {t_ns(n_dot)}, of which "
                   f"{t_ns(o_dot)} is NumPy's per-call cost (its 1-element call); see Part 1 for all six "
                   "ops and sizes.")
    for size in ("256K", "4M"):
        ratios = [med(op, size, "numpy") / med(op, size, "rust") for op in OPS
                  if med(op, size, "numpy") and med(op, size, "rust")]
        if ratios:
            w(f"- At {size} elements, NumPy / rayo ranges {sig(min(ratios))}× – {sig(max(ratios))}× "
              f"over the six ops (median {sig(statistics.median(ratios))}×).")
    w("")
    svg_path = os.path.join(a.svg_dir, "part1-kernels.svg")
    with open(svg_path, "w") as f:
        f.write(svg.hbars("Time per call, median (lower is better)",
                          ["rayo (Rust)", "NumPy", "NumPy − 1-element overhead"], chart_rows, t_ns,
                          note=f"{machine.get('cpu_model')}, {machine['date_utc']}"))
    w(f"![kernels vs NumPy]({svg_rel}/part1-kernels.svg)")
    w("")

    # ---- Part 2 ----
    w("## Part 2: cold start and memory")
    w("")
    w(f"`bench-coldstart/peers.sh` (RUNS={full.doc.get('runs')}, INVOKES={full.doc.get('invokes')}): "
      "each run starts a fresh emulator and a fresh process per bootstrap, interleaved, after an "
      "uncounted warm-up; *init* is spawn to the first `GET /next`, *init CPU* the process's CPU time "
      "until then, *peak RSS* its `VmHWM`. Medians over runs; *init vs baseline* is the median of the "
      "run-by-run ratios to the bare static program that only connects (`baseline`). The peers are echo "
      "functions: compare them with `rayo-echo`; `rayo` is rayo's compute bootstrap (the kernels "
      "behind a JSON API), a bigger program. Both are peers.sh's own builds (`cargo build --profile "
      "release-ultra --target x86_64-unknown-linux-musl`, linked by rustup's musl), not build.sh's "
      "zig-linked tiers, hence their sizes differ from Part 3; the tiers are measured in the second table.")
    v = versions_line(f"{raw}/peers-full.md")
    if v:
        w("")
        w(v)
    w("")
    lr = full.load_range()
    w(f"### At full CPU{f' (1-min load {lr[0]:.1f}–{lr[1]:.1f} during the runs)' if lr else ''}")
    w("")
    bench_table(full, md)
    wait_warning(full, md)
    w("")
    w("rayo's size tiers (`build.sh --check-all-tiers`, x86_64, the same binaries as Part 3), measured "
      "side by side in a separate run with the same settings:")
    w("")
    bench_table(tiers_full, md)
    wait_warning(tiers_full, md)
    w("")
    w("### At a simulated 128 MB Lambda CPU share")
    w("")
    if has_memory:
        d = m128.doc
        lr128 = m128.load_range()
        w("`MEMORY=128 bench-coldstart/peers.sh` and `bench-coldstart --memory 128`: every cold start runs "
          "in a fresh CPU-quota cgroup holding the CPU share Lambda gives a 128 MB function "
          f"({d.get('cpu_quota')} vCPU: {d.get('cpu_quota_us')} µs per {d.get('cpu_period_us')} µs period, "
          f"cgroup {d.get('cgroup')}; the share is proportional to memory, one vCPU at 1,769 MB). "
          "*init throttled* is the time the cgroup held the process back during init. Memory itself "
          "is not limited; Firecracker and Lambda's sandbox are not simulated."
          + (f" 1-min load {lr128[0]:.1f}–{lr128[1]:.1f} during the runs." if lr128 else ""))
        w("")
        bench_table(m128, md)
        wait_warning(m128, md)
        w("")
        w("rayo's size tiers at the same share:")
        w("")
        bench_table(tiers128, md)
        wait_warning(tiers128, md)
        w("")
        w("### At the 128 MB share, init left free")
        w("")
        if m128u:
            w("Lambda's published Init Durations do not grow at 128 MB (bench-coldstart/README.md, \"What "
              "Lambda does\", quotes them), so Lambda probably does not hold INIT to the share. "
              "`MEMORY=128 UNTHROTTLED_INIT=1 bench-coldstart/peers.sh` (`--unthrottled-init`) applies the "
              "quota only once the first `GET /next` arrives: init runs free, the invocations under the "
              "share. The table above is then the upper bound for init and this one the lower; Part 4 "
              "prices this one.")
            w("")
            bench_table(m128u, md)
            wait_warning(m128u, md)
            w("")
            w("rayo's size tiers, the same way:")
            w("")
            bench_table(tiers128u, md)
            wait_warning(tiers128u, md)
        else:
            w("Not measured: this bench-coldstart has no `--unthrottled-init`.")
    else:
        if memory_reason.startswith("failed"):
            w(f"**Not measured in this run:** the 128 MB runs {memory_reason} (they need root and a "
              "writable cgroup CPU controller). Part 4 uses the full-CPU figures instead.")
        else:
            w("**Not measured in this run:** `bench-coldstart --help` lists no `--memory` option on this "
              "commit, so the 128 MB table is absent. When bench-coldstart has it, `./report.sh` runs "
              "`MEMORY=128 bench-coldstart/peers.sh` and adds the table here by itself; Part 4 then uses "
              "those figures.")
    w("")
    names = [n for n in full.names if n not in full.failure]
    peer_runs = [b for b in (full, m128u, m128) if b]
    tier_runs = [b for b in (tiers_full, tiers128u, tiers128) if b]
    init_rows = [(n, [b.med(n, "init_ms") for b in peer_runs]) for n in names]
    init_rows += [(n + " (tiers run)", [b.med(n, "init_ms") for b in tier_runs])
                  for n in tiers_full.names if n.startswith("rayo") and n not in tiers_full.failure]
    with open(os.path.join(a.svg_dir, "part2-init.svg"), "w") as f:
        f.write(svg.hbars("Cold start: init, spawn to first GET /next, median ms",
                          [b.label for b in peer_runs], init_rows,
                          lambda x: sig(x, 2) + " ms", note=machine["date_utc"]))
    def rss_bytes(b, n):
        v = b.med(n, "peak_rss_kib")
        return None if v is None else v * 1024

    rss_rows = [(n, [rss_bytes(full, n)]) for n in names]
    rss_rows += [(n + " (tiers run)", [rss_bytes(tiers_full, n)]) for n in tiers_full.names
                 if n.startswith("rayo") and n not in tiers_full.failure]
    with open(os.path.join(a.svg_dir, "part2-rss.svg"), "w") as f:
        f.write(svg.hbars("Peak RSS (VmHWM), median", ["full CPU"], rss_rows,
                          si_bytes, note="kB = 1000 bytes · " + machine["date_utc"]))
    w(f"![init]({svg_rel}/part2-init.svg)")
    w("")
    w(f"![peak RSS]({svg_rel}/part2-rss.svg)")
    w("")

    # ---- Part 3 ----
    w("## Part 3: size")
    w("")
    w("rayo: `./build.sh --check-all-tiers --no-run` (every tier, both architectures, static musl, "
      "release-ultra; zips from `scripts/lambda-zip.py`, as deployed). Sizes read from "
      "`target/lambda/tiers/TIER/ARCH/bootstrap.zip.info`.")
    w("")
    budgets = {}
    try:
        with open(f"{raw}/build-sizes.txt") as f:
            for line in f:
                m = re.match(r"^(stable|tiny|tiniest)\s+(x86_64|arm64)\s+[\d,]+\s+[\d,]+\s+([\d,]+)\s+(PASS|FAIL)", line)
                if m:
                    budgets[(m.group(1), m.group(2))] = (int(m.group(3).replace(",", "")), m.group(4))
    except FileNotFoundError:
        pass
    w("| tier | arch | binary (bytes) | zip (bytes) | binary | budget (bytes) |")
    w("|---|---|---|---|---|---|")
    size_rows = []
    tier_sizes = {}
    for tier in ["stable", "tiny", "tiniest"]:
        for arch in ["x86_64", "arm64"]:
            info = {}
            path = f"{ROOT}/target/lambda/tiers/{tier}/{arch}/bootstrap.zip.info"
            try:
                with open(path) as f:
                    for line in f:
                        k, _, val = line.strip().partition("=")
                        info[k] = val
            except FileNotFoundError:
                w(f"| {tier} | {arch} | missing | missing | | |")
                continue
            b, z = int(info["binary_bytes"]), int(info["zip_bytes"])
            tier_sizes[(tier, arch)] = (b, z)
            bud = budgets.get((tier, arch))
            bud_txt = f"{nbytes(bud[0])} {bud[1]}" if bud else "–"
            w(f"| {tier} | {arch} | {nbytes(b)} | {nbytes(z)} | {kib(b)} | {bud_txt} |")
            size_rows.append((f"rayo {tier} {arch}", [b, z]))
    w("")
    w("Peers (x86_64 only; built or installed by `peers.sh`; zip = a deflate-9 zip made by "
      "`scripts/report/peer_sizes.py`):")
    w("")
    w("| peer | what is counted | unpacked (bytes) | zip (bytes) | unpacked |")
    w("|---|---|---|---|---|")
    what = {
        "lambda_runtime": "the static musl echo binary (release-ultra)",
        "awslambdaric": "the awslambdaric package + handler (not the Python interpreter)",
        "awslambdaric+numpy": "awslambdaric + numpy + numpy.libs + handler (not the interpreter)",
    }
    for name, s in peer_sizes.items():
        w(f"| {name} | {what.get(name, ', '.join(s['paths']))} | {nbytes(s['bytes'])} | "
          f"{nbytes(s['zip_bytes'])} | {kib(s['bytes'])} |")
        size_rows.append((name, [s["bytes"], s["zip_bytes"]]))
    w("")
    w("On Lambda's managed Python runtime the interpreter and awslambdaric come with the runtime, so a "
      "Python function's zip holds the handler and numpy; the Python rows here run awslambdaric as a "
      "package on this machine's interpreter, which is what the cold-start rows measured.")
    w("")
    with open(os.path.join(a.svg_dir, "part3-size.svg"), "w") as f:
        f.write(svg.hbars("Size: binary (or unpacked packages) and zip", ["unpacked", "zip"], size_rows,
                          si_bytes, note="kB = 1000 bytes · " + machine["date_utc"]))
    w(f"![sizes]({svg_rel}/part3-size.svg)")
    w("")

    # ---- Part 4 ----
    src = m128u or m128 or full
    src_t = tiers128u or tiers128 or tiers_full
    w("## Part 4: cost per million invocations")
    w("")
    w("**Inputs** (named inputs, not measurements; override with `REPORT_MEMORY_MB`, `REPORT_COLD_RATE`):")
    w("")
    w(f"- memory size: **{MEMORY_MB} MB** ({MEMORY_MB / 1024:g} GB)")
    w(f"- cold-start rate: **{COLD_RATE:.2%}** of invocations (AWS's INIT-billing post says cold starts "
      "typically occur in under 1% of invocations)")
    w(f"- invocations: **{INVOCATIONS:,}**")
    w("")
    w(f"**Prices** (`scripts/report/prices.py`, checked {prices.CHECKED}; {prices.REGION}; source "
      f"{prices.SOURCE}; free tier not applied):")
    w("")
    w("| arch | per GB-second | per 1M requests |")
    w("|---|---|---|")
    for arch, pr in prices.PRICES.items():
        w(f"| {arch} | {price(pr['gb_second'])} | ${pr['request_per_million']:.2f} |")
    w("")
    w(f"INIT is billed: since {prices.INIT_BILLED_SINCE} AWS bills the INIT phase of every on-demand "
      f"function ({prices.INIT_BILLING_SOURCE}); custom runtimes such as rayo's and lambda_runtime's "
      "(`provided.al2023`) were billed for it before that too. Duration is billed in whole milliseconds, "
      "rounded up.")
    w("")
    w("**Measured figures used:** medians from Part 2 "
      + {"128 MB, init free": "(the 128 MB share with init left free, the closest to Lambda's published behaviour): ",
         "128 MB, init throttled": "(the 128 MB share tables, init throttled: an upper bound for init): ",
         "full CPU": "(the full-CPU tables, as no 128 MB figures exist in this run): "}[src.label] +
      "init, the first invocation, and warm p50. These are **local** figures: on Lambda, INIT also "
      "includes Lambda's own work around the process (the Firecracker microVM, the sandbox, fetching the "
      "code), a floor that no local run reproduces and that bench-coldstart/README.md discusses with "
      "Lambda's published Init Durations. Treat the table as the model's arithmetic on this machine's "
      "figures, not as a bill.")
    w("")
    w("Model (`scripts/report/costmodel.py`): cold = invocations × rate; cold billed ms = ceil(init + first invoke); "
      "warm billed ms = ceil(warm p50), at least 1; GB-s = (cold × cold ms + warm × warm ms) / 1000 × MB / 1024; "
      "cost = GB-s × price + requests × price.")
    w("")
    cost_rows = []
    chart = []
    w("| runtime | init ms | first invoke ms | warm p50 ms | billed ms cold / warm | GB-s | x86_64 duration | x86_64 total | arm64 duration | arm64 total |")
    w("|---|---|---|---|---|---|---|---|---|---|")
    picks = [(n, src) for n in src.names if n != "baseline" and n not in src.failure]
    picks += [(n, src_t) for n in src_t.names if n in ("rayo-tiny", "rayo-tiniest") and n not in src_t.failure]
    arith = []
    for name, b in picks:
        init, first, warm = b.med(name, "init_ms"), b.med(name, "first_invoke_ms"), b.med(name, "warm_p50_ms")
        if init is None or first is None or warm is None:
            continue
        c = {arch: costmodel.cost(init, first, warm, MEMORY_MB, COLD_RATE, INVOCATIONS, pr)
             for arch, pr in prices.PRICES.items()}
        x, r = c["x86_64"], c["arm64"]
        w(f"| {name} | {sig(init)} | {sig(first)} | {sig(warm)} | {x['cold_billed_ms']} / {x['warm_billed_ms']} "
          f"| {x['gb_s']:,.2f} | {usd(x['duration_usd'])} | {usd(x['total_usd'])} | {usd(r['duration_usd'])} "
          f"| {usd(r['total_usd'])} |")
        arith.append(
            f"- **{name}** (x86_64): {x['cold']:,.0f} × {x['cold_billed_ms']} ms + {x['warm']:,.0f} × "
            f"{x['warm_billed_ms']} ms = {x['total_billed_ms']:,.0f} ms = {x['total_billed_ms'] / 1000:,.1f} s; "
            f"× {MEMORY_MB / 1024:g} GB = {x['gb_s']:,.2f} GB-s; × {price(prices.PRICES['x86_64']['gb_second'])} = "
            f"{usd(x['duration_usd'])}; + {INVOCATIONS:,} × $0.20/1M = {usd(x['request_usd'])}; "
            f"total **{usd(x['total_usd'])}** (arm64: {x['gb_s']:,.2f} GB-s × "
            f"{price(prices.PRICES['arm64']['gb_second'])} = {usd(r['duration_usd'])}, total {usd(r['total_usd'])})")
        cost_rows.append({"runtime": name, "table": b.label, "init_ms": init, "first_invoke_ms": first,
                          "warm_p50_ms": warm, "cost": c})
        chart.append((name, [x["duration_usd"], r["duration_usd"]]))
    w("")
    w("The arithmetic, row by row:")
    w("")
    md.extend(arith)
    w("")
    rates = [0.001, 0.01, 0.1, 1.0]
    w(f"The same model at other cold-start rates (x86_64 total per million, {MEMORY_MB} MB, same "
      "measured figures; 100% is every invocation starting a new environment):")
    w("")
    w("| runtime | " + " | ".join(f"{r:.1%} cold" for r in rates) + " |")
    w("|---|" + "---|" * len(rates))
    for row in cost_rows:
        cells = [usd(costmodel.cost(row["init_ms"], row["first_invoke_ms"], row["warm_p50_ms"], MEMORY_MB,
                                    r, INVOCATIONS, prices.PRICES["x86_64"])["total_usd"]) for r in rates]
        w(f"| {row['runtime']} | " + " | ".join(cells) + " |")
    w("")
    bounds = [(b, t) for b, t in ((full, tiers_full), (m128u, tiers128u), (m128, tiers128)) if b]
    if len(bounds) > 1:
        w(f"The same model ({COLD_RATE:.1%} cold, x86_64 total per million) on each Part 2 run, to show how "
          "much the CPU model moves it:")
        w("")
        w("| runtime | " + " | ".join(b.label for b, _ in bounds) + " |")
        w("|---|" + "---|" * len(bounds))
        for n in [r["runtime"] for r in cost_rows]:
            cells = []
            for pb, tb in bounds:
                b = pb if n in pb.names else tb
                i, f1, wm = b.med(n, "init_ms"), b.med(n, "first_invoke_ms"), b.med(n, "warm_p50_ms")
                cells.append("–" if None in (i, f1, wm) else usd(costmodel.cost(
                    i, f1, wm, MEMORY_MB, COLD_RATE, INVOCATIONS, prices.PRICES["x86_64"])["total_usd"]))
            w(f"| {n} | " + " | ".join(cells) + " |")
        w("")
    w("What it says: at these inputs the request charge ($0.20 per million) is most of every bill, and "
      "every runtime's warm invocation of an echo handler bills the 1 ms minimum; the runtimes differ in "
      "the cold invocations' billed milliseconds, i.e. their init times, which dominate the duration "
      "part as soon as init reaches tens of milliseconds (the Python rows). A cold invocation near a "
      "whole millisecond (the Rust rows, about 1 ms here) lands on either side of the rounding from run to "
      "run, so 1 ms differences between those rows are noise. The arm64 columns apply arm64 prices to "
      "figures measured on this x86_64 machine.")
    w("")
    with open(os.path.join(a.svg_dir, "part4-cost.svg"), "w") as f:
        f.write(svg.hbars(f"Duration cost per 1M invocations, {MEMORY_MB} MB, {COLD_RATE:.1%} cold (USD)",
                          ["x86_64", "arm64"], chart, lambda v: f"${v:.4f}", note="requests ($0.20) not included"))
    w(f"![cost]({svg_rel}/part4-cost.svg)")
    w("")
    with open(os.path.join(a.svg_dir, "cost.json"), "w") as f:
        json.dump({"inputs": {"memory_mb": MEMORY_MB, "cold_rate": COLD_RATE, "invocations": INVOCATIONS},
                   "prices": prices.PRICES, "prices_checked": prices.CHECKED, "rows": cost_rows}, f, indent=1)

    # ---- Part 5 ----
    key_embed = embed.part5(raw, w, svg, a.svg_dir, svg_rel, {"sig": sig, "usd": usd, "price": price},
                            COLD_RATE, machine["date_utc"])

    # ---- key figures, placed under the header ----
    def init_of(b, n):
        return None if b is None else b.med(n, "init_ms")

    for label, b in (("full CPU", full), ("128 MB share, init free", m128u),
                     ("128 MB share, init throttled", m128)):
        if b is None:
            continue
        parts = [f"{n} {sig(init_of(b, n))} ms (CPU {sig(b.med(n, 'init_cpu_ms') or 0)} ms)" for n in ("rayo-echo", "rayo", "lambda_runtime",
                                                          "awslambdaric", "awslambdaric+numpy")
                 if init_of(b, n) is not None]
        key.append(f"- **Cold start, {label}** (median wall-clock init, and init CPU, local emulator): " + ", ".join(parts) + ".")
    if not m128:
        key.append("- **128 MB share:** not measured in this run (see Part 2).")
    if ("stable", "x86_64") in tier_sizes and "lambda_runtime" in peer_sizes:
        st, ti = tier_sizes[("stable", "x86_64")], tier_sizes.get(("tiniest", "x86_64"))
        key.append(f"- **Size (x86_64):** rayo stable {nbytes(st[0])} B binary / {nbytes(st[1])} B zip"
                   + (f", tiniest {nbytes(ti[0])} B / {nbytes(ti[1])} B" if ti else "")
                   + f"; lambda_runtime echo {nbytes(peer_sizes['lambda_runtime']['bytes'])} B / "
                   f"{nbytes(peer_sizes['lambda_runtime']['zip_bytes'])} B.")
    if cost_rows:
        key.append(f"- **Cost model** ({MEMORY_MB} MB, {COLD_RATE:.1%} cold, x86_64, per million invocations, "
                   "$0.20 of each being the request charge): "
                   + ", ".join(f"{r['runtime']} {usd(r['cost']['x86_64']['total_usd'])}" for r in cost_rows) + ".")
    key += key_embed
    md[summary_at:summary_at] = ["## Key figures (this run)", ""] + key + [""]

    # ---- caveats ----
    w("## What this report does not show")
    w("")
    w("- Nothing here ran on AWS: init times are local (this VM, the local emulator), not Lambda's.")
    w("- Only x86_64 was timed; the arm64 binaries are sized, not run (Part 3), and arm64 costs use "
      "x86_64 timings.")
    w("- First-invoke and warm latencies are the emulator's round trip (event written to response read); "
      "its self-check (bench-coldstart/README.md) bounds the harness's own share at tens of µs, which "
      "changes no billed millisecond above.")
    w("- NumPy's `np.dot` may use more than one BLAS thread at large sizes; rayo's kernels use one.")
    w("- A busy shared machine: medians of interleaved samples, but absolute figures move between runs.")
    w("")
    w("## Reproduce")
    w("")
    w("`./report.sh` from the repository root (`--quick` for a few-minute iteration run, `--no-build` to "
      "reuse `target/lambda/tiers/`). It needs what `./build.sh` needs (`scripts/deps.sh`: rustup, the "
      "pinned toolchains, cargo-zigbuild), python3 with `venv`, network access to crates.io and PyPI "
      "(the `lambda_runtime` peer, `awslambdaric`, `numpy`, `threadpoolctl`), and root with a cgroup CPU "
      "controller for the 128 MB share (without it that table is left out, with the reason). Raw data "
      "of a run: `target/report/raw/` (bench-coldstart's JSON and Markdown, the timing samples), logs in "
      "`target/report/log/`; neither is committed. `python3 scripts/report/check.py` (run by `test.sh`) "
      "recomputes Part 4 from `docs/report/cost.json` and Part 5's costs from `docs/report/embed-cost.json`. "
      "Part 5 (`bench-coldstart/embed-peers.sh`) installs PyTorch (~6 GB) and takes about an hour; "
      "`--no-embed` leaves it out.")

    with open(a.out, "w") as f:
        f.write("\n".join(md) + "\n")
    print(f"generate.py: wrote {a.out} and {len(glob.glob(os.path.join(a.svg_dir, '*.svg')))} charts",
          file=sys.stderr)


if __name__ == "__main__":
    main()
