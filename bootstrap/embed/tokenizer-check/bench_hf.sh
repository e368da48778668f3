#!/usr/bin/env bash
# HF tokenizers' times on the bench texts (uses reference.sh's venv and model).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$HERE/reference.sh" >/dev/null
TARGET="${CARGO_TARGET_DIR:-$HERE/../../../target}"
exec "$TARGET/tokenizer-check/venv/bin/python" "$HERE/bench_hf.py" "$("$HERE/../fetch-model.sh")"
