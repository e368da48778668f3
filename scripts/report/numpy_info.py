"""Prints NumPy's version, its BLAS (numpy.show_config) and the BLAS as loaded (threadpoolctl)."""

import json
import os
import sys

import numpy as np

doc = {
    "numpy": np.__version__,
    "python": sys.version.split()[0],
    "openblas_env_seen_by_numpy": {
        k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS")
    },
}
try:
    config = np.show_config(mode="dicts")
    doc["blas_build"] = config.get("Build Dependencies", {}).get("blas")
    doc["simd"] = config.get("SIMD Extensions")
except (TypeError, ValueError) as e:  # older NumPy without mode="dicts"
    doc["blas_build_error"] = str(e)
try:
    import threadpoolctl

    doc["blas_runtime"] = threadpoolctl.threadpool_info()
except ImportError:
    doc["blas_runtime"] = None
json.dump(doc, sys.stdout, indent=1, default=str)
