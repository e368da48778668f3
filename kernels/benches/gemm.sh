#!/usr/bin/env bash
# gemm, single thread: rayo vs the gemm crate and matrixmultiply (benches/gemm.rs,
# GEMM_MODE=interleaved) and NumPy/OpenBLAS (benches/gemm_numpy.py, its own process),
# alternated RUNS times; prints one table of medians and ratios (benches/gemm_table.py).
#
# usage: kernels/benches/gemm.sh [RUNS]        (default 3)
# env:   GEMM_ROUNDS (rounds per run, default 21), GEMM_ISA (rayo backend), GEMM_ONLY.
# Raw output: target/gemm-bench/{rayo,numpy}-N.txt.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUNS="${1:-3}"
OUT="${CARGO_TARGET_DIR:-$ROOT/target}/gemm-bench"
VENV="${CARGO_TARGET_DIR:-$ROOT/target}/gemm-venv"
mkdir -p "$OUT"
rm -f "$OUT"/rayo-*.txt "$OUT"/numpy-*.txt

if [ ! -x "$VENV/bin/python" ]; then
    echo "== making $VENV (numpy, threadpoolctl)" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q numpy threadpoolctl
fi
echo "== building the bench" >&2
(cd "$ROOT" && cargo bench -q -p rayo-kernels --bench gemm --no-run)

for r in $(seq 1 "$RUNS"); do
    echo "== run $r/$RUNS: rayo (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    (cd "$ROOT" && GEMM_MODE=interleaved cargo bench -q -p rayo-kernels --bench gemm) \
        >"$OUT/rayo-$r.txt" 2>/dev/null
    echo "== run $r/$RUNS: numpy (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    # OpenBLAS chooses its own kernel and cache sizes for this process only.
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 \
        "$VENV/bin/python" "$ROOT/kernels/benches/gemm_numpy.py" >"$OUT/numpy-$r.txt"
    echo "load $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/numpy-$r.txt"
done
python3 "$ROOT/kernels/benches/gemm_table.py" "$OUT"/rayo-*.txt "$OUT"/numpy-*.txt
