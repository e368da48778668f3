#!/usr/bin/env bash
# The figures behind cargo-rayo/README.md's claims, measured again on this machine:
#   1. the typed hello world of `cargo rayo new` (the default template): stripped size per tier
#      and architecture beside rayo's own echo bootstrap in the same tier (goal: within 2%);
#      with RAYO_BEFORE=COMMIT also the size cost of the InvalidEvent explanations (the
#      same crate built against rayo at COMMIT, before them);
#   2. the time from `cargo rayo new` to a first answer from `cargo rayo invoke`, on a warm
#      machine (toolchains, zig and the crates.io cache present): with a fresh target dir for
#      the new crate (what a user has) and with one already used by an earlier crate;
#   3. the commands a new user types, counted in the README's "Your own function".
#
# usage: scripts/cargo-rayo-figures.sh [sizes] [time] [commands]     (default: all three)
#        RAYO_BEFORE="$(git log -1 --format=%H --grep='InvalidEvent messages')^" \
#          scripts/cargo-rayo-figures.sh sizes
# Prints Markdown tables; every line names the load average when it was taken. Work files
# go to target/figures/ (removed and rewritten each run).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
WORK="$ROOT/target/figures"
export RAYO_VENV="${RAYO_VENV:-$ROOT/target/venv}"
what=("$@")
[ ${#what[@]} -gt 0 ] || what=(sizes time commands)
load() { cut -d' ' -f1 /proc/loadavg; }

if [[ " ${what[*]} " == *" sizes "* || " ${what[*]} " == *" time "* ]]; then
    echo "building cargo-rayo (host)" >&2
    cargo build --quiet --locked -p cargo-rayo
fi
CR="$ROOT/target/debug/cargo-rayo"
rm -rf "$WORK"
mkdir -p "$WORK"

size_of() { stat -c %s "$1"; }

if [[ " ${what[*]} " == *" sizes "* ]]; then
    echo "== sizes (load $(load) at start)" >&2
    (cd "$WORK" && "$CR" rayo new hello --template typed >/dev/null)
    "$CR" rayo build --manifest-path "$WORK/hello/Cargo.toml" --tier all --arch all \
        >"$WORK/typed.report" 2>"$WORK/typed.log" || { tail -20 "$WORK/typed.log"; exit 1; }
    ./build.sh --check-all-tiers --no-run --bin echo >"$WORK/echo.report" 2>"$WORK/echo.log" ||
        { tail -20 "$WORK/echo.log"; exit 1; }
    if [ -n "${RAYO_BEFORE:-}" ]; then
        mkdir -p "$WORK/before-rayo"
        git archive "$RAYO_BEFORE" | tar -x -C "$WORK/before-rayo"
        (cd "$WORK" && mkdir -p before && cd before && "$CR" rayo new hello --template typed \
            --rayo-path "$WORK/before-rayo" >/dev/null)
        # The old runtime has neither the miniserde re-export nor Context::for_test: the crate
        # names miniserde itself and drops its unit test (not in the binary either way).
        sed -i 's/^rayo-runtime = .*/&\nminiserde = "0.1.46"/' "$WORK/before/hello/Cargo.toml"
        python3 - "$WORK/before/hello/src/main.rs" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
s = s.replace("use rayo_runtime::miniserde::{self, Deserialize, Serialize};", "use miniserde::{Deserialize, Serialize};")
s = s[: s.index("#[cfg(test)]")]
open(p, "w").write(s)
PY
        "$CR" rayo build --manifest-path "$WORK/before/hello/Cargo.toml" --tier all --arch all \
            >"$WORK/before.report" 2>"$WORK/before.log" || { tail -20 "$WORK/before.log"; exit 1; }
    fi
    echo
    echo "Stripped bytes, \`cargo rayo build --tier all --arch all\` of \`cargo rayo new hello\` (typed) beside"
    echo "\`./build.sh --check-all-tiers --bin echo\`; $(date -u +%F), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(load) at the end, commit $(git rev-parse --short HEAD)."
    echo
    header="| tier | arch | typed hello | rayo echo | typed / echo |"
    [ -z "${RAYO_BEFORE:-}" ] || header="$header typed before $RAYO_BEFORE | explanations cost |"
    echo "$header"
    echo "$header" | sed 's/[^|]/-/g; s/--*/---/g'
    for tier in stable tiny tiniest; do
        for arch in x86_64 arm64; do
            t=$(size_of "$WORK/hello/target/lambda/hello/tiers/$tier/$arch/bootstrap")
            e=$(size_of "$ROOT/target/lambda/echo/tiers/$tier/$arch/bootstrap")
            row="| $tier | $arch | $t | $e | $(awk -v a="$t" -v b="$e" 'BEGIN { printf "%.4f (%+.2f%%)", a / b, (a / b - 1) * 100 }') |"
            if [ -n "${RAYO_BEFORE:-}" ]; then
                b=$(size_of "$WORK/before/hello/target/lambda/hello/tiers/$tier/$arch/bootstrap")
                row="$row $b | $((t - b)) |"
            fi
            echo "$row"
        done
    done
fi

if [[ " ${what[*]} " == *" time "* ]]; then
    echo "== time to a first answer (load $(load) at start)" >&2
    first_answer() { # first_answer LABEL TARGET_DIR
        local label="$1" target="$2" dir="$WORK/time-$1" port
        port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
        mkdir -p "$dir"
        local l0 t0 t1
        l0=$(load)
        t0=$(date +%s.%N)
        (cd "$dir" && CARGO_TARGET_DIR="$target" "$CR" rayo new hello >/dev/null)
        (cd "$dir/hello" && CARGO_TARGET_DIR="$target" exec "$CR" rayo watch --port "$port") >"$dir/watch.log" 2>&1 &
        local watch=$!
        local answer=""
        for _ in $(seq 1 6000); do
            if answer=$(cd "$dir/hello" && "$CR" rayo invoke --port "$port" --data '{"name":"rayo"}' 2>/dev/null); then
                break
            fi
            sleep 0.05
        done
        t1=$(date +%s.%N)
        kill "$watch" 2>/dev/null || true
        wait "$watch" 2>/dev/null || true
        echo "| $label | $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f s", b - a }') | \`$answer\` | $l0 / $(load) |"
    }
    echo
    echo "From \`cargo rayo new hello\` to the first answer of \`cargo rayo invoke\` (a \`watch\` started right after \`new\`, invoke retried every 50 ms); $(date -u +%F)."
    echo
    echo "| target dir | new to first answer | answer | load before / after |"
    echo "|---|---|---|---|"
    first_answer fresh "$WORK/time-fresh-target"
    first_answer used "$WORK/time-fresh-target"
fi

if [[ " ${what[*]} " == *" commands "* ]]; then
    # The lines of the first ```sh block under "## Your own function", and the one-off
    # install the sentence before it names.
    block=$(awk '/^## Your own function/ { f = 1 } f && /^```sh/ { b = 1; next } b && /^```/ { exit } b && NF' README.md)
    lines=$(printf '%s\n' "$block" | grep -c .)
    commands=$(printf '%s\n' "$block" | sed 's/#.*//' | awk -F'&&' '{ n += NF } END { print n }')
    install=$(grep -c 'cargo install --locked --path cargo-rayo' README.md)
    echo
    echo "Commands a new user types (README.md, \"Your own function\"): $lines lines ($commands commands counting \`cd\`), plus $install one-off \`cargo install --locked --path cargo-rayo\`:"
    echo
    printf '%s\n' "$block" | sed 's/ *#.*//; s/^/    /'
fi
