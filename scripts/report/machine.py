"""Prints the machine, the date and the commit as JSON (the report's header)."""

import datetime
import json
import os
import platform
import subprocess
import sys

# The CPU flags a reader of the kernels table cares about (which SIMD paths can run).
FLAGS = ["sse2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "asimd", "sve"]


def cpuinfo():
    model, flags = None, set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key in ("model name", "Model") and model is None:
                    model = value.strip()
                elif key in ("flags", "Features") and not flags:
                    flags = set(value.split())
    except OSError:
        pass
    return model, flags


def git(root, *args):
    try:
        return subprocess.run(
            ["git", "-C", root, *args], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def hypervisor():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    except OSError:
        return None
    for line in out.splitlines():
        if line.startswith("Hypervisor vendor:"):
            return line.split(":", 1)[1].strip()
    return None


def thp():
    """Transparent huge pages mode: always, madvise or never (the bracketed word)."""
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as f:
            text = f.read()
    except OSError:
        return None
    start, end = text.find("["), text.find("]")
    return text[start + 1 : end] if 0 <= start < end else None


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    model, flags = cpuinfo()
    try:
        rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    except OSError:
        rustc = None
    status = git(root, "status", "--porcelain", "--untracked-files=no")
    doc = {
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu_model": model,
        "cpu_flags": [f for f in FLAGS if f in flags],
        "logical_cpus": os.cpu_count(),
        "hypervisor": hypervisor(),
        "kernel": platform.release(),
        "arch": platform.machine(),
        "transparent_hugepages": thp(),
        "load_avg_1m_at_start": os.getloadavg()[0],
        "commit": git(root, "rev-parse", "HEAD"),
        "branch": git(root, "rev-parse", "--abbrev-ref", "HEAD"),
        "dirty": bool(status),
        "rustc": rustc,
        "python": platform.python_version(),
    }
    json.dump(doc, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
