#!/usr/bin/env bash
# Runs every test rayo has, installing what they need first:
#   formatting, lints and Markdown links; the workspace's unit and integration tests (the
#   runtime against the emulator, the kernels' backends, the compute API, deploy and bench
#   against a moto server on loopback); the size budget of every build tier on both
#   architectures, each build invoked once through the emulator; reproducible zips; the
#   arm64 tests under qemu; interoperability with cargo-lambda's Runtime API emulator; a new
#   user's walk through `cargo rayo` (cargo-rayo/tests/user.rs, inside `cargo test
#   --workspace`); the crates as they would be published; the embedding function (zips,
#   reproducibility, the float64 reference, cargo-lambda).
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

# Without the prerequisites nothing else can tell anything: stop at once. The Python tools
# (zig, cargo-zigbuild, moto, cargo-lambda) are in the project's virtual environment.
scripts/deps.sh test || { echo "test.sh: could not install the prerequisites"; exit 1; }
export RAYO_VENV="${RAYO_VENV:-$PWD/target/venv}"
export PATH="$RAYO_VENV/bin:$PATH"

step "cargo fmt --check" cargo fmt --all -- --check
step "cargo clippy (all targets, warnings are errors)" \
    cargo clippy --workspace --all-targets --quiet -- -D warnings
step "Markdown links: every relative link and #anchor resolves (no network)" \
    sh -c 'python3 scripts/check-links.py --self-test && python3 scripts/check-links.py'
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
step "cargo publish --dry-run (every publishable crate, packaged and built from the package)" \
    cargo publish --workspace --dry-run --locked --allow-dirty --quiet
# The embedding function: its zips (bootstrap + f16 weights, a layer), size budget, both
# architectures through the emulator; reproducible; against the float64 reference; under
# cargo-lambda's emulator.
step "embed: ./build.sh --bin embed" ./build.sh --bin embed
step "embed: reproducible zips" scripts/test-reproducible.sh --bin embed
step "embed: against the float64 reference (bootstrap/embed/check.sh)" bootstrap/embed/check.sh
step "embed: cargo-lambda interoperability" scripts/interop-cargo-lambda-embed.sh

echo
if [ "$failed" -gt 0 ]; then
    printf 'failed: %s\n' "${failures[@]}"
fi
echo "test.sh: $passed passed, $failed failed in $SECONDS s"
[ "$failed" -eq 0 ]
