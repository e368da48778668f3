"""Cheap checks of the embedding comparison's own tools (run by test.sh; no third-party package,
no model, no peer): verify.py's agreement checks and summary.py's arithmetic.

usage: python3 bench-coldstart/peers/embed/test_tools.py      exit 0 ok, 1 a check failed
"""

import json
import math
import os
import random
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import summary  # noqa: E402

failures = []


def check(what, ok):
    if not ok:
        failures.append(what)


def unit(v):
    n = math.sqrt(sum(x * x for x in v))
    return [x / n for x in v]


def verify(tmp, event, answers):
    """Runs verify.py on answers {name: response dict}; (exit code, stdout + stderr)."""
    ev = os.path.join(tmp, "event.json")
    with open(ev, "w") as f:
        json.dump({"inputs": event}, f)
    args = [sys.executable, os.path.join(HERE, "verify.py"), ev]
    for name, answer in answers.items():
        p = os.path.join(tmp, f"{name}.json")
        with open(p, "w") as f:
            f.write("init: 1 ms (emulator chatter is not on stdout, but a last line is what counts)\n"
                    + json.dumps(answer) + "\n")
        args.append(f"{name}={p}")
    r = subprocess.run(args, capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr


def test_verify():
    rng = random.Random(7)
    event = ["a", "b", "c"]
    base = [unit([rng.gauss(0, 1) for _ in range(384)]) for _ in event]
    # float32-sized noise: agrees.
    near = [unit([x + rng.gauss(0, 1e-7) for x in v]) for v in base]
    ok = {"model": "m", "dims": 384, "embeddings": base}
    code, out = verify(TMP, event, {"a": ok, "b": {**ok, "embeddings": near}})
    check(f"float32 noise must agree: {out}", code == 0 and "| a vs b |" in out)
    # One sentence pooled differently (say, the padding included): cosine well under 0.9999.
    off = [v[:] for v in base]
    off[1] = unit([x + 0.02 * rng.gauss(0, 1) for x in off[1]])
    code, out = verify(TMP, event, {"a": ok, "b": {**ok, "embeddings": off}})
    check(f"a different sentence 1 must fail: {out}", code == 1 and "on sentence 1" in out)
    # Unnormalised vectors, a missing vector, the wrong dims.
    code, out = verify(TMP, event, {"a": {**ok, "embeddings": [[2 * x for x in v] for v in base]}})
    check(f"norm 2 must fail: {out}", code == 1 and "norm" in out)
    code, out = verify(TMP, event, {"a": {**ok, "embeddings": base[:2]}})
    check(f"2 vectors for 3 inputs must fail: {out}", code == 1 and "3 vectors" in out)
    code, out = verify(TMP, event, {"a": {**ok, "dims": 768}})
    check(f"dims 768 must fail: {out}", code == 1)
    # The model card's similarities are checked when its sentences lead the event.
    card = ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."]
    code, out = verify(TMP, card, {"a": ok})
    check(f"random vectors cannot match the model card: {out}", code == 1 and "model card" in out)


def test_flops():
    # 128 tokens: 6 x (8 n d^2 + 4 n d f + 4 n^2 d) = 2,868,903,936, DESIGN.md's "~2.9 GFLOP".
    check("128-token FLOPs", summary.network_flops(128) == 2_868_903_936)
    check("FLOPs grow faster than linearly", summary.network_flops(32) * 4 < summary.network_flops(128))


def sample(run, cold, warm16, long_p50, batch_p50, rss, threads=1, cpu=None):
    init = cold - warm16
    return {"run": run, "init_ms": init, "first_invoke_ms": warm16, "to_first_response_ms": cold,
            "warm_ms": [warm16, warm16], "warm_p50_ms": warm16, "peak_rss_kib": rss + 10,
            "threads": threads, "init_cpu_ms": init / 2,
            "cpu_ms": cpu if cpu is not None else init / 2 + warm16 * 3 + long_p50 * 2 + batch_p50 * 2,
            "phases": [{"label": "long", "warm_ms": [long_p50] * 2, "warm_p50_ms": long_p50, "peak_rss_kib": rss},
                       {"label": "batch32", "warm_ms": [batch_p50] * 2, "warm_p50_ms": batch_p50,
                        "peak_rss_kib": rss + 10}]}


def test_summary():
    events = {"short": {"tokens": [16]}, "long": {"tokens": [128]}, "batch32": {"tokens": [16] * 32}}
    doc = {"memory_mb": None, "runs": 3, "invokes": 2, "date": "2026-12-03",
           "machine": {"load_min": 0.5, "load_max": 1.0},
           "bootstraps": [
               {"name": "rayo", "command": "r", "size_bytes": 1, "samples": [
                   sample(1, 20, 4, 30, 100, 80_000), sample(2, 40, 4, 30, 100, 80_000),
                   sample(3, 20, 4, 30, 100, 80_000)]},
               # Slower by 5x, 2x, 3x run by run: the median of those is 3x, while the
               # ratio of the medians would be 80/20 = 4x.
               {"name": "peer", "command": "p", "size_bytes": 2, "samples": [
                   sample(1, 100, 8, 90, 300, 200_000), sample(2, 80, 8, 90, 300, 200_000),
                   sample(3, 60, 8, 90, 300, 200_000, threads=3, cpu=10_000)]},
           ]}
    t = summary.summarize(doc, events)
    rayo, peer = t["rows"]
    check("base is the first row", t["base"] == "rayo")
    check(f"rayo cold median 20: {rayo['figures']['cold_ms']}", rayo["figures"]["cold_ms"]["median"] == 20)
    ratios = peer["figures"]["cold_ms"]
    check(f"run-by-run ratios 5, 2, 3 -> 3: {ratios}", ratios["ratio_to_first"] == 3)
    check("no ratio for the base row", "ratio_to_first" not in rayo["figures"]["cold_ms"])
    check("warm 128", peer["figures"]["warm128_ms"]["median"] == 90)
    check("RSS after the 128-token phase, not the final peak", peer["figures"]["rss128_kib"]["median"] == 200_000)
    check("final peak", peer["figures"]["rss_kib"]["median"] == 200_010)
    want = 32 * summary.network_flops(16) / (100 * 1e6)
    check("batch GFLOPS", math.isclose(rayo["figures"]["batch32_gflops"]["median"], want))
    # CPU after init over the invocations' wall time: 1 for the one-thread samples, more for
    # the one that burned 10 s of CPU in ~0.9 s of invocations.
    check(f"cpu/wall 1: {rayo['figures']['cpu_over_wall']}", math.isclose(rayo["figures"]["cpu_over_wall"]["max"], 1.0))
    check("cpu/wall above 1 is seen", peer["figures"]["cpu_over_wall"]["max"] > 5)
    md = summary.markdown("full", t, {"peer": {"zip_bytes": 1_500_000}})
    check(f"markdown row: {md}", "| peer | 0.0 MB | 1.5 MB | 80.0 (96.0) | 3.00× |" in md)
    check("markdown names the load", "1-min load 0.50–1.00" in md)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as TMP:
        test_verify()
        test_flops()
        test_summary()
    for f in failures:
        print(f"embed tools: FAIL: {f}")
    if failures:
        sys.exit(1)
    print("embed tools: verify.py and summary.py checks passed")
