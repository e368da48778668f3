#!/usr/bin/env bash
# The embedding function's figures, self-describing (machine, load average, commit, date),
# to re-run after the kernels' gemm and transformer ops are wired into rayo_embed::ops:
#
#   1. sizes: the stripped bootstrap and bootstrap.zip (with the f16 weights) per architecture,
#      from ./build.sh --bin embed (built here unless --no-build);
#   2. init, in process: map + header, checksums, vocabulary (embed-check init: Verify::Header
#      vs Verify::Full interleaved, the file in the page cache);
#   3. warm latency and the per-stage profile, in process from token ids (embed-check
#      profile): 1 x 16, 1 x 128 and 32 x 16 tokens, GFLOPS of the network's arithmetic;
#   4. the real bootstrap through rayo's emulator (bench-coldstart, one thread, the zip's weight
#      file beside it): cold start = init + first invoke of a 16-token sentence, warm p50 of
#      16 tokens, 128 tokens and a batch of 32 sentences of 15-16 tokens (488 tokens in all,
#      counted with HF tokenizers), peak RSS (VmHWM) serving them, with full and header-only
#      verification.
#
# usage: bootstrap/embed/bench.sh [--runs N] [--no-build] [--f32]
# Output: Markdown on stdout; bench-coldstart's JSON in target/embed-bench/. Timings taken
# with a 1-minute load average above ~1.3 are preliminary (the machine is shared): the load is
# printed with every section. arm64 is built and sized here, never timed (no arm64 hardware).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
OUT="$TARGET/embed-bench"
RUNS=10
BUILD=1
PRECISION=f16
while [ $# -gt 0 ]; do
    case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --f32) PRECISION=f32; shift ;;
    -h | --help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
mkdir -p "$OUT"
cd "$ROOT"
load() { cut -d' ' -f1-3 /proc/loadavg; }

echo "# rayo-embed figures"
echo
echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) logical CPUs," \
    "$(date -u +%F), commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . || echo '+changes'), $PRECISION weights;" \
    "load average at start: $(load). Encoder ops: rayo_embed::ops (see its header for which)."

if [ "$BUILD" = 1 ]; then
    RAYO_EMBED_PRECISION=$PRECISION ./build.sh --bin embed --no-run >"$OUT/build.log" 2>&1 ||
        { [ $? = 1 ] || { tail -20 "$OUT/build.log"; exit 3; }; } # 1 = over budget: still report
fi
echo
echo "## 1. Sizes"
echo
echo "| arch | bootstrap (stripped) | bootstrap.zip | budget |"
echo "|---|---:|---:|---:|"
for arch in x86_64 arm64; do
    info="$TARGET/lambda/embed/$arch/bootstrap.zip.info"
    [ -f "$info" ] || { echo "| $arch | not built | | |"; continue; }
    # shellcheck disable=SC1090
    (. "$info" && echo "| $arch | $binary_bytes B | $zip_bytes B | 500,000 B; zip < 50,000,000 B |")
done
[ -f "$TARGET/lambda/embed/embed-model-layer.zip" ] &&
    echo "Layer zip (weights only, unpacked under /opt): $(stat -c %s "$TARGET/lambda/embed/embed-model-layer.zip") B."

WEIGHTS="$TARGET/lambda/embed/embed-model.rayo"
cargo build --locked --release -q -p rayo-embed --features convert --bin embed-check
cargo build --locked --release -q -p rayo-bench --bin bench-coldstart

echo
echo "## 2. Init in process (embed-check init, load $(load))"
echo
echo '```'
"$TARGET/release/embed-check" init "$WEIGHTS" --reps 21
echo '```'

echo
echo "## 3. Warm latency and per-stage profile in process (embed-check profile, load $(load))"
echo
echo '```'
"$TARGET/release/embed-check" profile "$WEIGHTS" --reps 11
echo '```'

# ---- 4. through the function ----
E16='{"inputs": ["the quick brown fox jumps over the lazy dog near the river bank today"]}'
E128="$(python3 -c '
import json
base = ("the people of the city walked along the river and talked about the weather while "
        "children played in the park near the old school and their parents watched from the "
        "benches under the tall trees").split()
print(json.dumps({"inputs": [" ".join((base * 4)[:126])]}))')"
EB="$(python3 -c '
import json
subj = ["the cat", "a dog", "my friend", "the teacher", "our team", "the old man", "a young girl", "the farmer"]
verb = ["walked to", "looked at", "talked about", "played near", "waited for", "ran past", "drove to", "sat by"]
obj = ["the small house on the hill", "the river in the green valley", "the market in the busy town",
       "the park behind the old school"]
print(json.dumps({"inputs": [f"{subj[i % 8]} {verb[(i // 8 + i) % 8]} {obj[i % 4]} early this morning"
                             for i in range(32)]}))')"
ZIPS="$TARGET/lambda/embed/x86_64"
[ -f "$ZIPS/bootstrap.zip" ] || { echo "no $ZIPS/bootstrap.zip: run without --no-build"; exit 3; }
# The function as Lambda unpacks it: bootstrap.zip's bootstrap and weight file in one task
# folder (LAMBDA_TASK_ROOT), nothing else from target/.
DIR="$OUT/task-x86_64"
rm -rf "$DIR"
python3 -m zipfile -e "$ZIPS/bootstrap.zip" "$DIR"
chmod +x "$DIR/bootstrap"
echo
echo "## 4. The bootstrap through rayo's emulator (bench-coldstart, $RUNS runs, bootstrap.zip unpacked in $DIR)"
for ev in "16 tokens|$E16" "128 tokens|$E128" "32 x 15-16 tokens|$EB"; do
    name="${ev%%|*}"
    event="${ev#*|}"
    file="$OUT/event-${name// /_}.json"
    printf '%s' "$event" >"$file"
    echo
    echo "### $name (load before: $(load))"
    echo
    "$TARGET/release/bench-coldstart" --runs "$RUNS" --invokes 5 --event-file "$file" \
        --json "$OUT/coldstart-${name// /_}.json" --timeout 60 \
        --cwd full="$DIR" --cwd header="$DIR" \
        --env full=LAMBDA_TASK_ROOT="$DIR" --env header=LAMBDA_TASK_ROOT="$DIR" \
        --env header=RAYO_EMBED_VERIFY=header \
        --size full="$ZIPS/bootstrap.zip" --size header="$ZIPS/bootstrap.zip" \
        full="$DIR/bootstrap" header="$DIR/bootstrap" 2>/dev/null
done
echo
echo "Cold start to the first embedding = init + first invoke (16-token table). full: every"
echo "tensor's checksum verified at init (the default); header: RAYO_EMBED_VERIFY=header."
echo "Load average at the end: $(load)."
