#!/usr/bin/env bash
# Installs what rayo's build and tests use, from the package registries only, skipping what
# is already there. `deps.sh build` for build.sh's needs, `deps.sh test` for everything.
set -euo pipefail
what="${1:-test}"

have() { command -v "$1" >/dev/null 2>&1; }
say() { echo "deps: $*" >&2; }

if ! have cargo || ! have rustup; then
    say "rustup and cargo are required: https://rustup.rs (they are not installed here)"
    exit 1
fi

want_targets=(x86_64-unknown-linux-musl aarch64-unknown-linux-musl)
installed=$(rustup target list --installed)
for t in "${want_targets[@]}"; do
    grep -qx "$t" <<<"$installed" || { say "rustup target add $t"; rustup target add "$t"; }
done

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
have moto_server || { say "pip install moto[server]"; python3 -m pip install -q "moto[server]"; }
have cargo-lambda || { say "pip install cargo-lambda==1.9.2"; python3 -m pip install -q "cargo-lambda==1.9.2"; }
have curl || apt_install curl
