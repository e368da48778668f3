"""The embedding comparison's headline tables, from bench-coldstart's --json documents.

usage: summary.py --events EVENTS.json [--sizes SIZES.json] [--out SUMMARY.json]
                  LABEL=RESULTS.json ...            (prints Markdown on stdout)

Each RESULTS.json is one bench-coldstart run (one CPU setting: full, or a --memory share)
whose main event is the 16-token sentence and whose --warm-event phases are `long` (one
128-token sentence) and `batch32` (32 sentences of ~16 tokens), as embed-peers.sh runs it.
Per row and setting: medians and p90s over runs of
- cold start to first embedding: bench-coldstart's "to first response" (spawn to the last
  byte of the first response, the 16-token sentence);
- warm latency (each run's p50) for the 16-token sentence, the 128-token sentence, the batch;
- GFLOPS of the network's arithmetic on the real tokens of the batch over its wall time;
- peak RSS after the 128-token requests (VmHWM), and at the end (after the batch too);
- threads (/proc/PID/status) and CPU over wall during the invocations (more than 1.05 means
  more than one thread computed at once);
- CPU time per warm invocation of each event (bench-coldstart's `warm_cpu_ms`), the
  load-independent view of the same latencies;
and each figure's ratio to the first row (rayo when it ran), median of the run-by-run ratios.
EVENTS.json is events.py's (token counts); SIZES.json maps a row to {"bytes", "zip_bytes"}.
"""

import argparse
import json
import statistics
import sys

# all-MiniLM-L6-v2: 6 layers, hidden 384, FFN 1536.
LAYERS, D, F = 6, 384, 1536


def network_flops(n):
    """Multiply-adds x 2 of one sentence of n tokens: Q, K, V and output projections
    (4 n d^2), the FFN (2 n d f), scores and the weighted sum (2 n^2 d), per layer."""
    return LAYERS * 2 * (4 * n * D * D + 2 * n * D * F + 2 * n * n * D)


def percentile(v, q):
    """R-7 (linear) percentile, as bench-coldstart's stats."""
    v = sorted(v)
    if not v:
        return None
    h = (len(v) - 1) * q / 100
    lo = int(h)
    return v[lo] + (h - lo) * (v[min(lo + 1, len(v) - 1)] - v[lo])


def phase(sample, label, key):
    for p in sample.get("phases", []):
        if p["label"] == label:
            return p.get(key)
    return None


def cpu_over_wall(s):
    """CPU spent after init over the wall time of every invocation of the run."""
    if s.get("init_cpu_ms") is None or s.get("first_invoke_ms") is None:
        return None
    wall = s["first_invoke_ms"] + sum(s["warm_ms"]) + sum(sum(p["warm_ms"]) for p in s.get("phases", []))
    return (s["cpu_ms"] - s["init_cpu_ms"]) / wall if wall > 0 else None


# (key, how to read it from one sample); the figures every table reports.
def metrics(events):
    batch_flops = sum(network_flops(n) for n in events["batch32"]["tokens"])
    return [
        ("cold_ms", lambda s: s.get("to_first_response_ms")),
        ("init_ms", lambda s: s.get("init_ms")),
        ("init_cpu_ms", lambda s: s.get("init_cpu_ms")),
        ("warm16_ms", lambda s: s.get("warm_p50_ms")),
        ("warm128_ms", lambda s: phase(s, "long", "warm_p50_ms")),
        ("batch32_ms", lambda s: phase(s, "batch32", "warm_p50_ms")),
        ("batch32_gflops", lambda s: None if not phase(s, "batch32", "warm_p50_ms") else
            batch_flops / (phase(s, "batch32", "warm_p50_ms") * 1e6)),
        ("cpu16_ms", lambda s: s.get("warm_cpu_ms")),
        ("cpu128_ms", lambda s: phase(s, "long", "cpu_ms")),
        ("cpu_batch32_ms", lambda s: phase(s, "batch32", "cpu_ms")),
        ("rss128_kib", lambda s: phase(s, "long", "peak_rss_kib")),
        ("rss_kib", lambda s: s.get("peak_rss_kib")),
        ("threads", lambda s: s.get("threads")),
        ("cpu_over_wall", cpu_over_wall),
    ]


def summarize(doc, events):
    boots = [b for b in doc["bootstraps"]]
    picks = metrics(events)
    base = boots[0] if boots else None
    rows = []
    for b in boots:
        row = {"name": b["name"], "command": b["command"], "size_bytes": b.get("size_bytes"),
               "failure": b.get("failure"), "runs": len(b["samples"]), "figures": {}}
        for key, get in picks:
            vals = [get(s) for s in b["samples"]]
            got = [v for v in vals if v is not None]
            if not got:
                continue
            fig = {"median": statistics.median(got), "p90": percentile(got, 90),
                   "min": min(got), "max": max(got), "n": len(got)}
            # Run by run against the first row (same run index: they ran back to back).
            if base is not None and base is not b:
                by_run = {s["run"]: get(s) for s in base["samples"]}
                ratios = [v / by_run[s["run"]] for s, v in zip(b["samples"], vals)
                          if v is not None and by_run.get(s["run"])]
                if ratios:
                    fig["ratio_to_first"] = statistics.median(ratios)
            row["figures"][key] = fig
        rows.append(row)
    m = doc.get("machine", {})
    return {"memory_mb": doc.get("memory_mb"), "cpu_quota": doc.get("cpu_quota"),
            "runs": doc.get("runs"), "invokes": doc.get("invokes"), "date": doc.get("date"),
            "load_min": m.get("load_min"), "load_max": m.get("load_max"),
            "base": base["name"] if base else None, "rows": rows}


def fmt_ms(x):
    if x is None:
        return "–"
    return f"{x:.2f}" if x < 10 else f"{x:.1f}" if x < 100 else f"{x:.0f}"


def fmt_bytes(n):
    if n is None:
        return "–"
    if n >= 1e9:
        return f"{n / 1e9:.2f} GB"
    return f"{n / 1e6:.1f} MB"


def fmt_kib(k):
    return "–" if k is None else f"{k / 1024:.0f} MiB" if k >= 10240 else f"{k / 1024:.1f} MiB"


def cell(row, key, f=fmt_ms, p90=True):
    fig = row["figures"].get(key)
    if fig is None:
        return "–"
    text = f(fig["median"])
    if p90:
        text += f" ({f(fig['p90'])})"
    return text


def ratio(row, key):
    fig = row["figures"].get(key)
    r = None if fig is None else fig.get("ratio_to_first")
    return "–" if r is None else f"{r:.2f}×"


def markdown(label, t, sizes):
    out = []
    w = out.append
    share = "full CPU (2 vCPUs, one thread used)" if t["memory_mb"] is None else \
        f"--memory {t['memory_mb']}: {t['cpu_quota']:.3f} of a CPU"
    load = (f"1-min load {t['load_min']:.2f}–{t['load_max']:.2f}"
            if isinstance(t.get("load_min"), (int, float)) else "load not recorded")
    w(f"### {label}: {share}; {t['runs']} runs × {t['invokes']} warm invocations per event; {load}; {t['date']}")
    w("")
    base = t["base"]
    w(f"Median (p90) over runs; ratios are to **{base}**, median of the run-by-run ratios "
      f"(above 1: slower or bigger than {base}).")
    w("")
    w("| row | package | zip | cold start to 1st embedding ms | vs " + base + " | warm 16 tok ms | vs | "
      "warm 128 tok ms | vs | batch 32 ms | vs | batch GFLOPS | peak RSS 128 tok | peak RSS all | threads | CPU/wall |")
    w("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in t["rows"]:
        if r["failure"] and not r["figures"]:
            w(f"| {r['name']} | failed: {r['failure']} |" + " |" * 14)
            continue
        z = (sizes.get(r["name"]) or {}).get("zip_bytes")
        w(f"| {r['name']} | {fmt_bytes(r['size_bytes'])} | {fmt_bytes(z)} | {cell(r, 'cold_ms')} | {ratio(r, 'cold_ms')} "
          f"| {cell(r, 'warm16_ms')} | {ratio(r, 'warm16_ms')} | {cell(r, 'warm128_ms')} | {ratio(r, 'warm128_ms')} "
          f"| {cell(r, 'batch32_ms')} | {ratio(r, 'batch32_ms')} | {cell(r, 'batch32_gflops', lambda x: f'{x:.1f}', False)} "
          f"| {cell(r, 'rss128_kib', fmt_kib, False)} | {cell(r, 'rss_kib', fmt_kib, False)} "
          f"| {cell(r, 'threads', lambda x: f'{x:.0f}', False)} | {cell(r, 'cpu_over_wall', lambda x: f'{x:.2f}', False)} |")
    failed = [r for r in t["rows"] if r["failure"]]
    for r in failed:
        w("")
        w(f"**{r['name']} failed** after {r['runs']} counted runs: {r['failure']}")
    w("")
    w("CPU time (all threads, /proc/PID/task/*/schedstat) per invocation: what each figure above cost "
      "the process, steadier than wall-clock time when the machine is busy.")
    w("")
    w(f"| row | init ms | init CPU ms | CPU per 16 tok ms | vs {base} | CPU per 128 tok ms | vs {base} "
      f"| CPU per batch ms | vs {base} |")
    w("|---|---|---|---|---|---|---|---|---|")
    for r in t["rows"]:
        w(f"| {r['name']} | {cell(r, 'init_ms')} | {cell(r, 'init_cpu_ms')} | {cell(r, 'cpu16_ms')} "
          f"| {ratio(r, 'cpu16_ms')} | {cell(r, 'cpu128_ms')} | {ratio(r, 'cpu128_ms')} "
          f"| {cell(r, 'cpu_batch32_ms')} | {ratio(r, 'cpu_batch32_ms')} |")
    w("")
    return "\n".join(out)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--events", required=True)
    p.add_argument("--sizes")
    p.add_argument("--out")
    p.add_argument("results", nargs="+", metavar="LABEL=RESULTS.json")
    a = p.parse_args()
    events = json.load(open(a.events))
    sizes = json.load(open(a.sizes)) if a.sizes else {}
    tables = {}
    for arg in a.results:
        label, _, path = arg.partition("=")
        if not path:
            sys.exit(f"summary: expected LABEL=RESULTS.json, got {arg!r}")
        try:
            with open(path) as f:
                doc = json.load(f)
        except (OSError, ValueError) as e:
            sys.exit(f"summary: {path}: {e}")
        tables[label] = summarize(doc, events)
        print(markdown(label, tables[label], sizes))
    if a.out:
        with open(a.out, "w") as f:
            json.dump({"events": events, "sizes": sizes, "tables": tables}, f, indent=1)


if __name__ == "__main__":
    main()
