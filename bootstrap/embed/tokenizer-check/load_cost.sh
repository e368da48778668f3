#!/usr/bin/env bash
# What loading vocab.txt costs at cold start (Tokenizer::from_vocab_txt on the model's 30,522
# tokens), measured two ways for two builds of examples/vocab_load.rs:
#   - instructions executed by the one call (valgrind callgrind, inclusive Ir): exact and
#     independent of the machine's load, the figure to compare across changes;
#   - the call's wall time and minor page faults as the first call in a fresh process (the
#     Lambda init's situation), median of RUNS processes, printed with the load average.
# Builds: `bench` (opt-level 3, host glibc: what `cargo bench` runs) and `lambda` (the
# release-ultra profile the bootstrap uses: opt-level z, fat LTO, static musl; symbols kept).
#
# usage: bootstrap/embed/tokenizer-check/load_cost.sh [RUNS]   (default 21)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}/load-cost"
RUNS="${1:-21}"
command -v valgrind >/dev/null || { echo "load_cost: needs valgrind (apt-get install valgrind)" >&2; exit 3; }
vocab="$("$ROOT/bootstrap/embed/fetch-model.sh")/vocab.txt"

cd "$ROOT"
host="$(rustc -vV | sed -n 's/^host: //p')"
CARGO_TARGET_DIR="$TARGET" cargo build --quiet -j2 -p rayo-embed --example vocab_load \
    --release --config profile.release.debug=1 >&2
CARGO_TARGET_DIR="$TARGET" cargo build --quiet -j2 -p rayo-embed --example vocab_load \
    --profile release-ultra --target x86_64-unknown-linux-musl \
    --config profile.release-ultra.strip=false --config profile.release-ultra.debug=1 >&2

echo "load_cost: $(date -u +%FT%TZ), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "load_cost: $vocab ($(wc -l <"$vocab") lines, $(wc -c <"$vocab") bytes)"
for build in bench lambda; do
    case $build in
    bench) bin="$TARGET/release/examples/vocab_load" ;;
    lambda) bin="$TARGET/x86_64-unknown-linux-musl/release-ultra/examples/vocab_load" ;;
    esac
    out="$TARGET/callgrind.$build.out"
    valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect='*vocab_load::load*' \
        "$bin" "$vocab" >/dev/null 2>"$TARGET/callgrind.$build.log"
    ir=$(sed -n 's/^summary: *//p; s/^totals: *//p' "$out" | head -1)
    # Fresh processes: the first call's wall time and page faults; the warm median of 50 more.
    for _ in $(seq "$RUNS"); do "$bin" "$vocab" 50; done >"$TARGET/runs.$build.txt"
    med() { awk -v k="$1" '{for (i = 1; i < NF; i++) if ($i == k) print $(i + 1)}' "$TARGET/runs.$build.txt" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
    printf 'load_cost: %-6s instructions %s; first call %s us, %s minor faults; warm %s us (medians of %s processes, load %s)\n' \
        "$build" "$ir" "$(med cold_us)" "$(med cold_minor_faults)" "$(med warm_median_us)" "$RUNS" "$(cut -d' ' -f1 /proc/loadavg)"
done
echo "load_cost: per-function profile: callgrind_annotate --inclusive=yes $TARGET/callgrind.bench.out"
