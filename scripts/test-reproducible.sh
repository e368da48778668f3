#!/usr/bin/env bash
# Proves build.sh's output is reproducible: builds the bootstraps twice, once in this checkout
# (its usual target dir, possibly warm) and once from a copy of the tracked files at another
# path with a fresh, empty target dir, then compares the binaries' and zips' sha256.
#
# usage: scripts/test-reproducible.sh [--arch x86_64|arm64|all] [--tiny | --tiniest | --check-all-tiers]
#   (arguments go to build.sh as given; default: the stable tier on both architectures)
#
# Ends with "reproducible: N passed, N failed"; exit 0 only when every artifact matched.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Both builds use this checkout's virtual environment (zig, cargo-zigbuild): the same
# pinned tools, installed once.
export RAYO_VENV="${RAYO_VENV:-$ROOT/target/venv}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/rayo-repro.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# build.sh exits 1 when a binary is over budget: it was still built, and its bytes still have
# to be reproducible, so only other failures stop this test.
build() { # build N COMMAND...
    local n="$1" status=0
    shift
    "$@" --no-run ${args[@]+"${args[@]}"} >"$WORK/build$n.out" || status=$?
    if [ "$status" -ne 0 ] && [ "$status" -ne 1 ]; then
        cat "$WORK/build$n.out"
        echo "reproducible: build $n failed (build.sh exit $status)"
        exit 1
    fi
}
args=("$@")

echo "== build 1: $ROOT"
build 1 "$ROOT/build.sh"

# The second checkout holds exactly the tracked files (with any uncommitted edits), at a
# different absolute path, so embedded paths would show up as a difference.
mkdir -p "$WORK/elsewhere/rayo-copy"
git -C "$ROOT" ls-files -z | (cd "$ROOT" && tar --null -T - -cf -) | tar -xf - -C "$WORK/elsewhere/rayo-copy"
echo "== build 2: $WORK/elsewhere/rayo-copy (fresh target dir)"
CARGO_TARGET_DIR="$WORK/target2" build 2 "$WORK/elsewhere/rayo-copy/build.sh"

passed=0
failed=0
checked=0
TARGET1="${CARGO_TARGET_DIR:-$ROOT/target}"
while IFS= read -r -d '' info2; do
    rel="${info2#"$WORK/target2/"}"
    dir1="$(dirname "$TARGET1/$rel")"
    dir2="$(dirname "$info2")"
    for f in bootstrap bootstrap.zip; do
        checked=$((checked + 1))
        if [ ! -f "$dir1/$f" ] || [ ! -f "$dir2/$f" ]; then
            echo "FAIL $(dirname "$rel")/$f: missing from build 1 or build 2"
            failed=$((failed + 1))
            continue
        fi
        a="$(sha256sum "$dir1/$f" | cut -d' ' -f1)"
        b="$(sha256sum "$dir2/$f" | cut -d' ' -f1)"
        if [ "$a" = "$b" ]; then
            echo "ok   $(dirname "$rel")/$f  sha256 $a"
            passed=$((passed + 1))
        else
            echo "FAIL $(dirname "$rel")/$f  build 1 $a  build 2 $b"
            failed=$((failed + 1))
        fi
    done
done < <(find "$WORK/target2/lambda" -name bootstrap.zip.info -print0 | sort -z)

if [ "$checked" -eq 0 ]; then
    echo "FAIL: build 2 wrote no bootstrap.zip.info: nothing was compared"
    failed=1
fi
# Lambda's CodeSha256 as build.sh printed it, for the record.
grep -A2 'bootstrap.zip$' "$WORK/build2.out" || true
echo "reproducible: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
