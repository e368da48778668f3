#!/usr/bin/env bash
# What loading vocab.txt costs at cold start (Tokenizer::from_vocab_txt on the model's 30,522
# tokens), measured two ways for two builds of examples/vocab_load.rs:
#   - instructions executed by the one call (valgrind callgrind, inclusive Ir): exact and
#     independent of the machine's load, the figure to compare across changes;
#   - the call's wall time and minor page faults as the first call in a fresh process (the
#     Lambda init's situation), median of RUNS processes run in turn with the other variants,
#     printed with the load average.
# Builds: `bench` (opt-level 3, host glibc: what `cargo bench` runs) and `lambda` (the
# release-ultra profile the bootstrap uses: opt-level z, fat LTO, static musl; symbols kept).
# Variants: `owned` (the Vec std::fs::read returned, as the init passes it), `borrowed` (a
# slice, copied first) and, given BASE_REV, that revision's from_vocab_txt on a slice.
#
# usage: bootstrap/embed/tokenizer-check/load_cost.sh [RUNS [BASE_REV]]   (default 21 runs)
#   e.g. load_cost.sh 21 REV   (REV: the tokenizer before the load was reworked, named in
#   docs/measurements/embed.md)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}/load-cost"
RUNS="${1:-21}"
BASE="${2:-}"
command -v valgrind >/dev/null || { echo "load_cost: needs valgrind (apt-get install valgrind)" >&2; exit 3; }
vocab="$("$ROOT/bootstrap/embed/fetch-model.sh")/vocab.txt"
musl=x86_64-unknown-linux-musl

# build SRC_ROOT OUT_DIR: both builds of the example.
build() {
    (cd "$1" && CARGO_TARGET_DIR="$2" cargo build --quiet -j2 -p rayo-embed --example vocab_load \
        --release --config profile.release.debug=1 &&
        CARGO_TARGET_DIR="$2" cargo build --quiet -j2 -p rayo-embed --example vocab_load \
            --profile release-ultra --target "$musl" \
            --config profile.release-ultra.strip=false --config profile.release-ultra.debug=1) >&2
}
build "$ROOT" "$TARGET/head"
variants=(owned borrowed)
if [ -n "$BASE" ]; then
    src="$TARGET/base-src"
    rm -rf "$src" && mkdir -p "$src"
    git -C "$ROOT" archive "$BASE" | tar -x -C "$src"
    # This example, on the old API (a slice).
    mkdir -p "$src/bootstrap/embed/examples"
    sed 's/Tokenizer::from_vocab_txt(bytes)/Tokenizer::from_vocab_txt(\&bytes)/' \
        "$ROOT/bootstrap/embed/examples/vocab_load.rs" >"$src/bootstrap/embed/examples/vocab_load.rs"
    build "$src" "$TARGET/base"
    variants+=(base)
fi

bin() { # build variant
    local dir=head
    [ "$2" = base ] && dir=base
    case $1 in
    bench) echo "$TARGET/$dir/release/examples/vocab_load" ;;
    lambda) echo "$TARGET/$dir/$musl/release-ultra/examples/vocab_load" ;;
    esac
}
run() { # build variant [args]
    local b v
    b=$(bin "$1" "$2")
    v=$2
    shift 2
    if [ "$v" = borrowed ]; then VOCAB_LOAD_BORROWED=1 "$b" "$@"; else "$b" "$@"; fi
}

echo "load_cost: $(date -u +%FT%TZ), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "load_cost: $vocab ($(wc -l <"$vocab") lines, $(wc -c <"$vocab") bytes)${BASE:+, base $BASE}"
for build in bench lambda; do
    for v in "${variants[@]}"; do
        out="$TARGET/callgrind.$build.$v.out"
        envs=()
        [ "$v" = borrowed ] && envs=(VOCAB_LOAD_BORROWED=1)
        env "${envs[@]}" valgrind --tool=callgrind --callgrind-out-file="$out" \
            --toggle-collect='*vocab_load::load*' "$(bin "$build" "$v")" "$vocab" \
            >/dev/null 2>"$TARGET/callgrind.$build.$v.log"
        : >"$TARGET/runs.$build.$v.txt"
    done
    # Fresh processes, the variants in turn: the first call's wall time and page faults, and
    # the median of 50 more calls in the same process.
    for _ in $(seq "$RUNS"); do
        for v in "${variants[@]}"; do run "$build" "$v" "$vocab" 50 >>"$TARGET/runs.$build.$v.txt"; done
    done
    for v in "${variants[@]}"; do
        f="$TARGET/runs.$build.$v.txt"
        med() { awk -v k="$1" '{for (i = 1; i < NF; i++) if ($i == k) print $(i + 1)}' "$f" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
        ir=$(sed -n 's/^summary: *//p; s/^totals: *//p' "$TARGET/callgrind.$build.$v.out" | head -1)
        printf 'load_cost: %-6s %-8s instructions %9s; first call %7s us, %3s minor faults; warm %7s us (medians of %s processes, load %s)\n' \
            "$build" "$v" "$ir" "$(med cold_us)" "$(med cold_minor_faults)" "$(med warm_median_us)" "$RUNS" "$(cut -d' ' -f1 /proc/loadavg)"
    done
done
echo "load_cost: per-function profile: callgrind_annotate --inclusive=yes $TARGET/callgrind.bench.owned.out"
