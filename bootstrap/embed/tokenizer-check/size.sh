#!/usr/bin/env bash
# Bytes the tokenizer adds to a static release-ultra binary: two std programs that read a file
# and print a number, one also loading vocab.txt and encoding with rayo_embed::tokenizer, both
# built like the Lambda bootstraps (musl, opt-level z, fat LTO, panic=abort, strip), for
# x86_64 and arm64. Prints one line per architecture. The scratch crate lives in target/.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
DIR="$TARGET/tokenizer-size"
mkdir -p "$DIR/src/bin"
cat >"$DIR/Cargo.toml" <<TOML
[package]
name = "tokenizer-size"
version = "0.0.0"
edition = "2021"
publish = false
[dependencies]
rayo-embed = { path = "$ROOT/bootstrap/embed" }
[workspace]
[profile.release]
opt-level = "z"
lto = "fat"
codegen-units = 1
panic = "abort"
strip = true
debug = false
TOML
cat >"$DIR/src/bin/without.rs" <<'RS'
fn main() {
    let path = std::env::args().nth(1).unwrap_or_default();
    let bytes = std::fs::read(&path).unwrap_or_default();
    let text = std::env::args().nth(2).unwrap_or_default();
    println!("{} {}", bytes.len(), text.len());
}
RS
cat >"$DIR/src/bin/with.rs" <<'RS'
fn main() {
    let path = std::env::args().nth(1).unwrap_or_default();
    let bytes = std::fs::read(&path).unwrap_or_default();
    let text = std::env::args().nth(2).unwrap_or_default();
    match rayo_embed::tokenizer::Tokenizer::from_vocab_txt(bytes) {
        Ok(t) => {
            let mut ids = Vec::new();
            let n = t.encode_counting(&text, 256, &mut ids);
            println!("{} {n} {ids:?}", t.vocab_size());
        }
        Err(e) => println!("{e}"),
    }
}
RS
for arch in x86_64 aarch64; do
    triple="$arch-unknown-linux-musl"
    build=(cargo zigbuild)  # as build.sh links by default
    (cd "$DIR" && "${build[@]}" --quiet --release --target "$triple" -j2) >&2
    a=$(stat -c %s "$DIR/target/$triple/release/without")
    b=$(stat -c %s "$DIR/target/$triple/release/with")
    echo "$triple: without $a B, with tokenizer $b B, tokenizer adds $((b - a)) B"
done
