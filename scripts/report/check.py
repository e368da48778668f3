"""Checks the report's cost arithmetic (fast; run by test.sh).

1. The cost model against figures worked out by hand.
2. docs/report/cost.json (written with docs/REPORT.md): every row recomputed from its
   inputs and measured figures must give the stored results, and every total must be printed
   in docs/REPORT.md as the generator formats it.
3. Part 5 (embeddings), the same way from docs/report/embed-cost.json: each row's request
   count follows from its request shape, it is priced only where its peak RSS fits, and its
   totals are recomputed and found in docs/REPORT.md. A report without Part 5's costs must
   say Part 5 was not measured.
4. Part 5 rendered from a made-up summary (embed.part5 into a temporary folder): the check of
   step 3 must pass on it, and must fail once a stored total or a peak RSS is changed.

usage: python3 scripts/report/check.py [ROOT]   exit 0 ok, 1 a check failed
"""

import json
import math
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import costmodel  # noqa: E402
import embed  # noqa: E402
import prices  # noqa: E402

failures = []


def expect(what, got, want, tol=1e-12):
    if not math.isclose(got, want, rel_tol=tol, abs_tol=tol):
        failures.append(f"{what}: got {got!r}, want {want!r}")


def by_hand():
    x86 = {"gb_second": 0.0000166667, "request_per_million": 0.20}
    # All warm, 1 ms each, 128 MB: 1,000,000 ms = 1,000 s x 0.125 GB = 125 GB-s.
    c = costmodel.cost(0.4, 0.05, 0.04, 128, 0.0, 1_000_000, x86)
    expect("all-warm GB-s", c["gb_s"], 125.0)
    expect("all-warm duration $", c["duration_usd"], 125 * 0.0000166667)
    expect("all-warm total $", c["total_usd"], 125 * 0.0000166667 + 0.20)
    # 1% cold with a 279.2 ms init + 0.1 ms first invoke: 10,000 x 280 ms + 990,000 x 1 ms
    # = 3,790,000 ms = 3,790 s x 0.125 GB = 473.75 GB-s.
    c = costmodel.cost(279.2, 0.1, 0.09, 128, 0.01, 1_000_000, x86)
    expect("1%-cold cold billed ms", c["cold_billed_ms"], 280)
    expect("1%-cold GB-s", c["gb_s"], 473.75)
    # Billing rounds up to whole ms; an exact 2.0 (even as a float sum) stays 2.
    expect("ceil 1.2", costmodel.billed_ms(1.2), 2)
    expect("ceil 0.01", costmodel.billed_ms(0.01), 1)
    expect("exact 2.0", costmodel.billed_ms(1.9 + 0.1), 2)
    # 1 GB for 1 s on arm64 is exactly the arm64 GB-s price, plus one request.
    c = costmodel.cost(0, 0, 1000, 1024, 0.0, 1, prices.PRICES["arm64"])
    expect("arm64 1 GB-s", c["duration_usd"], prices.PRICES["arm64"]["gb_second"])
    # Part 5: a million embeddings in batches of 32 at 1,769 MB, never cold, 100 ms each:
    # 31,250 x 100 ms = 3,125 s x 1769/1024 GB = 5,398.5595703125 GB-s.
    row = {"memory_mb": 1769, "invocations": 1_000_000 // 32, "cold_ms": 250.0, "warm_ms": 100.0}
    c = embed.priced(row, 0.0)["x86_64"]
    expect("embed batch GB-s", c["gb_s"], 5398.5595703125)
    expect("embed batch requests $", c["request_usd"], 31_250 / 1e6 * 0.20)
    # 1% cold, one sentence each: 10,000 x ceil(23.4) + 990,000 x ceil(4.2) = 240,000 + 4,950,000
    # = 5,190,000 ms = 5,190 s x 0.125 GB = 648.75 GB-s.
    row = {"memory_mb": 128, "invocations": 1_000_000, "cold_ms": 23.4, "warm_ms": 4.2}
    expect("embed sentence GB-s", embed.priced(row, 0.01)["arm64"]["gb_s"], 648.75)
    for bad in (-0.1, 1.5):
        try:
            costmodel.cost(1, 1, 1, 128, bad, 1, x86)
            failures.append(f"cold_rate {bad} was accepted")
        except ValueError:
            pass


def report(root):
    path = os.path.join(root, "docs", "report", "cost.json")
    md_path = os.path.join(root, "docs", "REPORT.md")
    if not os.path.exists(path):
        failures.append(f"{path} is missing: run ./report.sh")
        return
    with open(path) as f:
        doc = json.load(f)
    with open(md_path) as f:
        md = f.read()
    inp = doc["inputs"]
    if not doc["rows"]:
        failures.append("cost.json has no rows")
    for row in doc["rows"]:
        for arch, stored in row["cost"].items():
            c = costmodel.cost(row["init_ms"], row["first_invoke_ms"], row["warm_p50_ms"],
                               inp["memory_mb"], inp["cold_rate"], inp["invocations"],
                               doc["prices"][arch])
            for k in ("gb_s", "duration_usd", "total_usd"):
                expect(f"{row['runtime']} {arch} {k}", stored[k], c[k], tol=1e-9)
            total = f"${c['total_usd']:.4f}" if c["total_usd"] >= 0.01 else f"${c['total_usd']:.6f}"
            if total not in md:
                failures.append(f"{row['runtime']} {arch}: total {total} is not in docs/REPORT.md")
        if doc["prices"] != prices.PRICES:
            failures.append("cost.json's prices differ from scripts/report/prices.py: regenerate")


def report_embed(root):
    path = os.path.join(root, "docs", "report", "embed-cost.json")
    with open(os.path.join(root, "docs", "REPORT.md")) as f:
        md = f.read()
    if not os.path.exists(path):
        if "## Part 5" in md and "**Not measured in this run:**" not in md.split("## Part 5", 1)[1]:
            failures.append(f"docs/REPORT.md has a measured Part 5 but {path} is missing: regenerate")
        return
    with open(path) as f:
        doc = json.load(f)
    if doc["prices"] != prices.PRICES:
        failures.append("embed-cost.json's prices differ from scripts/report/prices.py: regenerate")
    priced = iter(doc["priced"])
    for row in doc["rows"]:
        what = f"embed {row['runtime']} {row['memory_mb']} MB"
        fits = row["peak_rss_bytes"] is None or row["peak_rss_bytes"] <= row["memory_mb"] * 1e6
        if row["fits"] != fits:
            failures.append(f"{what}: fits={row['fits']} but peak RSS is {row['peak_rss_bytes']} bytes")
        if not row["fits"]:
            continue
        want_n = 1_000_000 if row["shape"].startswith("one ") else 1_000_000 // doc["batch"]
        if row["invocations"] != want_n:
            failures.append(f"{what} {row['shape']}: {row['invocations']} invocations, want {want_n}")
        stored = next(priced, None)
        if stored is None or stored["runtime"] != row["runtime"] or stored["shape"] != row["shape"]:
            failures.append(f"{what} {row['shape']}: no priced entry in order")
            continue
        for arch, c in embed.priced(row, doc["cold_rate"]).items():
            for k in ("gb_s", "duration_usd", "total_usd"):
                expect(f"{what} {row['shape']} {arch} {k}", stored["cost"][arch][k], c[k], tol=1e-9)
            total = f"${c['total_usd']:.4f}" if c["total_usd"] >= 0.01 else f"${c['total_usd']:.6f}"
            if total not in md:
                failures.append(f"{what} {row['shape']} {arch}: total {total} is not in docs/REPORT.md")


def fake_row(name, cold, init, warm16, batch, rss_mib, ratio=None):
    """One row of summary.py's summary.json with the figures Part 5 reads."""
    figs = {"cold_ms": cold, "init_ms": init, "init_cpu_ms": init / 2, "warm16_ms": warm16,
            "warm128_ms": warm16 * 6, "batch32_ms": batch, "batch32_gflops": 12.0,
            "cpu16_ms": warm16, "cpu128_ms": warm16 * 6, "cpu_batch32_ms": batch,
            "rss128_kib": rss_mib * 1024, "rss_kib": rss_mib * 1024 + 512, "threads": 1,
            "cpu_over_wall": 1.0}
    figures = {}
    for k, v in figs.items():
        figures[k] = {"median": v, "p90": v * 1.1, "min": v, "max": v * 1.2, "n": 3}
        if ratio is not None:
            figures[k]["ratio_to_first"] = ratio
    return {"name": name, "command": name, "size_bytes": 50_000_000, "failure": None, "runs": 3,
            "figures": figures}


def part5_selftest():
    """Renders Part 5 from a made-up summary and checks that report_embed accepts it and
    rejects it once tampered with (step 4 of the docstring)."""
    import generate  # the report's own formatting helpers; main() only runs as a script
    import svg

    def table(mb, quota, rows):
        return {"memory_mb": mb, "cpu_quota": quota, "runs": 3, "invokes": 3, "date": "2026-12-03",
                "load_min": 0.4, "load_max": 1.1, "base": rows[0]["name"], "rows": rows}

    summary = {
        "events": {"short": {"sentences": 1, "tokens": [16]}, "long": {"sentences": 1, "tokens": [128]},
                   "batch32": {"sentences": 32, "tokens": [16] * 32}},
        "sizes": {"rayo": {"bytes": 50_000_000, "zip_bytes": 40_000_000}},
        "tables": {
            "full": table(None, None, [fake_row("rayo", 23.4, 20.0, 4.2, 120.0, 80),
                                       fake_row("peer", 480.0, 300.0, 14.5, 420.0, 300, 3.0)]),
            "1769 MB": table(1769, 1.0, [fake_row("rayo", 24.0, 20.5, 4.3, 121.0, 80),
                                         fake_row("peer", 500.0, 310.0, 15.0, 430.0, 300, 3.1)]),
            # The peer does not fit in 128 MB: it must be listed, not priced.
            "128 MB": table(128, 0.072, [fake_row("rayo", 330.0, 280.0, 58.0, 1650.0, 80),
                                         fake_row("peer", 6600.0, 4200.0, 200.0, 5800.0, 300, 20.0)]),
        },
    }
    fmt = {"sig": generate.sig, "usd": generate.usd, "price": generate.price}
    with tempfile.TemporaryDirectory() as root:
        raw, docs = os.path.join(root, "raw"), os.path.join(root, "docs", "report")
        os.makedirs(os.path.join(raw, "embed"))
        os.makedirs(docs)
        with open(os.path.join(raw, "embed", "summary.json"), "w") as f:
            json.dump(summary, f)

        def render(state):
            with open(os.path.join(raw, "embed-state"), "w") as f:
                f.write(state + "\n")
            lines = []
            key = embed.part5(raw, lines.append, svg, docs, "report", fmt, 0.01, "2026-12-03")
            with open(os.path.join(root, "docs", "REPORT.md"), "w") as f:
                f.write("\n".join(lines) + "\n")
            return "\n".join(lines), key

        def new_failures():
            before = len(failures)
            report_embed(root)
            found = failures[before:]
            del failures[before:]
            return found

        md, key = render("ok")
        cost_path = os.path.join(docs, "embed-cost.json")
        with open(cost_path) as f:
            doc = json.load(f)
        shapes = [(r["runtime"], r["memory_mb"], r.get("shape")) for r in doc["rows"]]
        if ("peer", 128, None) not in shapes or any(p["runtime"] == "peer" and p["memory_mb"] == 128
                                                    for p in doc["priced"]):
            failures.append(f"part 5 self-test: the peer at 128 MB must be listed unpriced: {shapes}")
        if len(doc["priced"]) != 6:
            failures.append(f"part 5 self-test: 6 priced rows expected, got {len(doc['priced'])}")
        # rayo at 1,769 MB, one sentence each, 1% cold: 10,000 x 24 ms + 990,000 x 5 ms =
        # 5,190,000 ms = 5,190 s x 1769/1024 GB = 8,965.93 GB-s, x $0.0000166667 = $0.149432,
        # + $0.20 of requests = $0.3494.
        line = "- **rayo**, 1769 MB, one 16-token sentence per invocation: 10,000 × 24 ms + 990,000 × 5 ms"
        if line not in md or "= 5,190,000 ms = 5,190.00 s; × 1.72754 GB = 8,965.93 GB-s" not in md \
                or "total **$0.3494**" not in md:
            failures.append("part 5 self-test: rayo's written-out arithmetic at 1,769 MB is not as worked out by hand")
        if not any("rayo 23.4 ms" in k and "peer 480 ms" in k for k in key):
            failures.append(f"part 5 self-test: key figures {key}")
        for name in ("embed-cold.svg", "embed-warm.svg", "embed-rss.svg", "embed-size.svg"):
            if not os.path.exists(os.path.join(docs, name)):
                failures.append(f"part 5 self-test: {name} was not written")
        found = new_failures()
        if found:
            failures.extend(f"part 5 self-test, as rendered: {f}" for f in found)
        # A stored total changed, then a peak RSS that no longer fits: each must be caught.
        for tamper, what in ((lambda d: d["priced"][0]["cost"]["x86_64"].update(total_usd=1.0), "a total"),
                             (lambda d: d["rows"][0].update(peak_rss_bytes=2e9), "a peak RSS")):
            with open(cost_path, "w") as f:
                bad = json.loads(json.dumps(doc))
                tamper(bad)
                json.dump(bad, f)
            if not new_failures():
                failures.append(f"part 5 self-test: changing {what} in embed-cost.json went unnoticed")
        # Skipped: no costs, a "not measured" note, and the check is content with that.
        md, key = render("skipped")
        if os.path.exists(cost_path) or "**Not measured in this run:** `./report.sh --no-embed`" not in md:
            failures.append("part 5 self-test: --no-embed must leave a note and no embed-cost.json")
        found = new_failures()
        if found:
            failures.extend(f"part 5 self-test, skipped: {f}" for f in found)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    by_hand()
    part5_selftest()
    report(root)
    report_embed(root)
    if failures:
        for f in failures:
            print(f"report check: FAIL: {f}")
        sys.exit(1)
    print("report check: cost model, docs/report/cost.json and embed-cost.json agree with the arithmetic")


if __name__ == "__main__":
    main()
