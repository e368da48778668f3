#!/usr/bin/env bash
# Where the bootstrap's bytes go: builds it exactly as build.sh does (same flags, same tiers)
# but keeps the symbol table, then prints a Markdown breakdown per tier and architecture:
# ELF sections, bytes per crate (code + read-only data, from `nm -S`), and the biggest symbols.
#
# usage: scripts/size-breakdown.sh [--arch x86_64|arm64|all] [--tiny | --tiniest | --check-all-tiers] [-n TOP]
#   e.g. scripts/size-breakdown.sh --check-all-tiers > /tmp/size.md
#
# Symbols are attributed to the crate named by their first path segment (std's backtrace
# symboliser is one group wherever its generics landed); C code (musl libc, LLVM's libunwind)
# has no crate path and is grouped as "C: musl libc" / "C: libunwind".
# The unstripped build lands in target/size/, so build.sh's real artifacts are left alone.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOP=15
args=()
while [ $# -gt 0 ]; do
    case "$1" in
    -n)
        [ $# -ge 2 ] || { echo "size-breakdown: -n needs a number" >&2; exit 2; }
        TOP="$2"
        shift 2
        ;;
    *)
        args+=("$1")
        shift
        ;;
    esac
done
command -v nm >/dev/null 2>&1 || { echo "size-breakdown: nm not found: apt-get install -y binutils" >&2; exit 3; }

OUT="$ROOT/target/size"
rm -rf "$OUT/lambda" # only this run's binaries are reported
# Keep symbols; everything else (profile, flags, toolchains) is build.sh's.
set +e
CARGO_PROFILE_RELEASE_ULTRA_STRIP=false CARGO_TARGET_DIR="$OUT" \
    "$ROOT/build.sh" --no-run ${args[@]+"${args[@]}"} >"$OUT.report" 2>"$OUT.log"
status=$?
set -e
# 1 only means an unstripped binary is over budget, which says nothing: the real check is build.sh.
if [ "$status" -ne 0 ] && [ "$status" -ne 1 ]; then
    cat "$OUT.log" >&2
    echo "size-breakdown: build.sh failed (exit $status)" >&2
    exit 3
fi

{
echo "Measured $(date -u +%Y-%m-%d) on $(uname -m) at commit $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD || echo '+changes'),"
echo "with \`scripts/size-breakdown.sh ${args[*]:-}\` (symbols kept; section and symbol sizes equal the stripped build's)."
: >"$OUT.crates.jsonl"
find "$OUT/lambda" -name bootstrap -type f | sort | while read -r bin; do
    info="$(dirname "$bin")/bootstrap.zip.info"
    tier="$(sed -n 's/^tier=//p' "$info")"
    arch="$(sed -n 's/^arch=//p' "$info")"
    echo ""
    echo "### $tier / $arch"
    echo ""
    python3 - "$bin" "$TOP" "$tier/$arch" "$OUT.crates.jsonl" <<'EOF'
import collections, json, re, subprocess, sys

path, top, label, jsonl = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]

def run(*cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout

# ELF sections that take file space (size -A: name size addr).
sections = []
for line in run("size", "-A", path).splitlines()[2:]:
    parts = line.split()
    if len(parts) == 3 and parts[0].startswith(".") and parts[0] not in (".bss", ".tbss", ".comment"):
        if not parts[0].startswith((".symtab", ".strtab", ".debug")) and int(parts[1]) > 0:
            sections.append((parts[0], int(parts[1])))
alloc = sum(s for _, s in sections)

def crate_of(name):
    if "libunwind" in name or name.startswith(("_Unwind", "__unw_", "unw_")):
        return "C: libunwind"
    # std's backtrace symboliser and its crates, wherever their generics were instantiated.
    if re.search(r"backtrace_rs|gimli::|addr2line::|rustc_demangle::|miniz_oxide::", name):
        return "std: backtrace symboliser (gimli, addr2line, demangle, miniz)"
    n = name
    # `<T as Trait>::f`, `<[T]>::f`, `<&T>::f`: attribute to the first crate path inside.
    m = re.search(r"[A-Za-z_][A-Za-z0-9_]*::", n)
    if m is None:
        return "C: musl libc" if not n.startswith("_ZN") else "?"
    return m.group(0)[:-2]

by_crate = collections.Counter()
symbols = []
for line in run("nm", "-S", "--size-sort", "-C", path).splitlines():
    parts = line.split(" ", 3)
    if len(parts) != 4 or parts[2].lower() not in "trd":
        continue
    size, kind, name = int(parts[1], 16), parts[2].lower(), parts[3]
    crate = crate_of(name)
    by_crate[crate] += size
    symbols.append((size, kind, crate, name))

with open(jsonl, "a") as f:
    f.write(json.dumps({"label": label, "crates": by_crate, "alloc": alloc}) + "\n")

print("| section | bytes |")
print("|---|---:|")
for name, size in sorted(sections, key=lambda s: -s[1]):
    if size >= 1024:
        print(f"| `{name}` | {size:,} |")
print(f"| all loaded sections | {alloc:,} |")
print()
named = sum(by_crate.values())
print("| crate (code + rodata symbols) | bytes | share |")
print("|---|---:|---:|")
for crate, size in by_crate.most_common():
    if size >= 256:
        print(f"| {crate} | {size:,} | {100 * size / named:.1f}% |")
print()
print(f"Biggest {top} symbols (t = code, r = read-only data):")
print()
print("| bytes | kind | symbol |")
print("|---:|---|---|")
for size, kind, crate, name in sorted(symbols, key=lambda s: -s[0])[:top]:
    short = name if len(name) <= 110 else name[:107] + "..."
    short = short.replace("|", "\\|")
    print(f"| {size:,} | {kind} | `{short}` |")
EOF
done
} >"$OUT.sections.md"

# One matrix first: every crate group's bytes in every tier/arch built.
head -n 2 "$OUT.sections.md"
echo ""
python3 - "$OUT.crates.jsonl" <<'EOF'
import collections, json, sys

rows = [json.loads(line) for line in open(sys.argv[1])]
order = {"stable": 0, "tiny": 1, "tiniest": 2}
rows.sort(key=lambda r: (order.get(r["label"].split("/")[0], 9), r["label"]))
total = collections.Counter()
for r in rows:
    total.update(r["crates"])
print("| bytes by crate | " + " | ".join(r["label"] for r in rows) + " |")
print("|---|" + "---:|" * len(rows))
for crate, _ in total.most_common():
    cells = [r["crates"].get(crate, 0) for r in rows]
    if max(cells) >= 512:
        print(f"| {crate} | " + " | ".join(f"{c:,}" if c else "-" for c in cells) + " |")
print("| all loaded sections | " + " | ".join(f"{r['alloc']:,}" for r in rows) + " |")
EOF
tail -n +3 "$OUT.sections.md"
