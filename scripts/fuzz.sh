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
# corpus after a run: `cargo +nightly fuzz cmin -O T corpus/T` and copy corpus/T to
# minimized/T.
set -uo pipefail
cd "$(dirname "$0")/../fuzz"

seconds="${1:-600}"
shift || true
all=(http_response context compute_request emulator_request deploy_config weight_file)
targets=("${@:-${all[@]}}")
toolchain="${RAYO_FUZZ_TOOLCHAIN:-nightly}"
min_execs="${RAYO_FUZZ_MIN_EXECS:-10000000}"
# cargo-fuzz's sanitizer (address by default). RAYO_FUZZ_SANITIZER=none runs a safe-Rust
# target (weight_file: ~20x faster) without ASan's allocator; panics are still crashes.
sanitizer="${RAYO_FUZZ_SANITIZER:-address}"
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

"${nice_cmd[@]}" cargo "+$toolchain" fuzz build -O -s "$sanitizer" || exit 1

# One libFuzzer run of target $1 with extra flags; appends to its log, prints the executions.
run_once() {
    local t=$1
    shift
    # corpus/$t is the working corpus (grows, not committed); seeds/$t and minimized/$t (a
    # past run's corpus after `cargo fuzz cmin`) are read-only input.
    mkdir -p "minimized/$t"
    "${nice_cmd[@]}" cargo "+$toolchain" fuzz run -O -s "$sanitizer" "$t" "corpus/$t" "seeds/$t" "minimized/$t" -- \
        -timeout=10 -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 "$@" >>"logs/$t.log" 2>&1
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
        "$code" "$(date -u +%FT%TZ) sanitizer=$sanitizer" >>"$summary"
    echo "fuzz: $t: $execs executions in ${took}s ($rate/s), new artifacts: $((after - before)), exit $code" >&2
done
column -t -s $'\t' "$summary" >&2
