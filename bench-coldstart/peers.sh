#!/usr/bin/env bash
# Builds or installs rayo's peers and measures them beside rayo with bench-coldstart.
#
#   bench-coldstart/peers.sh            # from anywhere; writes bench-coldstart/peers/out/
#   RUNS=30 INVOKES=20 bench-coldstart/peers.sh
#   RAYO_BOOTSTRAP=/path/to/bootstrap bench-coldstart/peers.sh
#   MEMORY=128 OUT=/tmp/peers-128 bench-coldstart/peers.sh   # Lambda's 128 MB CPU share (root)
#
# Environment: OUT (output directory, default bench-coldstart/peers/out; created),
# RUNS, INVOKES, RAYO_BOOTSTRAP, MEMORY (one value in MB: passes `--memory MB`, so every row
# runs under that CPU share in a fresh CPU-quota cgroup; needs root; `memory_mb`,
# `cpu_quota` (vCPUs), `cpu_quota_us`, `cpu_period_us` and `cgroup` land in results.json),
# CPU_PERIOD (microseconds, passed as `--cpu-period`; default: bench-coldstart's),
# UNTHROTTLED_INIT=1 (with MEMORY: passes `--unthrottled-init`, the quota starts at the
# first GET /next; results.json then says "unthrottled_init":true).
# Writes $OUT/results.json, $OUT/init.svg and $OUT/table.md.
#
# Rows (first = the ratio base):
#   baseline        bare static std program: connect, GET /next, wait (init-only)
#   rayo            rayo's bootstrap (target/lambda/x86_64/bootstrap from build.sh if present,
#                   else built here: -p rayo-bootstrap, release-ultra, x86_64 musl)
#   rayo-echo       rayo's echo function, when the bootstrap crate has an `echo` bin
#   lambda_runtime  the official runtime (crates.io latest 1.x) echo function, same profile
#   awslambdaric    Python's runtime interface client with an echo handler
#   awslambdaric+numpy  the same handler with `import numpy`
#
# Needs: rustup, cargo, python3 (with venv), network access to crates.io and PyPI.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
PEERS="$HERE/peers"
OUT="${OUT:-$PEERS/out}"
RUNS="${RUNS:-20}"
INVOKES="${INVOKES:-20}"
TARGET=x86_64-unknown-linux-musl
started=$(date +%s)
mkdir -p "$OUT"

step() { printf '\n==> %s\n' "$*" >&2; }

step "toolchain: $TARGET"
rustup target add "$TARGET" >&2

step "bench-coldstart (release) and the bare baseline (release-ultra, static)"
cargo build --manifest-path "$ROOT/Cargo.toml" --release -p rayo-bench >&2
cargo build --manifest-path "$ROOT/Cargo.toml" -p rayo-bench-baseline --profile release-ultra --target "$TARGET" >&2
BENCH="$ROOT/target/release/bench-coldstart"
BASELINE="$ROOT/target/$TARGET/release-ultra/bench-baseline"

step "rayo"
ULTRA="$ROOT/target/$TARGET/release-ultra"
if [[ -n "${RAYO_BOOTSTRAP:-}" ]]; then
    RAYO="$RAYO_BOOTSTRAP"
elif [[ -x "$ROOT/target/lambda/x86_64/bootstrap" ]]; then
    RAYO="$ROOT/target/lambda/x86_64/bootstrap"
else
    cargo build --manifest-path "$ROOT/Cargo.toml" -p rayo-bootstrap --bins --profile release-ultra --target "$TARGET" >&2
    RAYO="$ULTRA/bootstrap"
fi
echo "rayo bootstrap: $RAYO" >&2

step "lambda_runtime echo (crates.io latest, release-ultra, static musl)"
# No lock file is kept: every run takes the latest 1.x, and the version is printed below.
(cd "$PEERS/lambda-runtime-echo" && cargo update >&2 && cargo build --profile release-ultra --target "$TARGET" >&2)
LR="$PEERS/lambda-runtime-echo/target/$TARGET/release-ultra/lambda-runtime-echo"
LR_VERSION=$(grep -A1 '^name = "lambda_runtime"$' "$PEERS/lambda-runtime-echo/Cargo.lock" | sed -n 's/^version = "\(.*\)"/\1/p')

step "awslambdaric and numpy in a venv (PyPI latest)"
VENV="$PEERS/.venv"
[[ -x "$VENV/bin/python3" ]] || python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --upgrade awslambdaric numpy >&2
SITE=$("$VENV/bin/python3" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
PY="$VENV/bin/python3"
PY_VERSION=$("$PY" -c 'import sys; print(sys.version.split()[0])')
RIC_VERSION=$("$VENV/bin/pip" show awslambdaric | sed -n 's/^Version: //p')
NUMPY_VERSION=$("$VENV/bin/pip" show numpy | sed -n 's/^Version: //p')

args=(--runs "$RUNS" --invokes "$INVOKES" --keep-going)
if [[ -n "${MEMORY:-}" ]]; then
    [[ "$MEMORY" =~ ^[0-9]+$ ]] || { echo "peers.sh: MEMORY must be one whole number of MB, got '$MEMORY'" >&2; exit 2; }
    args+=(--memory "$MEMORY")
    if [[ -n "${CPU_PERIOD:-}" ]]; then args+=(--cpu-period "$CPU_PERIOD"); fi
    if [[ "${UNTHROTTLED_INIT:-}" == 1 ]]; then args+=(--unthrottled-init); fi
fi
args+=(
      --json "$OUT/results.json" --svg "$OUT/init.svg"
      "baseline=$BASELINE" --init-only baseline
      "rayo=$RAYO")
if [[ -z "${RAYO_BOOTSTRAP:-}" && -x "$ULTRA/echo" ]]; then
    args+=("rayo-echo=$ULTRA/echo")
fi
args+=("lambda_runtime=$LR"
       "awslambdaric=$PY -m awslambdaric handler.handler" --cwd "awslambdaric=$PEERS/python"
       --size "awslambdaric=$SITE/awslambdaric" --size "awslambdaric=$PEERS/python"
       "awslambdaric+numpy=$PY -m awslambdaric handler.handler" --cwd "awslambdaric+numpy=$PEERS/python-numpy"
       --size "awslambdaric+numpy=$SITE/awslambdaric" --size "awslambdaric+numpy=$SITE/numpy"
       --size "awslambdaric+numpy=$SITE/numpy.libs" --size "awslambdaric+numpy=$PEERS/python-numpy")

step "measuring: $RUNS runs x 6 bootstraps, $INVOKES warm invocations each${MEMORY:+, under the CPU share of $MEMORY MB}"
{
    "$BENCH" "${args[@]}"
    echo
    echo "Versions: lambda_runtime $LR_VERSION; Python $PY_VERSION, awslambdaric $RIC_VERSION, numpy $NUMPY_VERSION; $(rustc --version)."
    echo "Python sizes count the packages on top of the interpreter (awslambdaric, numpy, the handler), not the interpreter."
    echo "peers.sh took $(( $(date +%s) - started )) s in all (builds included)."
} | tee "$OUT/table.md"
