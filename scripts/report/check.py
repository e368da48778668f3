"""Checks the report's cost arithmetic (fast; run by test.sh).

1. The cost model against figures worked out by hand.
2. docs/report/cost.json (written with docs/REPORT.md): every row recomputed from its
   inputs and measured figures must give the stored results, and every total must be printed
   in docs/REPORT.md as the generator formats it.

usage: python3 scripts/report/check.py [ROOT]   exit 0 ok, 1 a check failed
"""

import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import costmodel  # noqa: E402
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


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    by_hand()
    report(root)
    if failures:
        for f in failures:
            print(f"report check: FAIL: {f}")
        sys.exit(1)
    print("report check: cost model and docs/report/cost.json agree with the arithmetic")


if __name__ == "__main__":
    main()
