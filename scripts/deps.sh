#!/usr/bin/env bash
# Installs what rayo's build and tests use, from the package registries only, skipping what
# is already there. `deps.sh build` for the build's needs, `deps.sh test` for everything.
#
# The Python tools go into one project-local virtual environment, never the global Python:
# $RAYO_VENV, default target/venv (rm -rf it to take them all away). Put "$RAYO_VENV/bin" on
# PATH to use them by hand; test.sh does. What it installs, roughly, on a fresh machine:
#   build: the pinned stable toolchain's two musl targets (~150 MB); ziglang + cargo-zigbuild
#          in the venv (~430 MB, zig 411 MB of it); `cargo rayo build --tier tiny|tiniest`
#          adds the pinned nightly with rust-src (~700 MB).
#   test:  the above, plus moto[server] (~300 MB with its dependencies) and cargo-lambda
#          (~35 MB) in the venv (767 MB in all, measured), and qemu-user-static (apt).
set -euo pipefail
what="${1:-test}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/pins.sh
. "$ROOT/scripts/pins.sh"
VENV="${RAYO_VENV:-$ROOT/target/venv}"

have() { command -v "$1" >/dev/null 2>&1; }
say() { echo "deps: $*" >&2; }

if ! have cargo || ! have rustup; then
    say "rustup and cargo are required: https://rustup.rs (they are not installed here)"
    exit 1
fi

want_targets=(x86_64-unknown-linux-musl aarch64-unknown-linux-musl)
rustup run "$STABLE_TOOLCHAIN" rustc -V >/dev/null 2>&1 ||
    { say "rustup toolchain install $STABLE_TOOLCHAIN"; rustup toolchain install "$STABLE_TOOLCHAIN" --profile minimal; }
installed=$(rustup target list --installed --toolchain "$STABLE_TOOLCHAIN")
for t in "${want_targets[@]}"; do
    grep -qx "$t" <<<"$installed" || { say "rustup target add --toolchain $STABLE_TOOLCHAIN $t"; rustup target add --toolchain "$STABLE_TOOLCHAIN" "$t"; }
done

# The project's virtual environment (python3 -m venv; Debian's python3 needs python3-venv).
if [ ! -x "$VENV/bin/python3" ]; then
    say "python3 -m venv $VENV"
    python3 -m venv "$VENV" || { say "cannot create $VENV: install python3-venv (apt-get install -y python3-venv)"; exit 1; }
fi
vpip() { # vpip MODULE-CHECK PACKAGE...: install into the venv unless the check passes
    local check="$1"
    shift
    [ -x "$VENV/bin/$check" ] && return 0
    say "pip install $* (into $VENV)"
    "$VENV/bin/python3" -m pip install --quiet --disable-pip-version-check "$@"
}
vpip cargo-zigbuild "ziglang==$ZIGLANG_VERSION" "cargo-zigbuild==$CARGO_ZIGBUILD_VERSION"

[ "$what" = build ] && exit 0

apt_install() {
    say "apt-get install $*"
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
    else
        sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
    fi
}
have qemu-aarch64-static || apt_install qemu-user-static
vpip moto_server "moto[server]"
vpip cargo-lambda "cargo-lambda==$CARGO_LAMBDA_VERSION"
have curl || apt_install curl
