#!/usr/bin/env bash
# Cross-architecture checks on an x86_64 machine, under qemu user-mode emulation:
#   1. `cargo test -p rayo-kernels -p rayo-runtime --target aarch64-unknown-linux-musl`: the kernels'
#      NEON path and the runtime's tests, each test binary run by qemu-aarch64-static (the
#      cargo runner in .cargo/config.toml: binfmt_misc is not registered on these machines).
#   2. `cargo test -p rayo-embed -p rayo-embed-ops --target aarch64-unknown-linux-musl`: the
#      embedding function's tests, its bootstrap spawned through qemu (RAYO_TEST_RUNNER);
#   3. one invocation of the arm64 bootstrap (target/lambda/arm64/bootstrap, built by
#      ./build.sh --arch arm64) through the host emulator, the bootstrap run by qemu.
#
# usage: scripts/test-aarch64.sh [--tiny | --tiniest]   (tier of the bootstrap in step 2)
#
# Installs qemu-user-static with apt-get when it is missing and we are root; otherwise says
# how. Ends with "aarch64: N passed, N failed"; exit 0 only when every step passed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/pins.sh
. "$ROOT/scripts/pins.sh"
TRIPLE=aarch64-unknown-linux-musl
EVENT='{"op":"dot","a":[1,2,3],"b":[4,5,6]}'
TARGET_ROOT="${CARGO_TARGET_DIR:-$ROOT/target}"

case "${1:-}" in
"" | --tiny | --tiniest) ;;
*)
    echo "usage: scripts/test-aarch64.sh [--tiny | --tiniest]" >&2
    exit 2
    ;;
esac

fail() {
    echo "test-aarch64: $*" >&2
    echo "aarch64: 0 passed, 1 failed"
    exit 1
}

if ! command -v qemu-aarch64-static >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "== installing qemu-user-static (apt-get)"
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user-static; } >&2 ||
            fail "apt-get install qemu-user-static failed"
    else
        fail "qemu-aarch64-static is not installed: run 'apt-get install -y qemu-user-static' as root"
    fi
fi
if ! rustup target list --installed --toolchain "$STABLE_TOOLCHAIN" | grep -qx "$TRIPLE"; then
    rustup target add --toolchain "$STABLE_TOOLCHAIN" "$TRIPLE" >&2 ||
        fail "cannot add target $TRIPLE to $STABLE_TOOLCHAIN"
fi

passed=0
failed=0

echo "== 1/3: cargo test -p rayo-kernels -p rayo-runtime --target $TRIPLE (under qemu-aarch64-static)"
if rustup run "$STABLE_TOOLCHAIN" cargo test --locked -p rayo-kernels -p rayo-runtime --target "$TRIPLE"; then
    passed=$((passed + 1))
else
    echo "FAIL: aarch64 cargo test"
    failed=$((failed + 1))
fi

echo "== 2/3: cargo test -p rayo-embed -p rayo-embed-ops --target $TRIPLE (the embed bootstrap through the emulator, both under qemu; arm64 speed is not measured here)"
if RAYO_TEST_RUNNER=qemu-aarch64-static rustup run "$STABLE_TOOLCHAIN" cargo test --locked \
    -p rayo-embed -p rayo-embed-ops --target "$TRIPLE"; then
    passed=$((passed + 1))
else
    echo "FAIL: aarch64 cargo test -p rayo-embed -p rayo-embed-ops"
    failed=$((failed + 1))
fi

echo "== 3/3: arm64 bootstrap under qemu through the host emulator"
if ! "$ROOT/build.sh" --arch arm64 --no-run "$@"; then
    echo "FAIL: ./build.sh --arch arm64 $*"
    failed=$((failed + 1))
else
    rustup run "$STABLE_TOOLCHAIN" cargo build --locked --release -p rayo-emulator --bin emulator \
        --target-dir "$TARGET_ROOT" >&2 || fail "building the emulator failed"
    set +e
    out="$(timeout 120 "$TARGET_ROOT/release/emulator" --event "$EVENT" --timeout 30 -- \
        qemu-aarch64-static "$TARGET_ROOT/lambda/arm64/bootstrap")"
    status=$?
    set -e
    echo "response: $out"
    if [ "$status" -eq 0 ] && [ -n "$out" ]; then
        passed=$((passed + 1))
    else
        echo "FAIL: emulator exit $status, response '${out}'"
        failed=$((failed + 1))
    fi
fi

echo "aarch64: $passed passed, $failed failed (speed on arm64 is not measured: qemu emulates it)"
[ "$failed" -eq 0 ]
