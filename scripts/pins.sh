# shellcheck shell=bash disable=SC2034 # the variables are used by the scripts that source this
# Sourced by build.sh and the scripts/test-*.sh: the toolchain and tool versions a Lambda
# build's bytes depend on. Change them here, in one place, and re-measure the size report.

# Stable tier.
STABLE_TOOLCHAIN="${RAYO_STABLE_TOOLCHAIN:-1.95.0}"
# --tiny/--tiniest: rustc 1.97.0-nightly (e50aa6fba 2026-05-19); a channel is dated the day
# after its commit. --tiniest uses its `-Zunstable-options -Cpanic=immediate-abort` (verified:
# a panic then traps, SIGILL, without running the hook).
NIGHTLY_TOOLCHAIN="${RAYO_NIGHTLY_TOOLCHAIN:-nightly-2026-05-20}"
# Every build.sh build links with zig (its musl and libunwind) through cargo-zigbuild, both
# from PyPI; arm64 --tiny/--tiniest need it even with --linker lld.
ZIGLANG_VERSION="0.17.1"
CARGO_ZIGBUILD_VERSION="0.24.0"
# cargo-lambda (PyPI), whose Runtime API emulator the interoperability test and the
# cargo-rayo integration test run rayo's bootstraps under.
CARGO_LAMBDA_VERSION="1.9.2"
