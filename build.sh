#!/usr/bin/env bash
# build.sh: rayo's Lambda bootstraps for provided.al2023, static (musl) for x86_64 and arm64,
# as reproducible zips, with a size report checked against each tier's budget, then one
# invocation of each through the local emulator. A thin wrapper: the work is
# `cargo rayo build` (cargo-rayo/), which does the same for any crate.
#
# usage: ./build.sh [--arch x86_64|arm64|all] [--tiny | --tiniest] [--check-all-tiers]
#                   [--linker zig|lld] [--no-run] [--event JSON] [--bin NAME] [-h|--help]
#
# Exit status: 0 ok; 1 a binary is over its tier's budget; 2 usage error; 3 a tool is missing
# or a build failed; 4 the smoke invocation through the emulator failed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/pins.sh
. "$ROOT/scripts/pins.sh"
DEFAULT_EVENT='{"op":"dot","a":[1,2,3],"b":[4,5,6]}'

die() { # die STATUS MESSAGE...
    local status="$1"
    shift
    printf 'build.sh: error: %s\n' "$*" >&2
    exit "$status"
}

usage() {
    sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
    cat <<'EOF'

Tiers (budget for the stripped binary, both architectures; without a tier flag, the package's
[package.metadata.rayo] tier: the embedding function builds --tiny):
  (default)  stable toolchain, release-ultra profile                    500,000 B
  --tiny     pinned nightly, -Zbuild-std=std,panic_abort, no backtrace,  262,144 B
             std's optimize_for_size, no unwind tables
             (std's panic hook still runs, so rayo still posts a panic to /error)
  --tiniest  --tiny plus -Cpanic=immediate-abort, bootstrap features     131,072 B
             --no-default-features --features neon (scalar kernels on x86_64)
             (a panic aborts at once with no message: Lambda shows a bare Runtime.ExitError)

Outputs: target/lambda/{x86_64,arm64}/{bootstrap,bootstrap.zip} (for --bin NAME other than
bootstrap: target/lambda/NAME/ARCH/); --check-all-tiers builds all three tiers into
target/lambda/tiers/TIER/ARCH/ and leaves target/lambda/ARCH/ alone.
Linking (--linker): zig (default, from the project's venv target/venv) or lld (rust-lld and
rustup's musl; arm64 --tiny/--tiniest use zig either way). See docs/size.md.
--no-run skips the emulator invocation. --event JSON changes the sample event.
Environment: RAYO_STABLE_TOOLCHAIN, RAYO_NIGHTLY_TOOLCHAIN override the pinned toolchains;
RAYO_RUSTFLAGS adds rustc flags (space-separated) to every bootstrap build; RAYO_FEATURES
adds cargo features (RAYO_FEATURES=streaming ./build.sh --bin stream); RAYO_VENV moves the
virtual environment.
EOF
}

# ---- arguments: build.sh's, mapped onto cargo rayo build's ----
args=(build --manifest-path "$ROOT/Cargo.toml")
arch="all"
tier=""
all_tiers=0
run=1
event="$DEFAULT_EVENT"
bin="bootstrap"
linker="zig"
while [ $# -gt 0 ]; do
    case "$1" in
    --arch)
        [ $# -ge 2 ] || die 2 "--arch needs a value: x86_64, arm64 or all"
        case "$2" in
        x86_64 | amd64 | arm64 | aarch64 | all) arch="$2" ;;
        *) die 2 "--arch '$2' is not one of x86_64, arm64, all" ;;
        esac
        shift 2
        ;;
    --tiny | --tiniest)
        [ -z "$tier" ] || die 2 "--$tier and $1 both given: pick one tier"
        tier="${1#--}"
        shift
        ;;
    --check-all-tiers) all_tiers=1 && shift ;;
    --no-run) run=0 && shift ;;
    --event)
        [ $# -ge 2 ] || die 2 "--event needs a JSON value"
        event="$2"
        shift 2
        ;;
    --linker)
        [ $# -ge 2 ] || die 2 "--linker needs a value: zig or lld"
        case "$2" in
        zig | lld) linker="$2" ;;
        *) die 2 "--linker '$2' is not one of zig, lld" ;;
        esac
        shift 2
        ;;
    --bin)
        [ $# -ge 2 ] || die 2 "--bin needs a binary name: bootstrap (default), embed, or a fixture of rayo-bootstrap"
        bin="$2"
        shift 2
        ;;
    -h | --help)
        usage
        exit 0
        ;;
    *) die 2 "unknown argument '$1' (see ./build.sh --help)" ;;
    esac
done
if [ "$all_tiers" = 1 ]; then
    [ -z "$tier" ] || die 2 "--check-all-tiers builds every tier: drop --$tier"
    tier="all"
fi
# The package that owns the binary; the embedding function's sample event is a request.
package="rayo-bootstrap"
if [ "$bin" = embed ]; then
    package="rayo-embed"
    [ "$event" != "$DEFAULT_EVENT" ] || event='{"inputs":["The weather is lovely today."]}'
fi
# No tier flag: the package's [package.metadata.rayo] tier (the embedding function's is tiny),
# else the default tier.
args+=(-p "$package" --bin "$bin" --arch "$arch" --linker "$linker")
[ -z "$tier" ] || args+=(--tier "$tier")
[ -z "${RAYO_FEATURES:-}" ] || args+=(--features "$RAYO_FEATURES")
[ "$run" = 0 ] || args+=(--event "$event")

# ---- cargo-rayo itself: a host build with the pinned stable toolchain ----
command -v rustup >/dev/null 2>&1 ||
    die 3 "rustup not found. Install it (https://rustup.rs), then run ./build.sh again."
if ! rustup run "$STABLE_TOOLCHAIN" rustc -V >/dev/null 2>&1; then
    echo "build.sh: installing Rust toolchain $STABLE_TOOLCHAIN" >&2
    rustup toolchain install "$STABLE_TOOLCHAIN" --profile minimal >&2 ||
        die 3 "cannot install Rust toolchain $STABLE_TOOLCHAIN (rustup toolchain install $STABLE_TOOLCHAIN failed)"
fi
export RAYO_VENV="${RAYO_VENV:-$ROOT/target/venv}"
echo "build.sh: cargo rayo ${args[*]}" >&2
status=0
rustup run "$STABLE_TOOLCHAIN" cargo run --quiet --locked --manifest-path "$ROOT/Cargo.toml" \
    -p cargo-rayo -- rayo "${args[@]}" || status=$?
# 101 is cargo's own failure (cargo-rayo did not compile, or panicked): a failed build.
[ "$status" != 101 ] || die 3 "cargo run -p cargo-rayo failed (see above)"
exit "$status"
