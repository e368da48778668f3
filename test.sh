#!/usr/bin/env bash
# Runs every test rayo has, installing what they need first:
#   formatting and lints; the workspace's unit and integration tests (the runtime against
#   the emulator, the kernels' backends, the compute API, deploy and bench against a moto
#   server on loopback); the size budget of every build tier on both architectures, each
#   build invoked once through the emulator; reproducible zips; the arm64 tests under qemu;
#   interoperability with cargo-lambda's Runtime API emulator.
set -uo pipefail
cd "$(dirname "$0")"

passed=0
failed=0
failures=()

step() {
    local name="$1"
    shift
    printf '\n\033[1m== %s\033[0m\n' "$name"
    local start=$SECONDS
    if "$@"; then
        passed=$((passed + 1))
        echo "-- ok: $name ($((SECONDS - start)) s)"
    else
        failed=$((failed + 1))
        failures+=("$name")
        echo "-- FAILED: $name ($((SECONDS - start)) s)"
    fi
}

# The --memory tests need root and a writable cpu cgroup, which CI's machines have; here a
# test that cannot run must fail, not pass as skipped.
export RAYO_REQUIRE_CGROUP=1

# Without the prerequisites nothing else can tell anything: stop at once.
scripts/deps.sh test || { echo "test.sh: could not install the prerequisites"; exit 1; }

step "cargo fmt --check" cargo fmt --all -- --check
step "cargo clippy (all targets, warnings are errors)" \
    cargo clippy --workspace --all-targets --quiet -- -D warnings
step "cargo test --workspace" cargo test --workspace
step "cargo test: streamed Function URL responses of typed HTTP events (feature http-events)" \
    cargo test -p rayo-bootstrap --features http-events --test streaming
step "report: cost arithmetic of docs/REPORT.md" python3 scripts/report/check.py .
step "embedding comparison: its verify and summary tools, embed-peers.sh parses" \
    sh -c 'python3 bench-coldstart/peers/embed/test_tools.py && bash -n bench-coldstart/embed-peers.sh'
step "build.sh: every tier, both architectures, size budgets" ./build.sh --check-all-tiers
step "reproducible zips" scripts/test-reproducible.sh
step "arm64 tests under qemu" scripts/test-aarch64.sh
step "cargo-lambda interoperability" scripts/interop-cargo-lambda.sh

echo
if [ "$failed" -gt 0 ]; then
    printf 'failed: %s\n' "${failures[@]}"
fi
echo "test.sh: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
