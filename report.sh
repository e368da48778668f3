#!/usr/bin/env bash
# report.sh: measures rayo against its peers on this machine and writes docs/REPORT.md and
# its charts (docs/report/*.svg) from those fresh measurements.
#
# usage: ./report.sh [--quick] [--no-build] [--no-embed] [-h|--help]
#
#   --quick      fewer rounds and runs (a few minutes): for iterating on the report itself
#   --no-build   reuse target/lambda/tiers/ from an earlier ./build.sh --check-all-tiers
#   --no-embed   leave out Part 5 (embeddings: installs PyTorch, ~6 GB, and takes ~1 hour;
#                QUIET=LOAD in the environment makes it wait for a quieter machine first)
#
# Parts: 1 kernels vs NumPy (kernels/examples/report_timing.rs beside
# scripts/report/numpy_worker.py, interleaved by scripts/report/part1.py); 2 cold start and
# memory (bench-coldstart/peers.sh, at full CPU and, when bench-coldstart has --memory, at a
# simulated 128 MB share; plus rayo's size tiers side by side); 3 sizes (build.sh
# --check-all-tiers); 4 cost per million invocations (scripts/report/generate.py, prices in
# scripts/report/prices.py); 5 sentence embeddings, rayo's embed function beside candle, ONNX
# Runtime and sentence-transformers (bench-coldstart/embed-peers.sh at full CPU and the
# 1,769 / 128 MB shares; costs in scripts/report/embed.py). Raw data: target/report/raw/.
# Needs: rustup, cargo, python3 with venv, network access to crates.io and PyPI, and what
# build.sh needs (scripts/deps.sh).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
QUICK=0
BUILD=1
EMBED=1
while [ $# -gt 0 ]; do
    case "$1" in
    --quick) QUICK=1 ;;
    --no-build) BUILD=0 ;;
    --no-embed) EMBED=0 ;;
    -h | --help)
        sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "report.sh: unknown argument '$1' (see ./report.sh --help)" >&2
        exit 2
        ;;
    esac
    shift
done

if [ "$QUICK" = 1 ]; then
    P1=(--rounds 3 --batches 10 --target-ms 0.5)
    RUNS=8 INVOKES=8
    EMBED_ENV=(RUNS=3 INVOKES=3 SHARE_RUNS=1 SHARE_INVOKES=2)
else
    # Short batches: on a busy machine most of them then fit in one scheduler time slice, and
    # the median is the uncontended speed (3 ms batches moved ratios by 2x between runs here).
    P1=(--rounds 12 --batches 20 --target-ms 0.5)
    RUNS=30 INVOKES=20
    EMBED_ENV=(RUNS=10 INVOKES=10 SHARE_RUNS=3 SHARE_INVOKES=3)
fi
RAW="$ROOT/target/report/raw"
LOG="$ROOT/target/report/log"
VENV="$ROOT/target/report/venv"
TARGET=x86_64-unknown-linux-musl
rm -rf "$RAW"
mkdir -p "$RAW" "$LOG" "$ROOT/docs/report"
started=$(date +%s)
step() { printf '\n==> [%4ss] %s\n' "$(($(date +%s) - started))" "$*" >&2; }
die() {
    echo "report.sh: error: $*" >&2
    exit 1
}

step "machine, date, commit"
python3 "$ROOT/scripts/report/machine.py" "$ROOT" >"$RAW/machine.json"

# ---- Part 3 first: the size tiers are also the binaries Part 2 measures ----
if [ "$BUILD" = 1 ]; then
    step "build.sh --check-all-tiers --no-run (log: $LOG/build.log)"
    status=0
    "$ROOT/build.sh" --check-all-tiers --no-run >"$RAW/build-sizes.txt" 2>"$LOG/build.log" || status=$?
    # 1 = a binary is over its budget: the sizes are still what Part 3 reports (marked FAIL).
    [ "$status" = 0 ] || [ "$status" = 1 ] || die "build.sh failed (exit $status): see $LOG/build.log"
else
    step "--no-build: reusing target/lambda/tiers/"
fi
for tier in stable tiny tiniest; do
    for arch in x86_64 arm64; do
        info="$ROOT/target/lambda/tiers/$tier/$arch/bootstrap.zip.info"
        [ -f "$info" ] || die "$info is missing: run without --no-build"
    done
done

# ---- Part 1: kernels vs NumPy ----
step "Part 1: the timing worker (cargo build --release -p rayo-kernels --example report_timing)"
cargo build --manifest-path "$ROOT/Cargo.toml" --release -p rayo-kernels --example report_timing >"$LOG/part1-build.log" 2>&1 ||
    die "building the kernels timing worker failed: see $LOG/part1-build.log"
step "Part 1: numpy in $VENV (pip install numpy threadpoolctl)"
[ -x "$VENV/bin/python3" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --upgrade numpy threadpoolctl >&2
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE may be set on this machine; NumPy runs without them.
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$VENV/bin/python3" "$ROOT/scripts/report/numpy_info.py" >"$RAW/numpy-info.json"
step "Part 1: interleaved timing, ${P1[*]}"
python3 "$ROOT/scripts/report/part1.py" --rust "$ROOT/target/release/examples/report_timing" \
    --python "$VENV/bin/python3" --worker "$ROOT/scripts/report/numpy_worker.py" \
    "${P1[@]}" --out "$RAW/part1.json"

# ---- Part 2: cold start and memory ----
peers() { # peers OUTDIR [VAR=VALUE ...]: runs peers.sh with OUT=OUTDIR and those variables
    local out="$1" fixed="$ROOT/bench-coldstart/peers/out"
    shift
    rm -f "$fixed/results.json"
    env OUT="$out" RUNS="$RUNS" INVOKES="$INVOKES" "$@" "$ROOT/bench-coldstart/peers.sh" \
        >"$out.md" 2>"$LOG/$(basename "$out").log" ||
        die "peers.sh failed: see $LOG/$(basename "$out").log"
    mkdir -p "$out"
    # peers.sh before the OUT contract wrote to its own directory only.
    if [ ! -f "$out/results.json" ] && [ -f "$fixed/results.json" ]; then
        cp "$fixed/results.json" "$out/results.json"
    fi
    [ -f "$out/results.json" ] || die "peers.sh wrote no results.json (see $LOG/$(basename "$out").log)"
}
step "Part 2: peers.sh at full CPU (RUNS=$RUNS INVOKES=$INVOKES)"
peers "$RAW/peers-full"
BENCH="$ROOT/target/release/bench-coldstart"
BASELINE="$ROOT/target/$TARGET/release-ultra/bench-baseline"
HAS_MEMORY=0
if "$BENCH" --help 2>&1 | grep -q -- '--memory'; then
    step "Part 2: peers.sh at MEMORY=128"
    # A subshell: peers() dies on failure, and a machine without cgroup rights still gets a report.
    if (peers "$RAW/peers-128" MEMORY=128); then
        HAS_MEMORY=1
        echo 1 >"$RAW/has-memory"
    else
        echo "0 failed (see target/report/log/peers-128.log)" >"$RAW/has-memory"
    fi
else
    step "Part 2: bench-coldstart has no --memory: the 128 MB table is left out"
    echo "0 no --memory option" >"$RAW/has-memory"
fi

tiers() { # tiers JSON [--memory MB]: rayo's three x86_64 tiers beside the bare baseline
    local json="$1"
    shift
    local t="$ROOT/target/lambda/tiers"
    "$BENCH" --runs "$RUNS" --invokes "$INVOKES" --keep-going "$@" --json "$json" \
        "baseline=$BASELINE" --init-only baseline \
        "rayo-stable=$t/stable/x86_64/bootstrap" "rayo-tiny=$t/tiny/x86_64/bootstrap" \
        "rayo-tiniest=$t/tiniest/x86_64/bootstrap" >"${json%.json}.md"
}
step "Part 2: rayo's tiers side by side at full CPU"
tiers "$RAW/tiers-full.json" 2>"$LOG/tiers-full.log" || die "bench-coldstart (tiers) failed: see $LOG/tiers-full.log"
if [ "$HAS_MEMORY" = 1 ]; then
    step "Part 2: rayo's tiers at --memory 128"
    tiers "$RAW/tiers-128.json" --memory 128 2>"$LOG/tiers-128.log" ||
        die "bench-coldstart --memory 128 (tiers) failed: see $LOG/tiers-128.log"
    # Lambda does not seem to hold INIT to the share (bench-coldstart/README.md): the same
    # share with init left free is the other bound, and the one Part 4 prices.
    if "$BENCH" --help 2>&1 | grep -q -- '--unthrottled-init'; then
        step "Part 2: peers.sh at MEMORY=128 UNTHROTTLED_INIT=1"
        peers "$RAW/peers-128u" MEMORY=128 UNTHROTTLED_INIT=1
        step "Part 2: rayo's tiers at --memory 128 --unthrottled-init"
        tiers "$RAW/tiers-128u.json" --memory 128 --unthrottled-init 2>"$LOG/tiers-128u.log" ||
            die "bench-coldstart --memory 128 --unthrottled-init (tiers) failed: see $LOG/tiers-128u.log"
    fi
fi

# ---- Part 3: the peers' sizes, zipped as Lambda would take them ----
step "Part 3: peers' sizes"
PEERS="$ROOT/bench-coldstart/peers"
SITE=$("$PEERS/.venv/bin/python3" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
python3 "$ROOT/scripts/report/peer_sizes.py" \
    "lambda_runtime=$PEERS/lambda-runtime-echo/target/$TARGET/release-ultra/lambda-runtime-echo" \
    "awslambdaric=$SITE/awslambdaric,$PEERS/python" \
    "awslambdaric+numpy=$SITE/awslambdaric,$SITE/numpy,$SITE/numpy.libs,$PEERS/python-numpy" \
    >"$RAW/peer-sizes.json"

# ---- Part 5: sentence embeddings ----
if [ "$EMBED" = 1 ]; then
    step "Part 5: bench-coldstart/embed-peers.sh ${EMBED_ENV[*]} (log: $LOG/embed.log)"
    # A failure here must not lose Parts 1-4: the report says why Part 5 is missing.
    if env OUT="$RAW/embed" "${EMBED_ENV[@]}" "$ROOT/bench-coldstart/embed-peers.sh" >"$LOG/embed.md" 2>"$LOG/embed.log"; then
        echo ok >"$RAW/embed-state"
    else
        echo "bench-coldstart/embed-peers.sh failed (exit $?; see target/report/log/embed.log)" >"$RAW/embed-state"
    fi
else
    echo skipped >"$RAW/embed-state"
fi

# ---- the report ----
step "writing docs/REPORT.md and docs/report/*.svg"
echo "$(($(date +%s) - started))" >"$RAW/seconds"
python3 "$ROOT/scripts/report/generate.py" --raw "$RAW" --quick "$QUICK" \
    --out "$ROOT/docs/REPORT.md" --svg-dir "$ROOT/docs/report"
step "done in $(($(date +%s) - started)) s: docs/REPORT.md"
