//! `cargo rayo build`: static musl Lambda binaries in three size tiers for x86_64 and
//! arm64, stripped, as reproducible zips with their sha256 and CodeSha256, and a size report
//! checked against each tier's budget.
//!
//! The flags are exactly those build.sh used (rayo's own bootstrap builds to the same bytes):
//! see `cargo_command` for every one and why.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::project::{self, Target};
use crate::{pins, tools, zip};

/// The tier names `--tier` and `[package.metadata.rayo] budget` take.
pub(crate) const TIER_NAMES: [&str; 3] = ["default", "tiny", "tiniest"];

/// A size tier: how std is built and how a panic ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tier {
    /// Stable Rust, the release-ultra profile: a panic runs rayo's hook (posts it) and aborts.
    Default,
    /// Pinned nightly, `-Zbuild-std` without std's backtrace, `optimize_for_size`, no
    /// unwind tables; the panic hook still runs.
    Tiny,
    /// `Tiny` plus `-Cpanic=immediate-abort`: a panic is a trap, no message.
    Tiniest,
}

impl Tier {
    /// `default`, `tiny` or `tiniest`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Tier::Default => "default",
            Tier::Tiny => "tiny",
            Tier::Tiniest => "tiniest",
        }
    }

    /// The name in directories and `.info` files (build.sh's: `stable` for the default).
    pub(crate) fn dir_name(self) -> &'static str {
        match self {
            Tier::Default => "stable",
            other => other.name(),
        }
    }

    /// The budget for the stripped binary, both architectures.
    pub(crate) fn default_budget(self) -> u64 {
        match self {
            Tier::Default => 500_000,
            Tier::Tiny => 262_144,
            Tier::Tiniest => 131_072,
        }
    }

    /// Parses `default` (or `stable`), `tiny`, `tiniest`.
    pub(crate) fn parse(s: &str) -> Option<Tier> {
        match s {
            "default" | "stable" => Some(Tier::Default),
            "tiny" => Some(Tier::Tiny),
            "tiniest" => Some(Tier::Tiniest),
            _ => None,
        }
    }
}

/// A Lambda architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arch {
    /// x86_64 (`x86_64-unknown-linux-musl`).
    X86_64,
    /// Graviton (`aarch64-unknown-linux-musl`).
    Arm64,
}

impl Arch {
    /// `x86_64` or `arm64`, as Lambda says it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Arm64 => "arm64",
        }
    }

    /// The Rust target triple.
    pub(crate) fn triple(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64-unknown-linux-musl",
            Arch::Arm64 => "aarch64-unknown-linux-musl",
        }
    }

    /// Parses `x86_64`/`amd64`, `arm64`/`aarch64`.
    pub(crate) fn parse(s: &str) -> Option<Arch> {
        match s {
            "x86_64" | "amd64" => Some(Arch::X86_64),
            "arm64" | "aarch64" => Some(Arch::Arm64),
            _ => None,
        }
    }
}

/// How a build is linked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Linker {
    /// cargo-zigbuild: zig's musl, crt and LLVM libunwind, a static non-PIE executable
    /// (the default: 35 KB smaller libunwind than rustup's; see docs/size.md).
    Zig,
    /// The toolchain's rust-lld with rustup's self-contained musl (x86_64 static-pie).
    Lld,
}

/// What `cargo rayo build` was asked for.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    /// Architectures, in order.
    pub arches: Vec<Arch>,
    /// Tiers, in order.
    pub tiers: Vec<Tier>,
    /// `--tier all`: outputs go to `tiers/TIER/ARCH/` instead of `ARCH/`.
    pub all_tiers: bool,
    /// `--linker`.
    pub linker: Linker,
    /// `--features` (comma or space separated, as cargo takes them).
    pub features: Option<String>,
    /// Extra rustc flags (`RAYO_RUSTFLAGS`, space-separated).
    pub rustflags: Vec<String>,
    /// `--event JSON`: invoke each built binary once with it through the emulator.
    pub event: Option<String>,
}

/// One built tier/architecture.
#[derive(Debug, Clone)]
pub(crate) struct Built {
    /// Its tier.
    pub tier: Tier,
    /// Its architecture.
    pub arch: Arch,
    /// The stripped binary's size.
    pub binary_bytes: u64,
    /// bootstrap.zip's size.
    pub zip_bytes: u64,
    /// The budget it was checked against.
    pub budget: u64,
    /// How long cargo took.
    pub secs: f64,
    /// The zip's hex SHA-256.
    pub sha256: String,
    /// The zip's CodeSha256 (base64 SHA-256).
    pub code_sha256: String,
    /// The folder holding bootstrap, bootstrap.zip and bootstrap.zip.info.
    pub dir: PathBuf,
    /// layer.zip, when `[package.metadata.rayo] layer` has files: path, bytes, sha256,
    /// CodeSha256.
    pub layer: Option<(PathBuf, u64, String, String)>,
}

/// Where `build` writes a tier/arch: `TARGET/lambda[/BIN][/tiers/TIER]/ARCH`, the binary
/// `bootstrap` without the `BIN` level (build.sh's layout).
pub(crate) fn out_dir(
    target_dir: &Path,
    bin: &str,
    tier: Tier,
    arch: Arch,
    all_tiers: bool,
) -> PathBuf {
    let mut d = target_dir.join("lambda");
    if bin != "bootstrap" {
        d.push(bin);
    }
    if all_tiers {
        d.push("tiers");
        d.push(tier.dir_name());
    }
    d.push(arch.name());
    d
}

/// The folder holding the last build of `tier`/`arch`: `ARCH/` when its `.info` says that
/// tier, else `tiers/TIER/ARCH/` (`--tier all`) when built.
pub(crate) fn built_dir(target_dir: &Path, bin: &str, tier: Tier, arch: Arch) -> Option<PathBuf> {
    let tier_line = format!("tier={}", tier.dir_name());
    [false, true]
        .into_iter()
        .map(|all| out_dir(target_dir, bin, tier, arch, all))
        .find(|d| {
            d.join("bootstrap").is_file()
                && std::fs::read_to_string(d.join("bootstrap.zip.info"))
                    .is_ok_and(|info| info.lines().any(|l| l == tier_line))
        })
}

/// arm64 tiny/tiniest link with zig whatever `--linker` says: the nightly's own aarch64
/// musl std is not downloadable here.
fn linker_for(opts: &Options, tier: Tier, arch: Arch) -> Linker {
    if opts.linker == Linker::Zig || (tier != Tier::Default && arch == Arch::Arm64) {
        Linker::Zig
    } else {
        Linker::Lld
    }
}

/// Builds, packs and reports; returns every row (also when some are over budget, which is
/// then the `Err`, after the report is printed).
pub(crate) fn run(t: &Target, opts: &Options) -> Result<Vec<Built>> {
    // ---- tools ----
    let stable = pins::stable();
    let nightly = pins::nightly();
    let mut stable_targets = Vec::new();
    let mut nightly_targets = Vec::new();
    let mut need_zig = false;
    for &tier in &opts.tiers {
        for &arch in &opts.arches {
            let linker = linker_for(opts, tier, arch);
            if tier == Tier::Default {
                stable_targets.push(arch.triple());
            } else if linker == Linker::Lld {
                nightly_targets.push(arch.triple());
            }
            need_zig |= linker == Linker::Zig;
        }
    }
    if !stable_targets.is_empty() {
        tools::ensure_toolchain(&stable, &stable_targets, false)?;
    }
    if opts.tiers.iter().any(|&t| t != Tier::Default) {
        tools::ensure_toolchain(&nightly, &nightly_targets, true)?;
    }
    let path = if need_zig {
        Some(tools::ensure_zigbuild(&tools::venv_dir(&t.ws.target_dir))?)
    } else {
        None
    };
    prepare(t)?;

    // ---- build and pack ----
    let mut rows = Vec::new();
    for &tier in &opts.tiers {
        for &arch in &opts.arches {
            let linker = linker_for(opts, tier, arch);
            let toolchain = if tier == Tier::Default {
                &stable
            } else {
                &nightly
            };
            let (cmd_desc, mut cmd, artifact) =
                cargo_command(t, opts, tier, arch, linker, toolchain)?;
            if let Some(p) = &path {
                cmd.env("PATH", p);
            }
            eprintln!();
            eprintln!(
                "==> {} / {} ({}, {toolchain}, linked by {}): {}",
                tier.dir_name(),
                arch.name(),
                arch.triple(),
                if linker == Linker::Zig { "zig" } else { "lld" },
                t.bin
            );
            let started = Instant::now();
            let status = cmd
                .status()
                .map_err(|e| Error::Tool(format!("cannot run {cmd_desc}: {e}")))?;
            let secs = started.elapsed().as_secs_f64();
            if !status.success() {
                return Err(Error::Build(format!(
                    "build failed: tier {}, arch {} (see cargo's output above; the command was: {cmd_desc})",
                    tier.name(),
                    arch.name()
                )));
            }
            if !artifact.is_file() {
                return Err(Error::Build(format!(
                    "cargo succeeded but {} does not exist",
                    artifact.display()
                )));
            }
            let dir = out_dir(&t.ws.target_dir, &t.bin, tier, arch, opts.all_tiers);
            rows.push(pack(t, tier, arch, linker, secs, &artifact, dir)?);
        }
    }
    report(t, opts, &rows);
    let mut over: Vec<String> = rows
        .iter()
        .filter(|r| r.binary_bytes > r.budget)
        .map(|r| {
            format!(
                "{}/{} {} B > {} B",
                r.tier.name(),
                r.arch.name(),
                r.binary_bytes,
                r.budget
            )
        })
        .collect();
    let smoke = match &opts.event {
        Some(event) => smoke(t, &rows, event),
        None => Ok(()),
    };
    if !over.is_empty() {
        over.sort();
        let smaller = if opts.tiers == [Tier::Default] {
            "try `cargo rayo build --tier tiny` (a nightly std without backtraces), "
        } else {
            ""
        };
        return Err(Error::OverBudget(format!(
            "over budget: {} (see the size report): {smaller}trim the binary (rayo's docs/size.md: where the bytes go), or raise budget in [package.metadata.rayo] of {}",
            over.join(", "),
            t.pkg().dir.join("Cargo.toml").display()
        )));
    }
    smoke?;
    Ok(rows)
}

/// `[[package.metadata.rayo.prepare]]`: each command runs in the package's directory unless
/// every file it `creates` is already there.
pub(crate) fn prepare(t: &Target) -> Result<()> {
    let pkg = t.pkg();
    for step in &pkg.rayo.prepare {
        let creates: Vec<PathBuf> = step
            .creates
            .iter()
            .map(|c| pkg.dir.join(project::expand(c, &t.ws, pkg)))
            .collect();
        if !creates.is_empty() && creates.iter().all(|c| c.exists()) {
            continue;
        }
        let argv: Vec<String> = step
            .run
            .iter()
            .map(|a| project::expand(a, &t.ws, pkg))
            .collect();
        tools::say(&format!("prepare: {}", argv.join(" ")));
        let status = Command::new(&argv[0])
            .args(&argv[1..])
            .current_dir(&pkg.dir)
            .env("RAYO_TARGET_DIR", &t.ws.target_dir)
            .status()
            .map_err(|e| Error::Build(format!("prepare: cannot run {:?}: {e}", argv[0])))?;
        if !status.success() {
            return Err(Error::Build(format!(
                "prepare: `{}` failed ({status}) in {}",
                argv.join(" "),
                pkg.dir.display()
            )));
        }
        if let Some(missing) = creates.iter().find(|c| !c.exists()) {
            return Err(Error::Build(format!(
                "prepare: `{}` succeeded but did not create {}",
                argv.join(" "),
                missing.display()
            )));
        }
    }
    Ok(())
}

/// A task root for running the function here: `[package.metadata.rayo] files` linked at
/// their zip paths under `root`, so the function finds them as it does in /var/task on
/// Lambda (an embedding model, say). `None` when the package has no files.
pub(crate) fn task_root(t: &Target, root: &Path) -> Result<Option<PathBuf>> {
    let pkg = t.pkg();
    if pkg.rayo.files.is_empty() {
        return Ok(None);
    }
    let _ = std::fs::remove_dir_all(root);
    for (name, source) in &pkg.rayo.files {
        let from = pkg.dir.join(project::expand(source, &t.ws, pkg));
        if !from.is_file() {
            return Err(Error::Build(format!(
                "[package.metadata.rayo] files: {name:?} comes from {}, which is not there",
                from.display()
            )));
        }
        let to = root.join(name);
        if let Some(p) = to.parent() {
            std::fs::create_dir_all(p)
                .map_err(|e| Error::io(format!("creating {}", p.display()), e))?;
        }
        // A link, not a copy: a model file can be tens of megabytes.
        std::os::unix::fs::symlink(&from, &to)
            .map_err(|e| Error::io(format!("linking {}", to.display()), e))?;
    }
    Ok(Some(root.to_path_buf()))
}

/// The remapped paths: the bytes must not depend on where the checkout, CARGO_HOME or a
/// path dependency live (panic locations embed source paths).
fn remaps(t: &Target) -> Vec<String> {
    let rayo =
        |dir: &Path| dir.join("runtime-api/Cargo.toml").is_file() && dir.join("kernels").is_dir();
    let ws_to = if rayo(&t.ws.root) { "/rayo" } else { "/src" };
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_default();
    let mut before = Vec::new();
    let mut after = Vec::new();
    let mut seen: Vec<PathBuf> = Vec::new();
    for (name, path) in &t.pkg().deps {
        let Some(path) = path else { continue };
        if path.starts_with(&t.ws.root) {
            continue;
        }
        let root = enclosing_workspace(path);
        if seen.contains(&root) {
            continue;
        }
        seen.push(root.clone());
        let to = if rayo(&root) {
            "/rayo".to_string()
        } else {
            format!("/deps/{name}")
        };
        let flag = format!("--remap-path-prefix={}={to}", root.display());
        // The last matching remap wins: a dependency that encloses this workspace goes first.
        if t.ws.root.starts_with(&root) {
            before.push(flag);
        } else {
            after.push(flag);
        }
    }
    let mut flags = before;
    flags.push(format!(
        "--remap-path-prefix={}={ws_to}",
        t.ws.root.display()
    ));
    flags.push(format!(
        "--remap-path-prefix={}=/cargo",
        cargo_home.display()
    ));
    flags.extend(after);
    flags
}

/// The nearest ancestor of `dir` (itself included) whose Cargo.toml has `[workspace]`.
fn enclosing_workspace(dir: &Path) -> PathBuf {
    let mut d = Some(dir);
    while let Some(p) = d {
        if let Ok(text) = std::fs::read_to_string(p.join("Cargo.toml")) {
            if text.lines().any(|l| l.trim() == "[workspace]") {
                return p.to_path_buf();
            }
        }
        d = p.parent();
    }
    dir.to_path_buf()
}

/// The release-ultra profile for a workspace that does not define it (rayo's settings,
/// passed as cargo `--config`); one that defines it keeps its own.
const PROFILE_CONFIG: [&str; 9] = [
    "profile.release-ultra.inherits=\"release\"",
    "profile.release-ultra.opt-level=\"z\"",
    "profile.release-ultra.lto=\"fat\"",
    "profile.release-ultra.codegen-units=1",
    "profile.release-ultra.panic=\"abort\"",
    "profile.release-ultra.strip=true",
    "profile.release-ultra.debug=false",
    "profile.release-ultra.overflow-checks=false",
    "profile.release-ultra.incremental=false",
];

/// rayo's kernels at opt-level 3 inside release-ultra (at "z" `sum` 1K ran at 1.45x trueno
/// instead of 2.69x: docs/measurements/kernels.md). Passed only to a crate that uses them: cargo warns
/// about a profile override for a package that is not in the build.
const KERNELS_CONFIG: &str = "profile.release-ultra.package.rayo-kernels.opt-level=3";

/// The cargo command for one tier/arch, a printable form of it, and where the binary lands.
fn cargo_command(
    t: &Target,
    opts: &Options,
    tier: Tier,
    arch: Arch,
    linker: Linker,
    toolchain: &str,
) -> Result<(String, Command, PathBuf)> {
    const PROFILE: &str = "release-ultra";
    let pkg = t.pkg();
    // One target dir per tier and linker: their flags differ, and sharing would rebuild all.
    let mut target_dir = t.ws.target_dir.join(format!("tier-{}", tier.dir_name()));
    if linker == Linker::Lld {
        target_dir.set_file_name(format!("tier-{}-lld", tier.dir_name()));
    }
    let mut flags = remaps(t);
    let mut args: Vec<String> = vec![
        "build".into(),
        "--profile".into(),
        PROFILE.into(),
        "-p".into(),
        pkg.name.clone(),
        "--bin".into(),
        t.bin.clone(),
        "--target".into(),
        arch.triple().into(),
        "--target-dir".into(),
        target_dir.to_string_lossy().into_owned(),
    ];
    // A lock file pins what was tested; a crate without one gets it written by this build.
    if t.ws.root.join("Cargo.lock").is_file() {
        args.insert(1, "--locked".into());
    }
    if let Some(f) = &opts.features {
        args.push("--features".into());
        args.push(f.clone());
    }
    let given: Vec<&str> = opts
        .features
        .as_deref()
        .unwrap_or("")
        .split([',', ' '])
        .filter(|s| !s.is_empty())
        .collect();
    let missing: Vec<&str> = t
        .required_features
        .iter()
        .map(String::as_str)
        .filter(|f| !given.contains(f))
        .collect();
    if !missing.is_empty() {
        tools::say(&format!(
            "note: binary {} requires the features {}: building with them",
            t.bin,
            missing.join(",")
        ));
        args.push("--features".into());
        args.push(missing.join(","));
    }
    flags.extend(opts.rustflags.iter().cloned());
    if tier != Tier::Default {
        // std is compiled from rust-src here: its panic locations name that directory.
        let src = tools::sysroot(toolchain)?.join("lib/rustlib/src/rust");
        flags.push(format!("--remap-path-prefix={}=/rust", src.display()));
        // std without its default features drops backtrace (the symboliser is most of std's
        // size) but keeps the panic hook; optimize_for_size picks std's smaller algorithms.
        // With no unwinding and no backtraces, unwind tables are dead weight.
        args.push("-Zbuild-std=std,panic_abort".into());
        args.push("-Zbuild-std-features=optimize_for_size".into());
        flags.push("-Cforce-unwind-tables=no".into());
        // The nightly has no prebuilt musl std (build-std makes it), yet rustc still passes
        // its rustlib/TARGET/lib folder to the linker, and zig warns on every build that it
        // is missing: noise a user cannot act on. Linker errors still fail the build.
        flags.push("-Alinker_messages".into());
        if tier == Tier::Tiniest {
            // Every panic becomes an abort instruction: no hook, no message, no formatting.
            flags.push("-Zunstable-options".into());
            flags.push("-Cpanic=immediate-abort".into());
            // Which features the tiniest build keeps: the metadata's, else a package with a
            // `neon` feature (rayo's bootstrap: scalar kernels on x86_64, ~20 KB per x86
            // backend) builds with only that one.
            match (&pkg.rayo.tiniest, pkg.features.iter().any(|f| f == "neon")) {
                (Some(tf), _) => {
                    if !tf.default_features {
                        args.push("--no-default-features".into());
                    }
                    if !tf.features.is_empty() {
                        args.push("--features".into());
                        args.push(tf.features.join(","));
                    }
                }
                (None, true) => {
                    args.push("--no-default-features".into());
                    args.push("--features".into());
                    args.push("neon".into());
                }
                (None, false) => {}
            }
        }
    }
    if !t.ws.has_release_ultra {
        for c in PROFILE_CONFIG {
            args.push("--config".into());
            args.push(c.into());
        }
    }
    if !t.ws.has_kernels_override && t.depends_on("rayo-kernels") {
        args.push("--config".into());
        args.push(KERNELS_CONFIG.into());
    }
    let mut sub = vec!["cargo".to_string()];
    if linker == Linker::Zig {
        // zig supplies crt1.o, libc.a and libunwind: rustc must not add rustup's copies.
        flags.push("-Clink-self-contained=no".into());
        args[0] = "zigbuild".into();
    } else {
        // The host's cc cannot link another architecture (`crt1.o: Relocations in generic
        // ELF`); rust-lld links both, with rustup's self-contained musl (what rayo's
        // .cargo/config.toml says too, so its own bytes do not change).
        args.push("--config".into());
        args.push(format!("target.{}.linker=\"rust-lld\"", arch.triple()));
    }
    sub.extend(args);
    let mut cmd = Command::new("rustup");
    cmd.arg("run").arg(toolchain).args(&sub);
    cmd.current_dir(&t.ws.root);
    // Rustflags as cargo's \x1f-separated list so paths with spaces survive.
    cmd.env("CARGO_ENCODED_RUSTFLAGS", flags.join("\x1f"));
    cmd.env("RUSTFLAGS", "");
    cmd.env_remove("CARGO_BUILD_RUSTFLAGS");
    let desc = format!("rustup run {toolchain} {}", sub.join(" "));
    let artifact = target_dir.join(arch.triple()).join(PROFILE).join(&t.bin);
    Ok((desc, cmd, artifact))
}

/// Copies the binary to `dir/bootstrap`, writes bootstrap.zip (with the metadata's files),
/// its `.info`, and layer.zip when there is one.
fn pack(
    t: &Target,
    tier: Tier,
    arch: Arch,
    linker: Linker,
    secs: f64,
    artifact: &Path,
    dir: PathBuf,
) -> Result<Built> {
    use std::os::unix::fs::PermissionsExt;
    let pkg = t.pkg();
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    let binary = std::fs::read(artifact)
        .map_err(|e| Error::io(format!("reading {}", artifact.display()), e))?;
    let bootstrap = dir.join("bootstrap");
    write_atomic(&bootstrap, &binary)?;
    std::fs::set_permissions(&bootstrap, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| Error::io(format!("chmod 755 {}", bootstrap.display()), e))?;
    let files = read_files(t, &pkg.rayo.files, "files")?;
    let mut entries = vec![zip::Entry {
        name: "bootstrap",
        mode: 0o755,
        data: &binary,
    }];
    entries.extend(files.iter().map(|(name, mode, data)| zip::Entry {
        name,
        mode: *mode,
        data,
    }));
    let bytes = zip::write(&entries).map_err(|e| Error::io("writing bootstrap.zip", e))?;
    let zip_path = dir.join("bootstrap.zip");
    write_atomic(&zip_path, &bytes)?;
    let (sha256, code_sha256) = zip::digests(&bytes);
    let layer = if pkg.rayo.layer.is_empty() {
        None
    } else {
        let files = read_files(t, &pkg.rayo.layer, "layer")?;
        let entries: Vec<zip::Entry> = files
            .iter()
            .map(|(name, mode, data)| zip::Entry {
                name,
                mode: *mode,
                data,
            })
            .collect();
        let bytes = zip::write(&entries).map_err(|e| Error::io("writing layer.zip", e))?;
        let path = dir.join("layer.zip");
        write_atomic(&path, &bytes)?;
        let (s, b) = zip::digests(&bytes);
        Some((path, bytes.len() as u64, s, b))
    };
    let budget = pkg
        .rayo
        .budget
        .get(tier.name())
        .copied()
        .unwrap_or_else(|| tier.default_budget());
    let mut info = format!(
        "tier={}\narch={}\nlinker={}\nbinary_bytes={}\nzip_bytes={}\nsha256={sha256}\ncode_sha256={code_sha256}\n",
        tier.dir_name(),
        arch.name(),
        if linker == Linker::Zig { "zig" } else { "lld" },
        binary.len(),
        bytes.len()
    );
    if let Some((_, n, s, b)) = &layer {
        info.push_str(&format!(
            "layer_zip_bytes={n}\nlayer_sha256={s}\nlayer_code_sha256={b}\n"
        ));
    }
    // Deployment and benchmark tools read these facts instead of recomputing them.
    write_atomic(&dir.join("bootstrap.zip.info"), info.as_bytes())?;
    Ok(Built {
        tier,
        arch,
        binary_bytes: binary.len() as u64,
        zip_bytes: bytes.len() as u64,
        budget,
        secs,
        sha256,
        code_sha256,
        dir,
        layer,
    })
}

/// The metadata's `files` or `layer`: (zip path, mode, bytes), sorted by zip path.
fn read_files(
    t: &Target,
    map: &std::collections::BTreeMap<String, String>,
    key: &str,
) -> Result<Vec<(String, u32, Vec<u8>)>> {
    use std::os::unix::fs::PermissionsExt;
    let pkg = t.pkg();
    let mut out = Vec::new();
    for (name, source) in map {
        let path = pkg.dir.join(project::expand(source, &t.ws, pkg));
        let data = std::fs::read(&path).map_err(|e| {
            Error::Build(format!(
                "[package.metadata.rayo] {key}: {name:?} comes from {}, which cannot be read ({e}){}",
                path.display(),
                if pkg.rayo.prepare.is_empty() { "" } else { "; a prepare step should have made it" }
            ))
        })?;
        // Only the executable bit is kept: other mode bits vary with the checkout's umask.
        let exec = std::fs::metadata(&path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0);
        out.push((name.clone(), if exec { 0o755 } else { 0o644 }, data));
    }
    Ok(out)
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(|e| Error::io(format!("writing {}", tmp.display()), e))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        Error::io(
            format!("renaming {} to {}", tmp.display(), path.display()),
            e,
        )
    })
}

/// `262144` -> `262,144`.
pub(crate) fn commas(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Lambda's limit for a zip uploaded with the function (CreateFunction's ZipFile): 50 MB.
const DIRECT_UPLOAD_LIMIT: u64 = 50 * 1024 * 1024;

fn report(t: &Target, opts: &Options, rows: &[Built]) {
    let rel = |p: &Path| {
        p.strip_prefix(std::env::current_dir().unwrap_or_default())
            .unwrap_or(p)
            .display()
            .to_string()
    };
    println!();
    println!(
        "rayo size report: {}/{}, profile release-ultra, --linker {}; budget applies to the stripped binary",
        t.pkg().name,
        t.bin,
        if opts.linker == Linker::Zig { "zig" } else { "lld" }
    );
    println!(
        "{:<8} {:<7} {:>11} {:>11} {:>11}  {:<6} {:>8}",
        "tier", "arch", "binary", "zip", "budget", "result", "build"
    );
    for r in rows {
        println!(
            "{:<8} {:<7} {:>11} {:>11} {:>11}  {:<6} {:>7.1}s",
            r.tier.dir_name(),
            r.arch.name(),
            commas(r.binary_bytes),
            commas(r.zip_bytes),
            commas(r.budget),
            if r.binary_bytes <= r.budget {
                "PASS"
            } else {
                "FAIL"
            },
            r.secs
        );
    }
    for r in rows {
        println!("{}", rel(&r.dir.join("bootstrap.zip")));
        println!("    sha256       {}", r.sha256);
        println!("    CodeSha256   {}", r.code_sha256);
        if r.zip_bytes > DIRECT_UPLOAD_LIMIT {
            println!(
                "    warning: {} B is over Lambda's direct-upload limit ({} B): upload it through S3, or move the big files from [package.metadata.rayo] files to layer",
                commas(r.zip_bytes),
                commas(DIRECT_UPLOAD_LIMIT)
            );
        }
        if let Some((path, n, s, b)) = &r.layer {
            println!("{} ({} bytes; unpacked under /opt)", rel(path), commas(*n));
            println!("    sha256       {s}");
            println!("    CodeSha256   {b}");
        }
    }
}

/// `--event`: each built binary answers `event` once through the emulator (arm64 under
/// qemu-aarch64-static on an x86_64 host, when installed).
fn smoke(t: &Target, rows: &[Built], event: &str) -> Result<()> {
    let host = tools::host_arch();
    // The files bootstrap.zip holds beside the binary, where the function looks for them.
    let env: Vec<(String, String)> = match task_root(t, &t.ws.target_dir.join("lambda/.rayo-task"))?
    {
        Some(root) => vec![("LAMBDA_TASK_ROOT".into(), root.display().to_string())],
        None => Vec::new(),
    };
    let mut failed = Vec::new();
    for r in rows {
        let bootstrap = r.dir.join("bootstrap");
        let mut cmd = Command::new(&bootstrap);
        let mut note = "";
        if Some(r.arch.name()) != host {
            match (r.arch, tools::qemu_aarch64()) {
                (Arch::Arm64, Some(qemu)) => {
                    cmd = Command::new(qemu);
                    cmd.arg(&bootstrap);
                    note =
                        " (under qemu-aarch64-static: timings are emulation, not arm64 hardware)";
                }
                _ => {
                    println!();
                    println!(
                        "invoke {}/{}: NOT RUN: the host is {} and qemu-aarch64-static is not installed (apt-get install -y qemu-user-static)",
                        r.tier.dir_name(),
                        r.arch.name(),
                        host.unwrap_or("neither x86_64 nor arm64")
                    );
                    continue;
                }
            }
        }
        println!();
        println!(
            "invoke {}/{}{note}: event {event}",
            r.tier.dir_name(),
            r.arch.name()
        );
        match invoke_once(cmd, event, &env) {
            Ok((body, init, took, error_type)) => {
                println!("    response: {}", String::from_utf8_lossy(&body));
                println!(
                    "    init: {:.3} ms (spawn to first GET /next)",
                    init.as_secs_f64() * 1e3
                );
                println!("    invoke 1: {:.3} ms", took.as_secs_f64() * 1e3);
                if let Some(t) = error_type {
                    println!("    FAILED: the function answered with an error ({t})");
                    failed.push(format!("{}/{}", r.tier.name(), r.arch.name()));
                }
            }
            Err(e) => {
                println!("    FAILED: {e}");
                failed.push(format!("{}/{}", r.tier.name(), r.arch.name()));
            }
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Error::Function(format!(
            "the built bootstrap did not answer the event through the emulator: {}",
            failed.join(", ")
        )))
    }
}

/// Runs `cmd` under a fresh emulator, sends `event`; the body, init, invoke time, and the
/// error type when it answered with an error.
fn invoke_once(
    cmd: Command,
    event: &str,
    env: &[(String, String)],
) -> std::result::Result<(Vec<u8>, Duration, Duration, Option<String>), String> {
    use rayo_emulator::{Config, Emulator, OutcomeKind};
    let emu = Emulator::start(Config {
        timeout: Duration::from_secs(30),
        env: env.to_vec(),
        ..Config::default()
    })
    .map_err(|e| format!("cannot start the emulator: {e}"))?;
    let spawned = Instant::now();
    let mut child = emu
        .spawn(cmd)
        .map_err(|e| format!("cannot start the bootstrap: {e}"))?;
    let result = (|| {
        // A function that fails its init exits at once: say why instead of waiting out 60 s.
        let deadline = Instant::now() + Duration::from_secs(60);
        let next = loop {
            if let Ok(at) = emu.wait_next(Duration::from_millis(100)) {
                break at;
            }
            if let Ok(Some(status)) = child.try_wait() {
                return Err(match emu.wait_init_error(Duration::from_millis(100)) {
                    Ok(e) => format!(
                        "its initialisation failed ({status}): {} {}",
                        e.error_type.as_deref().unwrap_or("(no error type)"),
                        String::from_utf8_lossy(&e.body)
                    ),
                    Err(_) => format!("it exited before its first GET /next ({status})"),
                });
            }
            if Instant::now() >= deadline {
                return Err("no GET /next within 60 s".into());
            }
        };
        let started = Instant::now();
        let out = emu
            .invoke(event.as_bytes().to_vec(), Duration::from_secs(60))
            .map_err(|e| format!("no answer: {e}"))?;
        let error_type = match out.kind {
            OutcomeKind::Response => None,
            OutcomeKind::Error { error_type } => {
                Some(error_type.unwrap_or_else(|| "no error type".into()))
            }
        };
        Ok((
            out.body,
            next.saturating_duration_since(spawned),
            out.received_at.saturating_duration_since(started),
            error_type,
        ))
    })();
    if emu
        .stop_function(&mut child, rayo_emulator::SHUTDOWN_GRACE)
        .is_err()
    {
        let _ = child.kill();
        let _ = child.wait();
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_build_sh() {
        let t = Path::new("/t");
        assert_eq!(
            out_dir(t, "bootstrap", Tier::Default, Arch::Arm64, false),
            Path::new("/t/lambda/arm64")
        );
        assert_eq!(
            out_dir(t, "echo", Tier::Tiny, Arch::X86_64, false),
            Path::new("/t/lambda/echo/x86_64")
        );
        assert_eq!(
            out_dir(t, "bootstrap", Tier::Default, Arch::X86_64, true),
            Path::new("/t/lambda/tiers/stable/x86_64")
        );
        assert_eq!(
            out_dir(t, "hello", Tier::Tiniest, Arch::Arm64, true),
            Path::new("/t/lambda/hello/tiers/tiniest/arm64")
        );
    }

    fn target_with(deps: &[&str], release_ultra: bool, kernels_override: bool) -> Target {
        use crate::project::{Bin, Metadata, Package, Workspace};
        Target {
            ws: Workspace {
                root: "/nonexistent/w".into(),
                target_dir: "/nonexistent/w/target".into(),
                packages: vec![Package {
                    name: "f".into(),
                    dir: "/nonexistent/w".into(),
                    bins: vec![Bin {
                        name: "f".into(),
                        required_features: vec![],
                    }],
                    deps: deps.iter().map(|d| (d.to_string(), None)).collect(),
                    features: vec![],
                    rayo: Metadata::default(),
                }],
                has_release_ultra: release_ultra,
                has_kernels_override: kernels_override,
            },
            package: 0,
            bin: "f".into(),
            required_features: vec![],
        }
    }

    #[test]
    fn the_kernels_override_only_for_a_crate_that_uses_them() {
        let opts = Options {
            arches: vec![Arch::X86_64],
            tiers: vec![Tier::Default],
            all_tiers: false,
            linker: Linker::Zig,
            features: None,
            rustflags: vec![],
            event: None,
        };
        let desc = |t: &Target| {
            cargo_command(t, &opts, Tier::Default, Arch::X86_64, Linker::Zig, "1.95.0")
                .unwrap()
                .0
        };
        let plain = desc(&target_with(&["rayo-runtime"], true, false));
        assert!(!plain.contains("--config"), "{plain}");
        let kernels = desc(&target_with(&["rayo-runtime", "rayo-kernels"], true, false));
        assert!(
            kernels.contains(&format!("--config {KERNELS_CONFIG}")),
            "{kernels}"
        );
        let own = desc(&target_with(&["rayo-runtime", "rayo-kernels"], true, true));
        assert!(
            !own.contains("--config"),
            "the manifest's own override: {own}"
        );
        let no_profile = desc(&target_with(&["rayo-runtime"], false, false));
        assert!(
            no_profile.contains("profile.release-ultra.opt-level=\"z\""),
            "{no_profile}"
        );
        assert!(!no_profile.contains(KERNELS_CONFIG), "{no_profile}");
    }

    #[test]
    fn lld_links_with_rust_lld_whatever_the_crate_configures() {
        let opts = Options {
            arches: vec![Arch::Arm64],
            tiers: vec![Tier::Default],
            all_tiers: false,
            linker: Linker::Lld,
            features: None,
            rustflags: vec![],
            event: None,
        };
        let t = target_with(&["rayo-runtime"], true, false);
        let (desc, _, artifact) =
            cargo_command(&t, &opts, Tier::Default, Arch::Arm64, Linker::Lld, "1.95.0").unwrap();
        assert!(
            desc.contains("rustup run 1.95.0 cargo build ")
                && desc.contains(r#"--config target.aarch64-unknown-linux-musl.linker="rust-lld""#),
            "{desc}"
        );
        assert!(
            artifact.starts_with("/nonexistent/w/target/tier-stable-lld"),
            "{artifact:?}"
        );
        let (zig, _, _) =
            cargo_command(&t, &opts, Tier::Default, Arch::Arm64, Linker::Zig, "1.95.0").unwrap();
        assert!(
            zig.contains("cargo zigbuild ") && !zig.contains("linker="),
            "{zig}"
        );
    }

    #[test]
    fn names_and_budgets() {
        assert_eq!(commas(262144), "262,144");
        assert_eq!(commas(500000), "500,000");
        assert_eq!(commas(999), "999");
        assert_eq!(commas(1000), "1,000");
        assert_eq!(Tier::parse("stable"), Some(Tier::Default));
        assert_eq!(Tier::Tiniest.default_budget(), 131_072);
        assert_eq!(Arch::parse("aarch64"), Some(Arch::Arm64));
        assert_eq!(Arch::parse("mips"), None);
        for name in TIER_NAMES {
            assert_eq!(Tier::parse(name).map(Tier::name), Some(name));
        }
    }
}
