#!/usr/bin/env bash
# gemm, single thread: rayo vs the gemm crate, matrixmultiply and NumPy/OpenBLAS (a second
# process that benches/gemm.rs drives round by round: GEMM_PYTHON, benches/gemm_numpy.py),
# RUNS runs of GEMM_MODE=interleaved; prints one table of medians, ratios and goals
# (benches/gemm_table.py), then the same for the fastest tenth of the batches.
#
# usage: kernels/benches/gemm.sh [RUNS]        (default 3)
# env:   GEMM_ROUNDS (rounds per run, default 21), GEMM_ISA (rayo backend), GEMM_ONLY.
# Raw output: target/gemm-bench/run-N.txt. Needs python3 with venv (NumPy and threadpoolctl
# are installed from PyPI into target/gemm-venv on first use).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUNS="${1:-3}"
OUT="${CARGO_TARGET_DIR:-$ROOT/target}/gemm-bench"
VENV="${CARGO_TARGET_DIR:-$ROOT/target}/gemm-venv"
mkdir -p "$OUT"
rm -f "$OUT"/run-*.txt

if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import numpy, threadpoolctl' 2>/dev/null; then
    echo "== making $VENV (numpy, threadpoolctl)" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q numpy threadpoolctl
fi
echo "== building the bench" >&2
(cd "$ROOT" && cargo bench -q -p rayo-kernels --bench gemm --no-run)

for r in $(seq 1 "$RUNS"); do
    echo "== run $r/$RUNS (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    # The bench starts OpenBLAS's process with OPENBLAS_NUM_THREADS=1 and without
    # OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (that process only).
    (cd "$ROOT" && GEMM_MODE=interleaved GEMM_RAW=1 GEMM_PYTHON="$VENV/bin/python" \
        cargo bench -q -p rayo-kernels --bench gemm) >"$OUT/run-$r.txt" 2>/dev/null
    echo "load after run $r: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/run-$r.txt"
done
# Medians (the figures that count on a quiet machine), then the fastest tenth of the
# batches (closer to a quiet machine's figures when the load was high).
python3 "$ROOT/kernels/benches/gemm_table.py" --stat median "$OUT"/run-*.txt
echo
echo "==== the same runs, fastest-tenth statistic (p10) ===="
python3 "$ROOT/kernels/benches/gemm_table.py" --stat p10 "$OUT"/run-*.txt | sed -n '/^[0-9]* runs/,$p'

