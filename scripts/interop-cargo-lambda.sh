#!/usr/bin/env bash
# Interoperability of rayo's runtime (runtime-api) with cargo-lambda's Runtime API emulator.
#
# rayo's own emulator was written by us from the same reading of the API as the runtime, so
# agreement with it proves little. cargo-lambda is an independent implementation (axum/hyper)
# that many Rust Lambda developers use, so here the `echo` function of package `bootstrap`
# is run against it in the two ways people use it:
#
#   A. managed: `cargo lambda watch -p rayo-bootstrap --bin echo` builds and starts the function
#      itself and sets its environment (we read AWS_LAMBDA_RUNTIME_API from /proc).
#   B. --only-lambda-apis: cargo-lambda serves only the APIs and this script starts the
#      binary with the variables cargo-lambda prints, through a recording relay
#      (scripts/interop/tap.py) so that the bytes on the wire can be checked too; after the
#      panic the function is started again, as Lambda would, and an init error is checked.
#
# Invocations go through both `cargo lambda invoke` (the CLI people use) and the emulator's
# HTTP invoke endpoint with curl (exact bytes and status codes).
#
# Needs: cargo, python3, curl, and cargo-lambda on PATH (scripts/deps.sh test puts it in the
# project's venv, target/venv/bin, which test.sh puts on PATH;
# the wheel ships the binary). Everything listens on 127.0.0.1 only; every process started
# here is stopped on exit. Environment:
#   RAYO_INTEROP_PROFILES  cargo profiles to test, default "release-ultra dev"
#                          (release-ultra aborts on panic, dev unwinds: both panic paths)
#   RAYO_INTEROP_KEEP=1    keep the work directory (logs, wire captures) even on success
#
# Prints "N passed, M failed" last; exits 1 if anything failed.
#
# cargo-lambda 1.9.2 differs from Lambda in ways the checks allow for (rayo reports what it
# is sent): Lambda-Runtime-Deadline-Ms is always 600000 (a duration, not epoch ms, so the
# deadline looks long past); the client context arrives base64-encoded, not as JSON; an
# init error reaches the caller with HTTP 200; in managed mode a function that exits (after
# a panic) is not started again, so the panic comes last there.

set -uo pipefail

cd "$(dirname "$0")/.." || exit 2
ROOT=$(pwd)
TAP="$ROOT/scripts/interop/tap.py"
PROFILES=${RAYO_INTEROP_PROFILES:-"release-ultra dev"}
START_S=$(date +%s)
WORK=$(mktemp -d /tmp/rayo-interop.XXXXXX) || exit 2
PASSED=0
FAILED=0
GROUPS_STARTED=()
MY_PGID=$(ps -o pgid= -p $$ | tr -d ' ')

ok() {
    PASSED=$((PASSED + 1))
    echo "ok    $*"
}
bad() {
    FAILED=$((FAILED + 1))
    echo "FAIL  $*"
}
summary() {
    local kept=""
    if [ "$FAILED" != 0 ] || [ "${RAYO_INTEROP_KEEP:-}" = 1 ]; then kept=", logs and wire captures kept in $WORK"; fi
    echo "cargo-lambda interop: $(($(date +%s) - START_S)) s$kept"
    echo "$PASSED passed, $FAILED failed"
}
# A setup step failed: nothing after it can be checked.
die() {
    bad "$*"
    summary
    exit 1
}

# Stop one process group we started: TERM, up to 5 s, then KILL.
stop_group() {
    local g=$1
    if [ "$g" = "$MY_PGID" ]; then return; fi
    kill -TERM -- "-$g" 2>/dev/null || return 0
    for _ in $(seq 50); do
        kill -0 -- "-$g" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL -- "-$g" 2>/dev/null
}
cleanup() {
    local g
    for g in "${GROUPS_STARTED[@]}"; do stop_group "$g"; done
    if [ "$FAILED" = 0 ] && [ "${RAYO_INTEROP_KEEP:-}" != 1 ]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'echo "interrupted"; exit 130' INT TERM

# Start "$@" in its own process group (setsid does not fork here: a background child of a
# non-interactive shell is not a group leader), logging to $WORK/$1.log. Sets BG_PID.
start_bg() {
    local name=$1
    shift
    setsid "$@" >"$WORK/$name.log" 2>&1 &
    BG_PID=$!
    GROUPS_STARTED+=("$BG_PID")
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Wait (at most $3 s) until 127.0.0.1:$1 accepts connections while process $2 lives.
wait_port() {
    local port=$1 pid=$2 limit=$3
    for _ in $(seq $((limit * 5))); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.2
    done
    return 1
}

# Wait (at most $2 s) for process $1 to exit.
wait_exit() {
    local pid=$1 limit=$2
    for _ in $(seq $((limit * 10))); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    return 1
}

# A file path in $WORK for a check's name (names hold brackets, slashes and spaces).
fpath() {
    printf '%s/%s' "$WORK" "${1//[^A-Za-z0-9._-]/_}"
}

# POST file $3 to cargo-lambda's invoke endpoint $2 with curl (extra curl args after).
# Writes $(fpath $1).body and .hdr; prints the HTTP status ("000" if curl failed).
invoke_http() {
    local out url=$2 file=$3
    out=$(fpath "$1")
    shift 3
    curl -sS -m 60 -X POST -o "$out.body" -D "$out.hdr" -w '%{http_code}' \
        --data-binary "@$file" "$@" "$url" 2>"$out.curlerr" || true
}

# Run the Python check on stdin with the given arguments: exit 0 (and an optional one-line
# note on stdout) passes, anything else fails with what it printed.
pycheck() {
    local name=$1 out
    shift
    if out=$(python3 - "$@" 2>&1); then
        ok "$name${out:+ ($out)}"
    else
        bad "$name: $out"
    fi
}

show_log() {
    echo "---- last lines of $1 ----"
    tail -n "${2:-30}" "$WORK/$1" 2>/dev/null | sed 's/^/    /'
    echo "----"
}

# ---- prerequisites -------------------------------------------------------------------
command -v python3 >/dev/null || die "python3 is not on PATH"
command -v curl >/dev/null || die "curl is not on PATH"
command -v cargo >/dev/null || die "cargo is not on PATH"
if ! command -v cargo-lambda >/dev/null; then
    die "cargo-lambda is not on PATH: run scripts/deps.sh test, then PATH=\"\${RAYO_VENV:-target/venv}/bin:\$PATH\""
fi
CL_VERSION=$(cargo lambda --version 2>&1 | head -n 1)
echo "using $CL_VERSION"

TARGET_DIR=$(cargo metadata --format-version 1 --no-deps 2>/dev/null |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])') ||
    die "cargo metadata failed in $ROOT"

printf '%s' '{"a":1}' >"$WORK/small.json"
printf '%s' '{"text":"caf\u00e9 \"q\" \\ \u2713","n":[1,2.5,-3e7,null,true],"nested":{"k":[]}}' \
    >"$WORK/tricky.json"
printf '%s' '"rayo:context"' >"$WORK/context.json"
printf '%s' '"rayo:error"' >"$WORK/error.json"
printf '%s' '"rayo:panic"' >"$WORK/panic.json"
printf '%s' '{"chunked":"yes"}' >"$WORK/chunked.json"
# 2,000,009 bytes of multi-byte UTF-8: well past any single read or buffer size, under 6 MB.
python3 -c 'import json,sys; sys.stdout.write(json.dumps({"s":"\u00e9\u2713"*400000}, ensure_ascii=False))' \
    >"$WORK/big.json" || die "cannot write the large payload"

# Byte-identical body and HTTP 200.
check_echo() {
    local name=$1 status=$2 sent=$3 out
    out=$(fpath "$name")
    if [ "$status" != 200 ]; then
        bad "$name: HTTP $status, expected 200; body: $(head -c 300 "$out.body" 2>/dev/null) $(cat "$out.curlerr" 2>/dev/null)"
    elif cmp -s "$sent" "$out.body"; then
        ok "$name: $(wc -c <"$sent") bytes came back byte-identical"
    else
        bad "$name: the body differs from the event sent ($(wc -c <"$sent") bytes sent, $(wc -c <"$out.body") received)"
    fi
}

# HTTP 500 whose JSON body names error type $3 and a message containing $4.
check_error_http() {
    local name=$1 status=$2 want_type=$3 want_msg=$4 out
    out=$(fpath "$name")
    if [ "$status" != 500 ]; then
        bad "$name: HTTP $status, expected 500; body: $(head -c 300 "$out.body" 2>/dev/null)"
        return
    fi
    pycheck "$name: HTTP 500 with errorType $want_type" "$out.body" "$want_type" "$want_msg" <<'EOF'
import json, sys
body = open(sys.argv[1], "rb").read()
try:
    doc = json.loads(body)
except ValueError as e:
    sys.exit(f"body is not JSON ({e}): {body[:300]!r}")
if doc.get("errorType") != sys.argv[2]:
    sys.exit(f"errorType is {doc.get('errorType')!r}, expected {sys.argv[2]!r}: {body[:300]!r}")
if sys.argv[3] not in str(doc.get("errorMessage")):
    sys.exit(f"errorMessage {doc.get('errorMessage')!r} lacks {sys.argv[3]!r}")
print(f"errorMessage {doc['errorMessage']!r}")
EOF
}

# The Context JSON that "rayo:context" answers, against what cargo-lambda is known to send.
# Args: name, body file, function name, client context JSON sent ("" = none), identity id
# and pool sent ("" = none).
check_context() {
    pycheck "$1: context" "$2" "$3" "$4" "$5" "$6" <<'EOF'
import base64, json, re, sys
path, fn, cc, ident, pool = sys.argv[1:6]
raw = open(path, "rb").read()
try:
    ctx = json.loads(raw)
except ValueError as e:
    sys.exit(f"not JSON ({e}): {raw[:300]!r}")
errs = []
rid = ctx.get("request_id") or ""
if not re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", rid):
    errs.append(f"request_id {rid!r} is not a UUID")
dl = ctx.get("deadline_ms") or ""
if not dl.isdigit() or int(dl) <= 0:
    errs.append(f"deadline_ms {dl!r} is not a positive integer")
if not ctx.get("invoked_function_arn"):
    errs.append("invoked_function_arn is empty")
for key, want in (("function_name", fn), ("version", "1"), ("memory_size_mb", "4096")):
    if ctx.get(key) != want:
        errs.append(f"{key} is {ctx.get(key)!r}, expected {want!r}")
trace = ctx.get("xray_trace_id") or ""
if not trace.startswith("Root=1-"):
    errs.append(f"xray_trace_id {trace!r} does not start with Root=1-")
if ctx.get("trace_env") != trace:
    errs.append(f"_X_AMZN_TRACE_ID {ctx.get('trace_env')!r} differs from the trace header {trace!r}")
if cc:
    # cargo-lambda base64-encodes the client context it forwards to the runtime.
    got = ctx.get("client_context")
    try:
        decoded = json.loads(base64.b64decode(got or "", validate=True))
    except ValueError as e:
        decoded = f"<undecodable: {e}>"
    if decoded != json.loads(cc):
        errs.append(f"client_context {got!r} does not decode to {cc!r}")
elif ctx.get("client_context") is not None:
    errs.append(f"client_context {ctx.get('client_context')!r}, expected none")
if ident:
    try:
        doc = json.loads(ctx.get("identity") or "")
    except ValueError:
        doc = None
    if not isinstance(doc, dict) or doc.get("cognitoIdentityId") != ident or doc.get("cognitoIdentityPoolId") != pool:
        errs.append(f"identity {ctx.get('identity')!r} lacks id {ident!r} / pool {pool!r}")
if errs:
    sys.exit("; ".join(errs) + f" -- context was {raw.decode('utf-8', 'replace')}")
print(f"request_id {rid}, deadline_ms {dl}, arn {ctx['invoked_function_arn']!r}")
EOF
}

# ---- build ---------------------------------------------------------------------------
for PROFILE in $PROFILES; do
    case $PROFILE in
    dev) BIN_DIR=debug ;;
    *) BIN_DIR=$PROFILE ;;
    esac
    BIN="$TARGET_DIR/$BIN_DIR/echo"
    echo "== profile $PROFILE: building bootstrap --bin echo"
    if ! cargo build -q -p rayo-bootstrap --bin echo --profile "$PROFILE" >"$WORK/build-$PROFILE.log" 2>&1; then
        show_log "build-$PROFILE.log"
        die "[$PROFILE] cargo build -p rayo-bootstrap --bin echo --profile $PROFILE failed"
    fi
    [ -x "$BIN" ] || die "[$PROFILE] no binary at $BIN after the build"

    # ---- A: cargo-lambda builds and runs the function ----------------------------------
    T="[$PROFILE/managed]"
    PORT=$(free_port)
    URL="http://127.0.0.1:$PORT/2015-03-31/functions/echo/invocations"
    echo "== $T cargo lambda watch --ignore-changes -p rayo-bootstrap --bin echo --profile $PROFILE -A 127.0.0.1 -P $PORT"
    start_bg "watch-$PROFILE" cargo lambda watch --ignore-changes -p rayo-bootstrap --bin echo \
        --profile "$PROFILE" -A 127.0.0.1 -P "$PORT"
    WATCH=$BG_PID
    if ! wait_port "$PORT" "$WATCH" 60; then
        show_log "watch-$PROFILE.log"
        die "$T cargo lambda watch did not listen on 127.0.0.1:$PORT within 60 s"
    fi

    # The brief's own command line, first: cargo-lambda may still be starting the function.
    if timeout 120 cargo lambda invoke echo --invoke-address 127.0.0.1 --invoke-port "$PORT" \
        --data-ascii '{"a":1}' -o json >"$WORK/a-cli-echo.out" 2>"$WORK/a-cli-echo.err"; then
        pycheck "$T cargo lambda invoke echo --data-ascii '{\"a\":1}'" "$WORK/a-cli-echo.out" <<'EOF'
import json, sys
got = json.load(open(sys.argv[1]))
if got != {"a": 1}:
    sys.exit(f"answer {got!r}, expected {{'a': 1}}")
EOF
    else
        show_log "watch-$PROFILE.log"
        bad "$T cargo lambda invoke echo failed: $(head -c 500 "$WORK/a-cli-echo.err")"
    fi

    check_echo "$T tricky" "$(invoke_http "$T tricky" "$URL" "$WORK/tricky.json")" "$WORK/tricky.json"
    check_echo "$T 2MB" "$(invoke_http "$T 2MB" "$URL" "$WORK/big.json")" "$WORK/big.json"
    check_echo "$T chunked request" "$(invoke_http "$T chunked request" "$URL" "$WORK/chunked.json" \
        -H 'Transfer-Encoding: chunked')" "$WORK/chunked.json"

    if timeout 60 cargo lambda invoke echo --invoke-address 127.0.0.1 --invoke-port "$PORT" \
        --data-ascii '"rayo:context"' --client-context-ascii '{"custom":{"k":"v"}}' \
        --identity-id id-1 --identity-pool-id pool-1 -o json >"$WORK/a-ctx1.out" 2>"$WORK/a-ctx1.err"; then
        check_context "$T cli" "$WORK/a-ctx1.out" echo '{"custom":{"k":"v"}}' id-1 pool-1
    else
        bad "$T cargo lambda invoke rayo:context failed: $(head -c 500 "$WORK/a-ctx1.err")"
    fi
    invoke_http "$T ctx2" "$URL" "$WORK/context.json" >/dev/null
    check_context "$T http" "$(fpath "$T ctx2").body" echo "" "" ""
    pycheck "$T request ids differ between invocations" "$WORK/a-ctx1.out" "$(fpath "$T ctx2").body" <<'EOF'
import json, sys
a, b = (json.load(open(p)).get("request_id") for p in sys.argv[1:3])
if not a or a == b:
    sys.exit(f"request ids {a!r} and {b!r}")
EOF

    # What cargo-lambda put in the function's environment, read from the live process.
    pycheck "$T AWS_LAMBDA_RUNTIME_API set by cargo-lambda has a path prefix" "$WATCH" "$BIN" "$PORT" <<'EOF'
import os, sys
root, binary, port = int(sys.argv[1]), os.path.realpath(sys.argv[2]), sys.argv[3]
children = {}
for p in os.listdir("/proc"):
    if p.isdigit():
        try:
            stat = open(f"/proc/{p}/stat").read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(p))
todo, found = [root], []
while todo:
    pid = todo.pop()
    for c in children.get(pid, []):
        todo.append(c)
        try:
            if os.path.realpath(f"/proc/{c}/exe") == binary:
                found.append(c)
        except OSError:
            pass
if len(found) != 1:
    sys.exit(f"expected one {binary} under pid {root}, found {found}")
env = dict(kv.split("=", 1) for kv in open(f"/proc/{found[0]}/environ").read().split("\0") if "=" in kv)
api = env.get("AWS_LAMBDA_RUNTIME_API", "")
host = api.split("://", 1)[-1]
if not host.startswith(f"127.0.0.1:{port}/") or len(host) <= len(f"127.0.0.1:{port}/"):
    sys.exit(f"AWS_LAMBDA_RUNTIME_API={api!r}, expected 127.0.0.1:{port} with a path")
print(f"AWS_LAMBDA_RUNTIME_API={api}")
EOF

    check_error_http "$T rayo:error" "$(invoke_http "$T rayo:error" "$URL" "$WORK/error.json")" \
        EchoError "echo was asked to fail"
    if timeout 60 cargo lambda invoke echo --invoke-address 127.0.0.1 --invoke-port "$PORT" \
        --data-ascii '"rayo:error"' >"$WORK/a-cli-err.out" 2>"$WORK/a-cli-err.err"; then
        bad "$T cargo lambda invoke rayo:error succeeded: $(head -c 300 "$WORK/a-cli-err.out")"
    elif grep -q 'EchoError' "$WORK/a-cli-err.err" && grep -q 'echo was asked to fail' "$WORK/a-cli-err.err"; then
        ok "$T cargo lambda invoke rayo:error exits non-zero naming EchoError"
    else
        bad "$T cargo lambda invoke rayo:error: no EchoError in: $(head -c 500 "$WORK/a-cli-err.err")"
    fi
    check_echo "$T echo after errors" "$(invoke_http "$T echo after errors" "$URL" "$WORK/small.json")" \
        "$WORK/small.json"

    # Last in this phase: the process ends after a panic and cargo-lambda does not restart it.
    check_error_http "$T rayo:panic" "$(invoke_http "$T rayo:panic" "$URL" "$WORK/panic.json")" \
        Runtime.Panic "echo was asked to panic"
    stop_group "$WATCH"

    # ---- B: cargo-lambda serves only the APIs; this script runs the binary -------------
    T="[$PROFILE/own-process]"
    PORT=$(free_port)
    TPORT=$(free_port)
    URL="http://127.0.0.1:$PORT/2015-03-31/functions/_/invocations"
    echo "== $T cargo lambda watch -v --only-lambda-apis -A 127.0.0.1 -P $PORT; $BIN via tap on $TPORT"
    # -v: its "invocation received" debug line tells when an invoke is queued (init error).
    start_bg "apis-$PROFILE" cargo lambda watch -v --only-lambda-apis -A 127.0.0.1 -P "$PORT"
    APIS=$BG_PID
    if ! wait_port "$PORT" "$APIS" 60; then
        show_log "apis-$PROFILE.log"
        die "$T cargo lambda watch --only-lambda-apis did not listen on 127.0.0.1:$PORT within 60 s"
    fi
    # The variables cargo-lambda tells the user to set (INFO lines "NAME=value").
    FN_ENV=()
    while IFS= read -r line; do FN_ENV+=("$line"); done < <(
        sed 's/\x1b\[[0-9;]*m//g' "$WORK/apis-$PROFILE.log" |
            grep -oE 'AWS_LAMBDA_[A-Z_]+=[^ ]+' | sort -u)
    API_PRINTED=$(printf '%s\n' "${FN_ENV[@]}" | sed -n 's/^AWS_LAMBDA_RUNTIME_API=//p')
    case $API_PRINTED in
    http://127.0.0.1:$PORT/?*) ok "$T cargo-lambda printed AWS_LAMBDA_RUNTIME_API=$API_PRINTED" ;;
    *)
        show_log "apis-$PROFILE.log"
        die "$T cargo-lambda printed AWS_LAMBDA_RUNTIME_API='$API_PRINTED', expected http://127.0.0.1:$PORT/<path>"
        ;;
    esac
    # Same value, but through the relay so the wire can be read back.
    TAPPED_ENV=()
    for kv in "${FN_ENV[@]}"; do TAPPED_ENV+=("${kv/127.0.0.1:$PORT/127.0.0.1:$TPORT}"); done
    mkdir -p "$WORK/wire-$PROFILE"
    start_bg "tap-$PROFILE" python3 "$TAP" proxy "$TPORT" "$PORT" "$WORK/wire-$PROFILE" 600
    TAPPID=$BG_PID
    wait_port "$TPORT" "$TAPPID" 10 || die "$T the recording relay did not listen on $TPORT"

    # wait_port's probe was a connection too: count only the function's.
    PROBES=$(find "$WORK/wire-$PROFILE" -name '*.up' | wc -l)
    # A small shell in between records the exit status (so that bash's own "Aborted" job
    # notice stays out of the output when release-ultra aborts).
    # shellcheck disable=SC2016 # expanded by that inner sh
    start_bg "fn1-$PROFILE" sh -c '"$@"; echo $? >"$0"' "$WORK/fn1-$PROFILE.rc" \
        env "${TAPPED_ENV[@]}" "$BIN"
    FN=$BG_PID
    check_echo "$T small" "$(invoke_http "$T small" "$URL" "$WORK/small.json")" "$WORK/small.json"
    check_echo "$T 2MB" "$(invoke_http "$T 2MB" "$URL" "$WORK/big.json")" "$WORK/big.json"
    check_echo "$T 2MB chunked request" "$(invoke_http "$T 2MB chunked request" "$URL" \
        "$WORK/big.json" -H 'Transfer-Encoding: chunked')" "$WORK/big.json"
    invoke_http "$T ctx" "$URL" "$WORK/context.json" >/dev/null
    check_context "$T http" "$(fpath "$T ctx").body" _ "" "" ""
    check_error_http "$T rayo:error" "$(invoke_http "$T rayo:error" "$URL" "$WORK/error.json")" \
        EchoError "echo was asked to fail"
    check_echo "$T echo after error" "$(invoke_http "$T echo after error" "$URL" "$WORK/tricky.json")" \
        "$WORK/tricky.json"
    if timeout 60 cargo lambda invoke --invoke-address 127.0.0.1 --invoke-port "$PORT" \
        --data-ascii '"rayo:panic"' >"$WORK/b-cli-panic.out" 2>"$WORK/b-cli-panic.err"; then
        bad "$T cargo lambda invoke rayo:panic succeeded: $(head -c 300 "$WORK/b-cli-panic.out")"
    elif grep -q 'Runtime.Panic' "$WORK/b-cli-panic.err" && grep -q 'echo was asked to panic' "$WORK/b-cli-panic.err"; then
        ok "$T cargo lambda invoke rayo:panic exits non-zero naming Runtime.Panic"
    else
        bad "$T cargo lambda invoke rayo:panic: no Runtime.Panic in: $(head -c 500 "$WORK/b-cli-panic.err")"
    fi
    if wait_exit "$FN" 10; then
        FN_RC=$(cat "$WORK/fn1-$PROFILE.rc" 2>/dev/null)
        if [ -n "$FN_RC" ] && [ "$FN_RC" != 0 ]; then
            ok "$T the function process ended after the panic (exit status $FN_RC)"
        else
            bad "$T the function process exited '$FN_RC' after a panic, expected a failure status"
        fi
    else
        bad "$T the function process still runs 10 s after the panic"
        stop_group "$FN"
    fi

    # What went over the wire while that process lived.
    CONNS=$(find "$WORK/wire-$PROFILE" -name '*.up' | wc -l)
    python3 "$TAP" report "$WORK/wire-$PROFILE" $((PROBES + 1)) "$CONNS" >"$WORK/wire-$PROFILE.json"
    pycheck "$T wire" "$WORK/wire-$PROFILE.json" "$(fpath "$T ctx").body" <<'EOF'
import json, re, sys
rep = json.load(open(sys.argv[1]))
if "error" in rep:
    sys.exit(rep["error"])
ctx = json.load(open(sys.argv[2]))
conns = rep["connections"]
# Invocations share one kept-alive connection; the panic hook reports on a fresh one,
# since the run loop's connection is not reachable from a panic hook.
ex = [e for c in conns for e in c["exchanges"]]
loop = [c for c in conns if any(e["request"].startswith("GET ") for e in c["exchanges"])]
errs = []
if len(loop) != 1:
    errs.append(f"GET next went over {len(loop)} connections, expected one kept alive")
others = [e["request"] for c in conns if c not in loop for e in c["exchanges"]]
if len(others) > 1 or (others and not others[0].endswith("/error HTTP/1.1")):
    errs.append(f"requests outside the run loop's connection: {others}")
line_ok = re.compile(r"(GET /\.rt/2018-06-01/runtime/invocation/next"
                     r"|POST /\.rt/2018-06-01/runtime/invocation/[0-9a-f-]{36}/(response|error)) HTTP/1\.1")
errs += [f"unexpected request line {e['request']!r}" for e in ex if not line_ok.fullmatch(e["request"])]
errs += [f"{e['request']!r} answered {e['status']!r}" for e in ex if e["status"] is None
         or e["status"].split(" ")[1] not in ("200", "202")]
nexts = [e for e in ex if e["request"].startswith("GET ") and e["status"]]
posts = [e for e in ex if e["request"].startswith("POST ")]
# small, 2MB, 2MB chunked, context, error, echo, panic: 7 invocations.
if len(posts) != 7 or len(nexts) != 7:
    errs.append(f"{len(nexts)} GET next and {len(posts)} POSTs, expected 7 of each")
# The chunked invoke comes back to the runtime as a chunked GET next body (hyper streams it
# through); this proves rayo decodes chunked framing from a server it was not tested with.
if not any(e["response_framing"] == "chunked" for e in nexts):
    errs.append("no GET next body was chunked (cargo-lambda's framing choice changed?)")
kinds = sorted(e["request_headers"].get("lambda-runtime-function-error-type", "<none>")
               for e in posts if e["request"].endswith("/error HTTP/1.1"))
if kinds != ["EchoError", "Runtime.Panic"]:
    errs.append(f"error POSTs carried Lambda-Runtime-Function-Error-Type {kinds}, expected EchoError and Runtime.Panic")
mine = [e for e in nexts if e["response_headers"].get("lambda-runtime-aws-request-id") == ctx["request_id"]]
if len(mine) != 1:
    errs.append(f"no GET next answer carries request id {ctx['request_id']}")
else:
    h = mine[0]["response_headers"]
    for header, key in (("lambda-runtime-deadline-ms", "deadline_ms"),
                        ("lambda-runtime-invoked-function-arn", "invoked_function_arn"),
                        ("lambda-runtime-trace-id", "xray_trace_id")):
        if h.get(header) != ctx[key]:
            errs.append(f"{header} on the wire {h.get(header)!r} but Context.{key} {ctx[key]!r}")
if errs:
    sys.exit("; ".join(errs))
framings = sorted({e["response_framing"].split(" ")[0] for e in nexts})
print(f"{len(ex) - len(others)} exchanges on 1 keep-alive connection, panic report on "
      f"{'its own' if others else 'the same'}; next bodies framed by: {', '.join(framings)}; "
      f"deadline header {mine[0]['response_headers'].get('lambda-runtime-deadline-ms')}")
EOF

    # Init error: cargo-lambda answers it to the oldest queued invoke, so queue one first
    # and start the function only once cargo-lambda has logged receiving it.
    QUEUED=$(grep -c 'invocation received' "$WORK/apis-$PROFILE.log")
    curl -sS -m 30 -X POST -o "$WORK/b-init.body" -w '%{http_code}' --data-binary @"$WORK/small.json" \
        "$URL" >"$WORK/b-init.status" 2>"$WORK/b-init.curlerr" &
    CURL=$!
    for _ in $(seq 100); do
        [ "$(grep -c 'invocation received' "$WORK/apis-$PROFILE.log")" -gt "$QUEUED" ] && break
        sleep 0.1
    done
    sleep 0.2 # logged on arrival; cargo-lambda queues it right after
    env "${TAPPED_ENV[@]}" RAYO_ECHO_FAIL_INIT="init failed on purpose" timeout 20 "$BIN" \
        >"$WORK/fn-init-$PROFILE.log" 2>&1
    INIT_RC=$?
    wait "$CURL"
    if [ "$INIT_RC" = 0 ] || [ "$INIT_RC" = 124 ]; then
        bad "$T with RAYO_ECHO_FAIL_INIT the function exited $INIT_RC, expected a failure exit"
    else
        ok "$T with RAYO_ECHO_FAIL_INIT the function exited $INIT_RC"
    fi
    # cargo-lambda answers an init error with 200 (its choice); the body must carry ours.
    pycheck "$T init error reaches the caller" "$WORK/b-init.body" "$(cat "$WORK/b-init.status")" <<'EOF'
import json, sys
try:
    doc = json.load(open(sys.argv[1]))
except (OSError, ValueError) as e:
    sys.exit(f"HTTP {sys.argv[2]}, body unreadable: {e}")
if doc.get("errorType") != "EchoInitError" or doc.get("errorMessage") != "init failed on purpose":
    sys.exit(f"HTTP {sys.argv[2]}, body {doc!r}")
print(f"HTTP {sys.argv[2]}, errorType EchoInitError")
EOF

    # As Lambda does after a crash: a new process serves the next invocations.
    start_bg "fn2-$PROFILE" env "${TAPPED_ENV[@]}" "$BIN"
    FN=$BG_PID
    check_echo "$T echo from a restarted process" \
        "$(invoke_http "$T echo from a restarted process" "$URL" "$WORK/tricky.json")" "$WORK/tricky.json"
    if timeout 60 cargo lambda invoke --invoke-address 127.0.0.1 --invoke-port "$PORT" \
        --data-ascii '{"a":1}' -o json >"$WORK/b-cli.out" 2>"$WORK/b-cli.err" &&
        python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1])) != {"a": 1})' "$WORK/b-cli.out"; then
        ok "$T cargo lambda invoke --data-ascii '{\"a\":1}' on the restarted process"
    else
        bad "$T cargo lambda invoke on the restarted process: $(head -c 300 "$WORK/b-cli.out") $(head -c 300 "$WORK/b-cli.err")"
    fi
    stop_group "$FN"
    stop_group "$TAPPID"
    stop_group "$APIS"
done

summary
[ "$FAILED" = 0 ]
