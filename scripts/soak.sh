#!/usr/bin/env bash
# The soak run (docs/RELIABILITY.md): one bootstrap process serves 1,000,000 invocations
# through the emulator; fails on any failed invocation, on peak RSS (VmHWM) growing by more
# than 64 KiB between invocation 1,000 and the end, or on the fd count changing. Linux only
# (reads /proc). Not part of the default test suite: it takes minutes.
#
#   scripts/soak.sh                       # 1M invocations of the release `bootstrap`
#   scripts/soak.sh 200000                # fewer
#   RAYO_SOAK_BIN=path/to/bootstrap scripts/soak.sh   # e.g. build.sh's Lambda build
#
# The figures go to stderr and to target/soak-report.tsv.
set -euo pipefail
cd "$(dirname "$0")/.."
export RAYO_SOAK_INVOCATIONS="${1:-1000000}"
export RAYO_SOAK_REPORT="${RAYO_SOAK_REPORT:-$PWD/target/soak-report.tsv}"
mkdir -p target
echo "soak: $RAYO_SOAK_INVOCATIONS invocations, report in $RAYO_SOAK_REPORT" >&2
cargo test --release -p rayo-bootstrap --test soak -- --ignored --nocapture --test-threads 1
