#!/usr/bin/env bash
# Writes Hugging Face `tokenizers`' ids for the tokenizer comparison test and prints the file's
# path. Makes (once) a venv under target/ with the pinned tokenizers; fetches the model with
# fetch-model.sh; regenerates only when corpus.py, hf_reference.py or the pin change.
# Exit status non-zero (with the reason on stderr) when the reference cannot be produced: the
# test that calls this then fails, it does not skip.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
TOKENIZERS_PIN="tokenizers==0.23.3"
VENV="$TARGET/tokenizer-check/venv"
PY="$VENV/bin/python"

model="$("$HERE/../fetch-model.sh")"
# The committed Unicode tables are what the generator writes from the pinned Unicode data
# (~5 s of CPU: checked again only when the tables or the generator change).
tables_key="$(cat "$HERE/gen_unicode_tables.py" "$HERE/../src/tokenizer/tables.rs" | sha256sum | cut -c1-16)"
tables_ok="$TARGET/tokenizer-check/tables-checked-$tables_key"
if [ ! -f "$tables_ok" ]; then
    python3 "$HERE/gen_unicode_tables.py" --check >&2
    mkdir -p "$TARGET/tokenizer-check"
    touch "$tables_ok"
fi
if ! "$PY" -c "import tokenizers, sys; sys.exit(tokenizers.__version__ != '${TOKENIZERS_PIN#*==}')" 2>/dev/null; then
    echo "tokenizer-check: making $VENV with $TOKENIZERS_PIN (PyPI)" >&2
    python3 -m venv "$VENV" >&2
    "$PY" -m pip install --quiet --disable-pip-version-check "$TOKENIZERS_PIN" >&2
fi
key="$(cat "$HERE/corpus.py" "$HERE/hf_reference.py" <(echo "$TOKENIZERS_PIN") "$model/tokenizer.json" | sha256sum | cut -c1-16)"
out="$TARGET/tokenizer-check/reference-$key.tsv"
if [ ! -s "$out" ]; then
    "$PY" "$HERE/hf_reference.py" "$model" "$out" >&2
fi
echo "$out"
