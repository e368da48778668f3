#!/usr/bin/env bash
# Runs every test rayo has: formatting, lints, the workspace's unit and integration tests
# (the deploy and bench tests against a moto server on loopback), the aarch64 tests under
# qemu, and the size budgets of every build tier. Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "prerequisites"
scripts/deps.sh test

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "cargo test --workspace"
cargo test --workspace

step "done"
