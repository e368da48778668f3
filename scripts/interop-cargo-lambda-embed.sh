#!/usr/bin/env bash
# The embedding function (bin `embed` of rayo-embed) under cargo-lambda's Runtime API emulator,
# an implementation independent of rayo's (scripts/interop-cargo-lambda.sh's pattern, its
# --only-lambda-apis mode): cargo-lambda serves the APIs, this script runs the real release
# bootstrap that ./build.sh --bin embed zips, with LAMBDA_TASK_ROOT pointing at a folder that
# holds it and its weight file, as /var/task does on Lambda.
#
#   - a good request through `cargo lambda invoke`: 384-dimensional unit vectors in input
#     order, the same bytes rayo's own emulator gets from the same bootstrap;
#   - a bad request through HTTP: 500 with errorType InvalidRequest naming the field;
#   - a good request after it (the function goes on);
#   - a corrupt weight file: the init error reaches the queued caller (errorType
#     InvalidWeights, naming the file and the tensor), and the process exits non-zero.
#
# Needs: what ./build.sh --bin embed needs (it is run with --arch x86_64 --no-run when its
# output is missing), python3, curl, cargo-lambda on PATH (pip install cargo-lambda==1.9.2).
# Prints "N passed, M failed" last; exits 1 if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
ROOT=$(pwd)
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
WORK=$(mktemp -d /tmp/rayo-interop-embed.XXXXXX) || exit 2
PASSED=0
FAILED=0
PIDS=()
ok() { PASSED=$((PASSED + 1)); echo "ok    $*"; }
bad() { FAILED=$((FAILED + 1)); echo "FAIL  $*"; }
summary() {
    echo "cargo-lambda interop (embed):$([ "$FAILED" = 0 ] || echo " logs kept in $WORK")"
    echo "$PASSED passed, $FAILED failed"
}
die() { bad "$*"; summary; exit 1; }
cleanup() {
    local p
    for p in "${PIDS[@]}"; do
        kill -TERM -- "-$p" 2>/dev/null
    done
    [ "$FAILED" != 0 ] || rm -rf "$WORK"
}
trap cleanup EXIT
start_bg() { # start_bg NAME CMD...: own process group, log in $WORK/NAME.log; sets BG_PID
    local name=$1
    shift
    setsid "$@" >"$WORK/$name.log" 2>&1 &
    BG_PID=$!
    PIDS+=("$BG_PID")
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { # wait_port PORT PID SECONDS
    for _ in $(seq $(($3 * 5))); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.2
    done
    return 1
}

command -v cargo-lambda >/dev/null || die "cargo-lambda is not on PATH: pip install cargo-lambda==1.9.2"
command -v curl >/dev/null || die "curl is not on PATH"
echo "using $(cargo lambda --version 2>&1 | head -n 1)"

BUILT="$TARGET_DIR/lambda/embed/x86_64"
# cargo rayo build writes the weight file once for both arches, beside their folders.
MODEL="$TARGET_DIR/lambda/embed/embed-model.rayo"
if [ ! -x "$BUILT/bootstrap" ] || [ ! -f "$MODEL" ]; then
    echo "== ./build.sh --bin embed --arch x86_64 --no-run"
    ./build.sh --bin embed --arch x86_64 --no-run >"$WORK/build.log" 2>&1 ||
        { tail -20 "$WORK/build.log"; die "./build.sh --bin embed failed"; }
fi
TASK="$WORK/task"
mkdir -p "$TASK"
cp "$BUILT/bootstrap" "$MODEL" "$TASK/"

GOOD='{"inputs": ["The weather is lovely today.", "It'"'"'s so sunny outside!", "He drove to the stadium."]}'
printf '%s' "$GOOD" >"$WORK/good.json"
printf '%s' '{"inputs": ["fine", 42]}' >"$WORK/bad.json"

# What rayo's own emulator answers, for the byte comparison.
cargo build --locked --release -q -p rayo-emulator --bin emulator || die "building rayo's emulator failed"
env LAMBDA_TASK_ROOT="$TASK" timeout 120 "$TARGET_DIR/release/emulator" --event "$GOOD" --timeout 60 -- \
    "$TASK/bootstrap" >"$WORK/rayo-emulator.json" 2>"$WORK/rayo-emulator.err" ||
    die "rayo's emulator run failed: $(tail -3 "$WORK/rayo-emulator.err")"

PORT=$(free_port)
URL="http://127.0.0.1:$PORT/2015-03-31/functions/_/invocations"
echo "== cargo lambda watch -v --only-lambda-apis -A 127.0.0.1 -P $PORT"
start_bg apis cargo lambda watch -v --only-lambda-apis -A 127.0.0.1 -P "$PORT"
APIS=$BG_PID
wait_port "$PORT" "$APIS" 60 || { tail -20 "$WORK/apis.log"; die "cargo-lambda did not listen on $PORT within 60 s"; }
FN_ENV=()
while IFS= read -r line; do FN_ENV+=("$line"); done < <(
    sed 's/\x1b\[[0-9;]*m//g' "$WORK/apis.log" | grep -oE 'AWS_LAMBDA_[A-Z_]+=[^ ]+' | sort -u)
[ ${#FN_ENV[@]} -gt 0 ] || die "cargo-lambda printed no AWS_LAMBDA_* variables"

start_bg fn env "${FN_ENV[@]}" LAMBDA_TASK_ROOT="$TASK" "$TASK/bootstrap"
if timeout 120 cargo lambda invoke --invoke-address 127.0.0.1 --invoke-port "$PORT" \
    --data-file "$WORK/good.json" -o json >"$WORK/good.out" 2>"$WORK/good.err"; then
    if python3 - "$WORK/good.out" "$WORK/rayo-emulator.json" >"$WORK/good.check" 2>&1 <<'EOF'; then
import json, math, struct, sys
got = json.load(open(sys.argv[1]))
ref = json.load(open(sys.argv[2]))
assert got["model"] == "all-MiniLM-L6-v2" and got["dims"] == 384, got.get("model")
e = got["embeddings"]
assert len(e) == 3 and all(len(v) == 384 for v in e), [len(v) for v in e]
for v in e:
    assert abs(math.sqrt(sum(x * x for x in v)) - 1) < 1e-5
# cargo lambda invoke re-prints the numbers through serde_json, which may not round-trip the
# last digit (3.1548472e-33 -> 3.1548471999999996e-33): compare them as the f32s they encode.
f32 = lambda v: struct.pack(f"<{len(v)}f", *v)
assert [f32(v) for v in e] == [f32(v) for v in ref["embeddings"]], "the vectors differ from rayo's emulator's"
assert {k: got[k] for k in got if k != "embeddings"} == {k: ref[k] for k in ref if k != "embeddings"}
print("3 unit vectors of 384, the same f32s as rayo's emulator's answer")
EOF
        ok "cargo lambda invoke, good request: $(cat "$WORK/good.check")"
    else
        bad "cargo lambda invoke, good request: $(cat "$WORK/good.check")"
    fi
else
    bad "cargo lambda invoke, good request: $(head -c 500 "$WORK/good.err")"
fi

status=$(curl -sS -m 60 -X POST -o "$WORK/bad.body" -w '%{http_code}' --data-binary @"$WORK/bad.json" "$URL")
if [ "$status" = 500 ] && python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(not (d.get("errorType") == "InvalidRequest" and "field `inputs[1]`: expected a string, found a number" in d.get("errorMessage", "")))
' "$WORK/bad.body"; then
    ok "bad request over HTTP: 500, InvalidRequest: $(cat "$WORK/bad.body")"
else
    bad "bad request over HTTP: status $status, body $(head -c 300 "$WORK/bad.body")"
fi
status=$(curl -sS -m 60 -X POST -o "$WORK/again.body" -w '%{http_code}' --data-binary @"$WORK/good.json" "$URL")
if [ "$status" = 200 ] && cmp -s "$WORK/again.body" <(tr -d '\n' <"$WORK/rayo-emulator.json"); then
    ok "good request after the bad one: 200, the same bytes"
else
    bad "good request after the bad one: status $status, $(wc -c <"$WORK/again.body") bytes"
fi
kill -TERM -- "-${PIDS[-1]}" 2>/dev/null

# A corrupt weight file: one flipped bit in a layer's weights. cargo-lambda answers an init
# error to the oldest queued invoke, so queue one first.
BROKEN="$WORK/broken"
mkdir -p "$BROKEN"
cp "$TASK/bootstrap" "$BROKEN/"
python3 - "$TASK/embed-model.rayo" "$BROKEN/embed-model.rayo" <<'EOF'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
data[len(data) // 3] ^= 0x10  # inside a layer's tensors, past the header
open(sys.argv[2], "wb").write(data)
EOF
queued=$(grep -c 'invocation received' "$WORK/apis.log")
curl -sS -m 60 -X POST -o "$WORK/init.body" -w '%{http_code}' --data-binary @"$WORK/good.json" "$URL" \
    >"$WORK/init.status" 2>/dev/null &
CURL=$!
for _ in $(seq 100); do
    [ "$(grep -c 'invocation received' "$WORK/apis.log")" -gt "$queued" ] && break
    sleep 0.1
done
sleep 0.2
env "${FN_ENV[@]}" LAMBDA_TASK_ROOT="$BROKEN" timeout 60 "$BROKEN/bootstrap" >"$WORK/fn-broken.log" 2>&1
rc=$?
wait "$CURL"
if [ "$rc" != 0 ] && [ "$rc" != 124 ]; then
    ok "corrupt weight file: the function exited $rc"
else
    bad "corrupt weight file: the function exited $rc, expected a failure exit"
fi
if python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
m = d.get("errorMessage", "")
sys.exit(not (d.get("errorType") == "InvalidWeights" and sys.argv[2] in m and "checksum mismatch" in m))
' "$WORK/init.body" "$BROKEN/embed-model.rayo"; then
    ok "corrupt weight file: the init error reaches the caller (HTTP $(cat "$WORK/init.status")): $(cat "$WORK/init.body")"
else
    bad "corrupt weight file: HTTP $(cat "$WORK/init.status"), body $(head -c 400 "$WORK/init.body")"
fi
summary
[ "$FAILED" = 0 ]
