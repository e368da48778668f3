#!/usr/bin/env bash
# A stand-in test of embed-peers.sh's rayo row that needs no model build or weights: the
# candle peer's package plays rayo (its own folder, a bootstrap.zip beside it), so every step
# the real row takes runs for real: RAYO_EMBED, cwd and LAMBDA_TASK_ROOT = its folder, the
# package counted as bootstrap.zip, verify.py comparing it, summary.py taking it as the ratio
# base. Then the "not built, skipped" path with RAYO_EMBED pointing at nothing.
#
#   bench-coldstart/peers/embed/test-rayo-row.sh        exit 0 ok, 1 a check failed
#
# Not a CI step: it builds candle-embed (~15 min the first time) and measures two runs. It
# reuses embed-peers.sh's WORK (target/embed-peers) and writes to $WORK/test-rayo-row/.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
WORK="${WORK:-$ROOT/target/embed-peers}"
T="$WORK/test-rayo-row"
rm -rf "$T"
mkdir -p "$T"
fails=0
check() { # check WHAT COMMAND...
    if "${@:2}"; then echo "test-rayo-row: ok: $1" >&2; else
        echo "test-rayo-row: FAIL: $1" >&2
        fails=$((fails + 1))
    fi
}
run() { # run OUTDIR ENV... : embed-peers.sh with rows rayo and candle, two short runs, full CPU
    local out="$1"
    shift
    env WORK="$WORK" OUT="$out" ROWS=rayo,candle RUNS=2 INVOKES=2 MEMORY= "$@" \
        "$ROOT/bench-coldstart/embed-peers.sh" >"$out.md" 2>"$out.log" ||
        { echo "test-rayo-row: embed-peers.sh failed: see $out.log" >&2; exit 1; }
}

# 1. The skipped path: the rayo row is left out, says so, and candle becomes the base.
run "$T/skipped" RAYO_EMBED="$T/nothing-here/bootstrap"
check "the table says rayo was skipped" grep -q "rayo embed: not built ($T/nothing-here/bootstrap is missing), skipped" "$T/skipped/table.md"
check "candle is the ratio base without rayo" python3 -c '
import json, sys
t = json.load(open(sys.argv[1]))["tables"]["full"]
sys.exit(0 if t["base"] == "candle" and [r["name"] for r in t["rows"]] == ["candle"] else 1)' "$T/skipped/summary.json"

# 2. A stand-in rayo: candle's package copied, with a bootstrap.zip that the size must count.
stand="$T/stand-in"
cp -r "$WORK/pkg/candle" "$stand"
(cd "$stand" && python3 -c '
import zipfile
with zipfile.ZipFile("bootstrap.zip", "w", zipfile.ZIP_DEFLATED) as z:
    z.write("bootstrap")')
zip_bytes=$(stat -c %s "$stand/bootstrap.zip")
# With candle's own one-thread settings (RAYO_ENV), or the stand-in would not be candle's twin.
run "$T/stand-in-out" RAYO_EMBED="$stand/bootstrap" RAYO_ENV="RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false"
check "no skip note when rayo is there" test ! -e "$T/stand-in-out/rayo-skipped.txt"
check "verify compared rayo with candle and found them equal" \
    grep -q '^| rayo vs candle | 1.0000000 | 0.0e+00 | 0.0e+00 | 9 |$' "$T/stand-in-out/verify.md"
check "rayo is the first row and the base, its package is bootstrap.zip, candle's ratios are to it run by run" python3 -c '
import json, statistics, sys
s = json.load(open(sys.argv[1]))
raw = {b["name"]: {x["run"]: x for x in b["samples"]} for b in json.load(open(sys.argv[2]))["bootstraps"]}
t = s["tables"]["full"]
rayo, candle = t["rows"]
assert t["base"] == "rayo" and rayo["name"] == "rayo" and candle["name"] == "candle", t["base"]
assert rayo["size_bytes"] == int(sys.argv[3]), (rayo["size_bytes"], sys.argv[3])
assert rayo["runs"] == 2 and candle["runs"] == 2, (rayo["runs"], candle["runs"])
for key, field in [("cold_ms", "to_first_response_ms"), ("warm16_ms", "warm_p50_ms")]:
    want = statistics.median(raw["candle"][r][field] / raw["rayo"][r][field] for r in (1, 2))
    got = candle["figures"][key]["ratio_to_first"]
    assert abs(got - want) < 1e-9, (key, got, want)
    assert "ratio_to_first" not in rayo["figures"][key], key
    # The same binary on the same events: only load noise can move it (2 runs, a busy box).
    assert 1 / 3 <= got <= 3, (key, got)
# CPU time per invocation moves less with load than wall-clock time does.
for key in ("cpu128_ms", "cpu_batch32_ms"):
    got = candle["figures"][key]["ratio_to_first"]
    assert 0.5 <= got <= 2, (key, got)
assert rayo["figures"]["rss128_kib"]["median"] > 90 * 1024, "the stand-in maps 90 MB of weights"
' "$T/stand-in-out/summary.json" "$T/stand-in-out/results-full.json" "$zip_bytes"
check "the rayo row ran in its own folder with LAMBDA_TASK_ROOT set to it" python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
b = next(b for b in doc["bootstraps"] if b["name"] == "rayo")
assert b["command"].endswith("/stand-in/bootstrap"), b["command"]
assert b["cwd"] == sys.argv[2], b["cwd"]
assert ["LAMBDA_TASK_ROOT", sys.argv[2]] in b["env"], b["env"]
assert ["RAYON_NUM_THREADS", "1"] in b["env"], ("RAYO_ENV reaches the rayo row", b["env"])
' "$T/stand-in-out/results-full.json" "$stand"

if [[ $fails -gt 0 ]]; then
    echo "test-rayo-row: $fails check(s) failed (logs in $T)" >&2
    exit 1
fi
echo "test-rayo-row: the rayo row's skipped and stand-in paths work (outputs in $T)" >&2
