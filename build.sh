#!/usr/bin/env bash
# build.sh: rayo's Lambda bootstraps for provided.al2023, static (musl) for x86_64 and arm64,
# as reproducible zips, with a size report checked against each tier's budget, then one
# invocation of the host-architecture bootstrap through the local emulator.
#
# usage: ./build.sh [--arch x86_64|arm64|all] [--tiny | --tiniest] [--check-all-tiers]
#                   [--linker zig|lld] [--no-run] [--event JSON] [--bin NAME] [-h|--help]
#
# Exit status: 0 ok; 1 a binary is over its tier's budget; 2 usage error; 3 a tool is missing
# or a build failed; 4 the smoke invocation through the emulator failed.
set -euo pipefail

# Budgets for the stripped binary, the same on both architectures.
budget_of() {
    case "$1" in
    stable) echo 500000 ;;
    tiny) echo 262144 ;;    # 256 KiB
    tiniest) echo 131072 ;; # 128 KiB
    esac
}

PROFILE="release-ultra"
PACKAGE="rayo-bootstrap"
DEFAULT_EVENT='{"op":"dot","a":[1,2,3],"b":[4,5,6]}'

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The zip's bytes depend on the toolchains, so they are pinned there, not taken from PATH.
# shellcheck source=scripts/pins.sh
. "$ROOT/scripts/pins.sh"
TARGET_ROOT="${CARGO_TARGET_DIR:-$ROOT/target}"

say() { printf '%s\n' "$*" >&2; }
die() { # die STATUS MESSAGE...
    local status="$1"
    shift
    say "build.sh: error: $*"
    exit "$status"
}

usage() {
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
    cat <<'EOF'

Tiers (budget for the stripped binary, both architectures):
  (default)  stable toolchain, release-ultra profile                    500,000 B
  --tiny     pinned nightly, -Zbuild-std=std,panic_abort, no backtrace,  262,144 B
             std's optimize_for_size, no unwind tables
             (std's panic hook still runs, so rayo still posts a panic to /error)
  --tiniest  --tiny plus -Cpanic=immediate-abort, bootstrap features     131,072 B
             --no-default-features --features neon (scalar kernels on x86_64)
             (a panic aborts at once with no message: Lambda shows a bare Runtime.ExitError)

Outputs: target/lambda/{x86_64,arm64}/{bootstrap,bootstrap.zip} (for --bin NAME other than
bootstrap: target/lambda/NAME/ARCH/); --check-all-tiers builds all three tiers into
target/lambda/tiers/TIER/ARCH/ and leaves target/lambda/ARCH/ alone.
Linking (--linker): zig (default) links every build with cargo-zigbuild against zig's musl
and LLVM libunwind: 35 KB smaller libunwind than the one rustup ships, and a static non-PIE
executable on both arches (rustup's arm64 musl target is non-PIE already). --linker lld links
with the toolchain's rust-lld and rustup's self-contained musl (x86_64 then static-pie); arm64
--tiny/--tiniest always use zig, the nightly's aarch64 musl std not being downloadable here.
--no-run skips the emulator invocation. --event JSON changes the sample event.
Environment: RAYO_STABLE_TOOLCHAIN, RAYO_NIGHTLY_TOOLCHAIN override the pinned toolchains;
RAYO_RUSTFLAGS adds rustc flags (space-separated) to every bootstrap build; RAYO_FEATURES
adds cargo features (RAYO_FEATURES=streaming ./build.sh --bin stream).
EOF
}

# ---- arguments ----
ARCHES=(x86_64 arm64)
TIERS=(stable)
ALL_TIERS=0
RUN=1
EVENT="$DEFAULT_EVENT"
BIN="bootstrap"
LINKER="zig"
tier_flag=""
while [ $# -gt 0 ]; do
    case "$1" in
    --arch)
        [ $# -ge 2 ] || die 2 "--arch needs a value: x86_64, arm64 or all"
        case "$2" in
        x86_64 | amd64) ARCHES=(x86_64) ;;
        arm64 | aarch64) ARCHES=(arm64) ;;
        all) ARCHES=(x86_64 arm64) ;;
        *) die 2 "--arch '$2' is not one of x86_64, arm64, all" ;;
        esac
        shift 2
        ;;
    --tiny | --tiniest)
        [ -z "$tier_flag" ] || die 2 "$tier_flag and $1 both given: pick one tier"
        tier_flag="$1"
        TIERS=("${1#--}")
        shift
        ;;
    --check-all-tiers)
        ALL_TIERS=1
        shift
        ;;
    --no-run)
        RUN=0
        shift
        ;;
    --event)
        [ $# -ge 2 ] || die 2 "--event needs a JSON value"
        EVENT="$2"
        shift 2
        ;;
    --linker)
        [ $# -ge 2 ] || die 2 "--linker needs a value: zig or lld"
        case "$2" in
        zig | lld) LINKER="$2" ;;
        *) die 2 "--linker '$2' is not one of zig, lld" ;;
        esac
        shift 2
        ;;
    --bin)
        [ $# -ge 2 ] || die 2 "--bin needs a binary name of package '$PACKAGE'"
        BIN="$2"
        shift 2
        ;;
    -h | --help)
        usage
        exit 0
        ;;
    *) die 2 "unknown argument '$1' (see ./build.sh --help)" ;;
    esac
done
if [ "$ALL_TIERS" = 1 ]; then
    [ -z "$tier_flag" ] || die 2 "--check-all-tiers builds every tier: drop $tier_flag"
    TIERS=(stable tiny tiniest)
fi
# The package that owns the binary (its folder holds the Cargo.toml with its features).
PACKAGE_DIR="bootstrap"
case "$BIN" in
embed)
    PACKAGE="rayo-embed"
    PACKAGE_DIR="bootstrap/embed"
    [ "$EVENT" != "$DEFAULT_EVENT" ] || EVENT='{"inputs":["The weather is lovely today."]}'
    ;;
esac

triple_of() {
    case "$1" in
    x86_64) echo x86_64-unknown-linux-musl ;;
    arm64) echo aarch64-unknown-linux-musl ;;
    esac
}

host_arch() {
    case "$(uname -m)" in
    x86_64 | amd64) echo x86_64 ;;
    aarch64 | arm64) echo arm64 ;;
    *) echo unknown ;;
    esac
}

out_dir() { # out_dir TIER ARCH
    local base="$TARGET_ROOT/lambda"
    [ "$BIN" = bootstrap ] || base="$base/$BIN"
    if [ "$ALL_TIERS" = 1 ]; then
        echo "$base/tiers/$1/$2"
    else
        echo "$base/$2"
    fi
}

# ---- tools: install what is missing, or say exactly what is missing ----
command -v rustup >/dev/null 2>&1 ||
    die 3 "rustup not found. Install it (https://rustup.rs), then run ./build.sh again."
command -v python3 >/dev/null 2>&1 ||
    die 3 "python3 not found (it writes the reproducible zips): apt-get install -y python3"

ensure_toolchain() { # ensure_toolchain TOOLCHAIN WANT_RUST_SRC TARGET...
    local tc="$1" want_src="$2"
    shift 2
    if ! rustup run "$tc" rustc -V >/dev/null 2>&1; then
        say "build.sh: installing Rust toolchain $tc"
        rustup toolchain install "$tc" --profile minimal >&2 ||
            die 3 "cannot install Rust toolchain $tc (rustup toolchain install $tc failed)"
    fi
    local installed t
    installed="$(rustup target list --installed --toolchain "$tc")"
    for t in "$@"; do
        if ! grep -qx "$t" <<<"$installed"; then
            say "build.sh: adding target $t to $tc"
            rustup target add --toolchain "$tc" "$t" >&2 ||
                die 3 "cannot add target $t to toolchain $tc (rustup target add --toolchain $tc $t)"
        fi
    done
    if [ "$want_src" = 1 ]; then
        local sysroot
        sysroot="$(rustup run "$tc" rustc --print sysroot)"
        if [ ! -d "$sysroot/lib/rustlib/src/rust/library" ]; then
            say "build.sh: adding rust-src to $tc (build-std compiles std from it)"
            rustup component add --toolchain "$tc" rust-src >&2 ||
                die 3 "cannot add rust-src to $tc (rustup component add --toolchain $tc rust-src)"
        fi
    fi
}

# How one tier/arch is linked: zig, or rust-lld with rustup's self-contained musl.
linker_for() { # linker_for TIER ARCH
    if [ "$LINKER" = zig ] || { [ "$1" != stable ] && [ "$2" = arm64 ]; }; then
        echo zig # arm64 build-std: the nightly's own aarch64 musl std cannot be downloaded here
    else
        echo lld
    fi
}

ensure_zigbuild() {
    local userbin
    userbin="$(python3 -m site --user-base 2>/dev/null)/bin"
    case ":$PATH:" in *":$userbin:"*) ;; *) PATH="$PATH:$userbin" ;; esac
    if ! command -v cargo-zigbuild >/dev/null 2>&1 ||
        ! { command -v zig >/dev/null 2>&1 || python3 -m ziglang version >/dev/null 2>&1; }; then
        say "build.sh: installing ziglang==$ZIGLANG_VERSION cargo-zigbuild==$CARGO_ZIGBUILD_VERSION (PyPI)"
        python3 -m pip install --quiet "ziglang==$ZIGLANG_VERSION" \
            "cargo-zigbuild==$CARGO_ZIGBUILD_VERSION" >&2 ||
            die 3 "linking with zig needs cargo-zigbuild and zig, and pip could not install them:" \
                "run 'python3 -m pip install ziglang==$ZIGLANG_VERSION cargo-zigbuild==$CARGO_ZIGBUILD_VERSION'" \
                "(or use --linker lld, which still needs zig for arm64 --tiny/--tiniest)"
        hash -r
        command -v cargo-zigbuild >/dev/null 2>&1 ||
            die 3 "cargo-zigbuild was installed by pip but is not on PATH ($PATH)"
    fi
    local zv
    zv="$(zig version 2>/dev/null || python3 -m ziglang version 2>/dev/null || echo '?')"
    [ "$zv" = "$ZIGLANG_VERSION" ] ||
        say "build.sh: warning: zig $zv, pinned $ZIGLANG_VERSION: zig-linked bytes may differ from CI's"
}

need_stable_targets=()
need_nightly_targets=()
need_zig=0
for tier in "${TIERS[@]}"; do
    for arch in "${ARCHES[@]}"; do
        t="$(triple_of "$arch")"
        if [ "$tier" = stable ]; then
            need_stable_targets+=("$t") # the precompiled std
        elif [ "$(linker_for "$tier" "$arch")" = lld ]; then
            need_nightly_targets+=("$t") # its self-contained musl crt/libc links build-std
        fi
        [ "$(linker_for "$tier" "$arch")" = lld ] || need_zig=1
    done
done
[ ${#need_stable_targets[@]} -eq 0 ] || ensure_toolchain "$STABLE_TOOLCHAIN" 0 "${need_stable_targets[@]}"
if [ "${TIERS[*]}" != stable ]; then
    ensure_toolchain "$NIGHTLY_TOOLCHAIN" 1 ${need_nightly_targets[@]+"${need_nightly_targets[@]}"}
fi
[ "$need_zig" = 0 ] || ensure_zigbuild

# ---- build ----
# Rustflags as cargo's \x1f-separated list so paths with spaces survive.
join_flags() {
    local IFS=$'\x1f'
    echo "$*"
}

build_one() { # build_one TIER ARCH -> sets BUILT_BIN, BUILD_SECS
    local tier="$1" arch="$2" triple tc target_dir linker
    triple="$(triple_of "$arch")"
    linker="$(linker_for "$tier" "$arch")"
    # One target dir per tier and linker: their flags differ, and sharing would rebuild all.
    target_dir="$TARGET_ROOT/tier-$tier"
    [ "$linker" = zig ] || target_dir="$target_dir-lld"
    # Remap the absolute paths that panic locations would otherwise embed, so the bytes do not
    # depend on where the checkout, CARGO_HOME or the toolchain live.
    local cargo_home="${CARGO_HOME:-$HOME/.cargo}"
    local flags=("--remap-path-prefix=$ROOT=/rayo" "--remap-path-prefix=$cargo_home=/cargo")
    local cargo_args=(build --locked --profile "$PROFILE" -p "$PACKAGE" --bin "$BIN"
        --target "$triple" --target-dir "$target_dir")
    # Package features, e.g. RAYO_FEATURES=streaming for --bin stream (bootstrap/Cargo.toml).
    [ -z "${RAYO_FEATURES:-}" ] || cargo_args+=(--features "$RAYO_FEATURES")
    # Extra flags for experiments, e.g. RAYO_RUSTFLAGS=-Crelocation-model=static (non-PIE).
    local extra
    read -r -a extra <<<"${RAYO_RUSTFLAGS:-}"
    flags+=(${extra[@]+"${extra[@]}"})
    local subcommand=(cargo)
    case "$tier" in
    stable)
        tc="$STABLE_TOOLCHAIN"
        ;;
    tiny | tiniest)
        tc="$NIGHTLY_TOOLCHAIN"
        # std is compiled from rust-src here: its panic locations name that directory.
        flags+=("--remap-path-prefix=$(rustup run "$tc" rustc --print sysroot)/lib/rustlib/src/rust=/rust")
        # std without its default features drops backtrace (the symboliser is most of std's
        # size) but keeps the panic hook; optimize_for_size picks std's smaller algorithms.
        # With no unwinding and no backtraces, unwind tables are dead weight (-10 KB on x86_64).
        # shellcheck disable=SC2054 # the commas belong to cargo's flag values
        cargo_args+=(-Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size)
        flags+=(-Cforce-unwind-tables=no)
        if [ "$tier" = tiniest ]; then
            # Every panic becomes an abort instruction: no hook, no message, no formatting.
            flags+=(-Zunstable-options -Cpanic=immediate-abort)
            # The bootstrap's kernel backends (bootstrap/Cargo.toml [features]): tiniest keeps
            # NEON on arm64 and only the scalar kernels on x86_64, each x86 backend costing
            # ~20 KB. A bootstrap without those features builds with its defaults.
            if grep -q '^neon *=' "$ROOT/$PACKAGE_DIR/Cargo.toml"; then
                cargo_args+=(--no-default-features --features neon)
            else
                say "build.sh: note: $PACKAGE has no 'neon' feature: --tiniest keeps its default features"
            fi
        fi
        ;;
    esac
    if [ "$linker" = zig ]; then
        # zig supplies crt1.o, libc.a and libunwind: rustc must not add rustup's copies.
        flags+=(-Clink-self-contained=no)
        subcommand=(cargo zigbuild)
        cargo_args=("${cargo_args[@]:1}") # zigbuild replaces `build`
    fi
    say ""
    say "==> $tier / $arch ($triple, $tc, linked by $linker)"
    local t0 t1
    t0="$(date +%s.%N)"
    CARGO_ENCODED_RUSTFLAGS="$(join_flags "${flags[@]}")" RUSTFLAGS="" \
        rustup run "$tc" "${subcommand[@]}" "${cargo_args[@]}" >&2 ||
        die 3 "build failed: tier $tier, arch $arch (see cargo's output above)"
    t1="$(date +%s.%N)"
    BUILD_SECS="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')"
    BUILT_LINKER="$linker"
    BUILT_BIN="$target_dir/$triple/$PROFILE/$BIN"
    [ -f "$BUILT_BIN" ] || die 3 "cargo succeeded but $BUILT_BIN does not exist"
}

# ---- embed: the weight file (bootstrap/embed/prepare-model.sh), zipped beside the bootstrap ----
# Isolated on purpose: `cargo rayo build` owns this through the package's
# [package.metadata.rayo] files/layer/prepare keys; until then build.sh does it here, once.
EXTRA_FILES=()
if [ "$BIN" = embed ]; then
    say ""
    say "==> embed model: bootstrap/embed/prepare-model.sh (${RAYO_EMBED_PRECISION:-f16})"
    weights="$(STABLE_TOOLCHAIN="$STABLE_TOOLCHAIN" CARGO_TARGET_DIR="$TARGET_ROOT" \
        "$ROOT/bootstrap/embed/prepare-model.sh" "$TARGET_ROOT/lambda/embed/embed-model.rayo")" ||
        die 3 "preparing the weight file failed (bootstrap/embed/prepare-model.sh)"
    EXTRA_FILES=("$weights")
    # The same weights as a Lambda layer (extracted under /opt, where the function also looks).
    python3 "$ROOT/scripts/lambda-zip.py" --layer "$TARGET_ROOT/lambda/embed/embed-model-layer.zip" "$weights" >/dev/null ||
        die 3 "writing the layer zip failed"
fi

# Results, one row per tier/arch: TIER ARCH BIN_BYTES ZIP_BYTES BUDGET RESULT SECS SHA B64 DIR
ROWS=()
over_budget=0
for tier in "${TIERS[@]}"; do
    for arch in "${ARCHES[@]}"; do
        build_one "$tier" "$arch"
        dir="$(out_dir "$tier" "$arch")"
        mkdir -p "$dir"
        cp "$BUILT_BIN" "$dir/bootstrap.tmp"
        chmod 0755 "$dir/bootstrap.tmp"
        mv "$dir/bootstrap.tmp" "$dir/bootstrap"
        zip_out="$(python3 "$ROOT/scripts/lambda-zip.py" "$dir/bootstrap" "$dir/bootstrap.zip" \
            ${EXTRA_FILES[@]+"${EXTRA_FILES[@]}"})" || die 3 "writing $dir/bootstrap.zip failed"
        if [ ${#EXTRA_FILES[@]} -gt 0 ]; then
            # The smoke run below finds them beside the bootstrap, as Lambda does in /var/task;
            # bootstrap-code.zip is the bootstrap alone, for use with the layer zip.
            for f in "${EXTRA_FILES[@]}"; do ln -f "$f" "$dir/$(basename "$f")" 2>/dev/null || cp "$f" "$dir/"; done
            python3 "$ROOT/scripts/lambda-zip.py" "$dir/bootstrap" "$dir/bootstrap-code.zip" >/dev/null ||
                die 3 "writing $dir/bootstrap-code.zip failed"
        fi
        sha="$(awk '$1 == "sha256" { print $2 }' <<<"$zip_out")"
        b64="$(awk '$1 == "code_sha256" { print $2 }' <<<"$zip_out")"
        bin_bytes="$(stat -c %s "$dir/bootstrap")"
        zip_bytes="$(stat -c %s "$dir/bootstrap.zip")"
        budget="$(budget_of "$tier")"
        if [ "$bin_bytes" -le "$budget" ]; then
            result=PASS
        else
            result=FAIL
            over_budget=1
        fi
        # Lambda's direct-upload limit: a zip at or over it must go through S3 (or a layer).
        if [ "$zip_bytes" -ge 50000000 ]; then
            result=FAIL
            over_budget=1
            say "build.sh: $dir/bootstrap.zip is $zip_bytes B: over Lambda's 50,000,000 B direct-upload limit"
        fi
        # Deployment and benchmark tools read these facts instead of recomputing them.
        cat >"$dir/bootstrap.zip.info" <<EOF
tier=$tier
arch=$arch
linker=$BUILT_LINKER
binary_bytes=$bin_bytes
zip_bytes=$zip_bytes
sha256=$sha
code_sha256=$b64
EOF
        ROWS+=("$tier $arch $bin_bytes $zip_bytes $budget $result $BUILD_SECS $sha $b64 $dir")
    done
done

# ---- size report ----
fmt_bytes() { # 262144 -> 262,144, without relying on a locale
    local n="$1" out=""
    while [ ${#n} -gt 3 ]; do
        out=",${n: -3}$out"
        n="${n:0:${#n}-3}"
    done
    echo "$n$out"
}
rel() { echo "${1#"$ROOT"/}"; }
echo ""
echo "rayo size report: $PACKAGE/$BIN, profile $PROFILE, --linker $LINKER; budget applies to the stripped binary"
printf '%-8s %-7s %11s %11s %11s  %-6s %8s\n' tier arch binary zip budget result build
for row in "${ROWS[@]}"; do
    read -r tier arch bin_bytes zip_bytes budget result secs _ _ _ <<<"$row"
    printf '%-8s %-7s %11s %11s %11s  %-6s %7ss\n' "$tier" "$arch" "$(fmt_bytes "$bin_bytes")" \
        "$(fmt_bytes "$zip_bytes")" "$(fmt_bytes "$budget")" "$result" "$secs"
done
for row in "${ROWS[@]}"; do
    read -r tier arch _ _ _ _ _ sha b64 dir <<<"$row"
    echo "$(rel "$dir")/bootstrap.zip"
    echo "    sha256       $sha"
    echo "    CodeSha256   $b64"
done

# ---- smoke invocation through the emulator ----
smoke_failed=0
if [ "$RUN" = 1 ]; then
    host="$(host_arch)"
    say ""
    say "==> emulator (host build, $STABLE_TOOLCHAIN)"
    ensure_toolchain "$STABLE_TOOLCHAIN" 0
    rustup run "$STABLE_TOOLCHAIN" cargo build --locked --release -p rayo-emulator --bin emulator \
        --target-dir "$TARGET_ROOT" >&2 || die 3 "building the emulator failed"
    EMULATOR="$TARGET_ROOT/release/emulator"
    [ -x "$EMULATOR" ] || die 3 "$EMULATOR was not built"
    for row in "${ROWS[@]}"; do
        read -r tier arch _ _ _ _ _ _ _ dir <<<"$row"
        cmd=("$dir/bootstrap")
        note=""
        if [ "$arch" != "$host" ]; then
            if [ "$arch" = arm64 ] && command -v qemu-aarch64-static >/dev/null 2>&1; then
                cmd=(qemu-aarch64-static "$dir/bootstrap")
                note=" (under qemu-aarch64-static: timings are emulation, not arm64 hardware)"
            else
                echo ""
                echo "invoke $tier/$arch: NOT RUN: host is $host and qemu-aarch64-static is not installed" \
                    "(apt-get install -y qemu-user-static)"
                continue
            fi
        fi
        echo ""
        echo "invoke $tier/$arch$note: event $EVENT"
        set +e
        # The emulator bounds its own wait; `timeout` bounds a hung emulator too.
        out="$(timeout 60 "$EMULATOR" --event "$EVENT" --timeout 10 -- "${cmd[@]}" 2>"$TARGET_ROOT/lambda/.emulator.err")"
        status=$?
        set -e
        err="$(cat "$TARGET_ROOT/lambda/.emulator.err")"
        echo "    response: $out"
        if [ "$status" -ne 0 ] || ! grep -q '^init:' <<<"$err"; then
            smoke_failed=1
            echo "    FAILED: emulator exit $status; its stderr:"
            while IFS= read -r line; do echo "      $line"; done <<<"$err"
        else
            grep -E '^(init|invoke 1):' <<<"$err" | sed 's/^/    /'
        fi
    done
    rm -f "$TARGET_ROOT/lambda/.emulator.err"
fi

if [ "$over_budget" = 1 ]; then
    say "build.sh: FAIL: at least one binary is over its tier's budget (see the size report)"
    exit 1
fi
if [ "$smoke_failed" = 1 ]; then
    say "build.sh: FAIL: the bootstrap did not answer the sample event through the emulator"
    exit 4
fi
