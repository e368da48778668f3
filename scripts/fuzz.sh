#!/usr/bin/env bash
# Runs every cargo-fuzz target in turn (libFuzzer, nightly), each for SECONDS (default 600)
# and at least RAYO_FUZZ_MIN_EXECS executions (default 10M; a slow target runs on, up to 3x
# SECONDS), then writes one summary line per target to fuzz/logs/summary.tsv: target, seconds, total
# executions, executions per second, crashes/timeouts/OOMs (artifacts written), the exit code.
#
#   scripts/fuzz.sh                   # all targets, 10 minutes each
#   scripts/fuzz.sh 60 http_response  # one target for a minute
#
# Needs: rustup toolchain nightly, `cargo install cargo-fuzz --locked`. Not part of the default
# test suite; `cargo test` replays the committed seeds and regressions (tests/fuzz_replay.rs).
# A crash leaves its input in fuzz/artifacts/<target>/: fix it, then copy the input to
# fuzz/regressions/<target>/ so the replay test keeps it covered. To refresh the committed
# corpus after a run: `cargo +nightly fuzz cmin -O T corpus/T` (for tokenizer, vocab and
# weight_file add `-s none --target-dir target/no-asan`, see below) and copy corpus/T to
# minimized/T.
set -uo pipefail
cd "$(dirname "$0")/../fuzz"

seconds="${1:-600}"
shift || true
all=(http_response context compute_request emulator_request deploy_config tokenizer vocab weight_file)
targets=("${@:-${all[@]}}")
toolchain="${RAYO_FUZZ_TOOLCHAIN:-nightly}"
min_execs="${RAYO_FUZZ_MIN_EXECS:-10000000}"
# The machine is shared: fuzz at low priority. One libFuzzer process (no -jobs).
nice_cmd=(nice -n "${RAYO_FUZZ_NICE:-10}")

if ! cargo "+$toolchain" fuzz --version >/dev/null 2>&1; then
    echo "fuzz: needs cargo-fuzz and a nightly toolchain:" >&2
    echo "  rustup toolchain install nightly && cargo install cargo-fuzz --locked --version 0.13.2" >&2
    exit 3
fi

mkdir -p logs
summary=logs/summary.tsv
[ -f "$summary" ] || printf 'target\tseconds\texecs\texecs_per_s\tartifacts\texit\tdate\n' >"$summary"

# Targets over safe code (rayo-embed's tokenizer and weight-file reader) run without AddressSanitizer:
# it checks memory accesses that safe Rust already bounds-checks, and cost them 3.7x their
# executions (1,290 vs 4,850 per CPU-second, Dec 2026). Built in their own target dir, so the
# ASan builds of the others stay. RAYO_FUZZ_ASAN_ALL=1 puts them back under ASan. weight_file
# also reaches the kernels' `unsafe` SIMD code (a loaded file is embedded): replay its corpus
# under ASan after a run, `cargo +nightly fuzz run -O weight_file minimized/weight_file -- -runs=0`.
no_asan=" tokenizer vocab weight_file "
[ "${RAYO_FUZZ_ASAN_ALL:-0}" = 1 ] && no_asan=" "
# Inputs up to 8 KiB, but texts for the tokenizer up to 1 KiB: enough for every state it has
# (a 101-character word, 255 tokens and more past a cut) and its time per input grows with
# the text (the encoders and the reference run over all of it).
max_len_of() {
    case "$1" in
    tokenizer) echo 1024 ;;
    *) echo 8192 ;;
    esac
}
build_flags() {
    case "$no_asan" in
    *" $1 "*) echo "-O -s none --target-dir target/no-asan" ;;
    *) echo "-O" ;;
    esac
}

for t in "${targets[@]}"; do
    # shellcheck disable=SC2046
    "${nice_cmd[@]}" cargo "+$toolchain" fuzz build $(build_flags "$t") "$t" || exit 1
done

# One libFuzzer run of target $1 with extra flags; appends to its log, prints the executions.
run_once() {
    local t=$1
    shift
    # corpus/$t is the working corpus (grows, not committed); seeds/$t and minimized/$t (a
    # past run's corpus after `cargo fuzz cmin`) are read-only input.
    mkdir -p "minimized/$t"
    # shellcheck disable=SC2046
    "${nice_cmd[@]}" cargo "+$toolchain" fuzz run $(build_flags "$t") "$t" "corpus/$t" "seeds/$t" "minimized/$t" -- \
        -timeout=10 -rss_limit_mb=2048 -max_len="$(max_len_of "$t")" -print_final_stats=1 "$@" >>"logs/$t.log" 2>&1
    code=$?
    # libFuzzer's final stats: "stat::number_of_executed_units: N".
    sed -n 's/^stat::number_of_executed_units: *//p' "logs/$t.log" | tail -1
    return $code
}

for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    : >"logs/$t.log"
    before=$(find "artifacts/$t" -type f | wc -l)
    echo "fuzz: $t for ${seconds}s, at least $min_execs executions (log: fuzz/logs/$t.log)" >&2
    start=$(date +%s)
    execs=$(run_once "$t" -max_total_time="$seconds")
    code=$?
    execs=${execs:-0}
    # A slower target runs on until it has done min_execs, for at most 3x the time.
    while [ "$code" = 0 ] && [ "$execs" -lt "$min_execs" ]; do
        left=$((3 * seconds - ($(date +%s) - start)))
        [ "$left" -gt 0 ] || break
        more=$(run_once "$t" -runs=$((min_execs - execs)) -max_total_time="$left")
        code=$?
        execs=$((execs + ${more:-0}))
    done
    took=$(($(date +%s) - start))
    after=$(find "artifacts/$t" -type f | wc -l)
    rate=$((execs / (took > 0 ? took : 1)))
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$took" "$execs" "$rate" "$((after - before))" \
        "$code" "$(date -u +%FT%TZ) sanitizer=$(case "$no_asan" in *" $t "*) echo none ;; *) echo address ;; esac)" >>"$summary"
    echo "fuzz: $t: $execs executions in ${took}s ($rate/s), new artifacts: $((after - before)), exit $code" >&2
done
column -t -s $'\t' "$summary" >&2
