//! The tools a Lambda build needs, installed when missing: Rust toolchains, musl targets and
//! rust-src through rustup; zig and cargo-zigbuild from PyPI into a project-local virtual
//! environment (never the global Python). Each install is announced on stderr with a
//! spinner, so a long download is visibly a download.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::error::{Error, Result};
use crate::pins;

/// Prints `cargo rayo: MESSAGE` on stderr.
pub(crate) fn say(message: &str) {
    eprintln!("cargo rayo: {message}");
}

/// A spinner on stderr while `f` runs (hidden when stderr is not a terminal).
pub(crate) fn with_spinner<T>(message: &str, f: impl FnOnce() -> T) -> T {
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_message(message.to_string());
    bar.enable_steady_tick(Duration::from_millis(120));
    let out = f();
    bar.finish_and_clear();
    out
}

/// Runs `cmd` with its output on stderr; `Err` names what failed and how to do it by hand.
fn run_quiet(cmd: &mut Command, what: &str) -> Result<()> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::Tool(format!("{what}: cannot run {:?}: {e}", cmd.get_program())))?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    Err(Error::Tool(format!(
        "{what} failed ({}): {}",
        out.status,
        tail.join(" | ")
    )))
}

/// rustup must exist: everything else is installed through it.
pub(crate) fn require_rustup() -> Result<()> {
    match Command::new("rustup")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        Ok(s) if s.success() => Ok(()),
        _ => Err(Error::Tool(
            "rustup not found: install it (https://rustup.rs), then run the command again".into(),
        )),
    }
}

/// Installs `toolchain` (profile minimal), its `targets` and, with `rust_src`, the std
/// sources `-Zbuild-std` compiles, each only when missing.
pub(crate) fn ensure_toolchain(toolchain: &str, targets: &[&str], rust_src: bool) -> Result<()> {
    require_rustup()?;
    let present = Command::new("rustup")
        .args(["run", toolchain, "rustc", "-V"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !present {
        let msg = format!("installing Rust toolchain {toolchain} (rustup, profile minimal)");
        say(&msg);
        with_spinner(&msg, || {
            run_quiet(
                Command::new("rustup").args([
                    "toolchain",
                    "install",
                    toolchain,
                    "--profile",
                    "minimal",
                ]),
                &format!("rustup toolchain install {toolchain} --profile minimal"),
            )
        })?;
    }
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed", "--toolchain", toolchain])
        .output()
        .map_err(|e| Error::Tool(format!("rustup target list: {e}")))?;
    let installed = String::from_utf8_lossy(&installed.stdout);
    for t in targets {
        if !installed.lines().any(|l| l.trim() == *t) {
            let msg = format!("adding target {t} to {toolchain}");
            say(&msg);
            with_spinner(&msg, || {
                run_quiet(
                    Command::new("rustup").args(["target", "add", "--toolchain", toolchain, t]),
                    &format!("rustup target add --toolchain {toolchain} {t}"),
                )
            })?;
        }
    }
    if rust_src {
        let sysroot = sysroot(toolchain)?;
        if !sysroot.join("lib/rustlib/src/rust/library").is_dir() {
            let msg = format!("adding rust-src to {toolchain} (-Zbuild-std compiles std from it)");
            say(&msg);
            with_spinner(&msg, || {
                run_quiet(
                    Command::new("rustup").args([
                        "component",
                        "add",
                        "--toolchain",
                        toolchain,
                        "rust-src",
                    ]),
                    &format!("rustup component add --toolchain {toolchain} rust-src"),
                )
            })?;
        }
    }
    Ok(())
}

/// `rustc --print sysroot` of `toolchain`.
pub(crate) fn sysroot(toolchain: &str) -> Result<PathBuf> {
    let out = Command::new("rustup")
        .args(["run", toolchain, "rustc", "--print", "sysroot"])
        .output()
        .map_err(|e| Error::Tool(format!("rustup run {toolchain} rustc --print sysroot: {e}")))?;
    if !out.status.success() {
        return Err(Error::Tool(format!(
            "rustup run {toolchain} rustc --print sysroot failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

/// The project's virtual environment: `$RAYO_VENV`, else `TARGET_DIR/venv`.
pub(crate) fn venv_dir(target_dir: &Path) -> PathBuf {
    match std::env::var_os("RAYO_VENV") {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => target_dir.join("venv"),
    }
}

/// zig and cargo-zigbuild in the virtual environment at `venv`, installed when missing;
/// returns the `PATH` to build with (the venv's bin first). zig 0.17.1 is 411 MB on disk.
pub(crate) fn ensure_zigbuild(venv: &Path) -> Result<std::ffi::OsString> {
    let bin = venv.join("bin");
    if !bin.join("python3").is_file() {
        let msg = format!(
            "creating the virtual environment {} (python3 -m venv)",
            venv.display()
        );
        say(&msg);
        run_quiet(
            Command::new("python3").arg("-m").arg("venv").arg(venv),
            "python3 -m venv",
        )
        .map_err(|e| {
            Error::Tool(format!(
                "{e}; linking needs python3 with venv (Debian: apt-get install -y python3-venv)"
            ))
        })?;
    }
    if !bin.join("cargo-zigbuild").is_file() || zig_version_in(&bin).is_none() {
        let msg = format!(
            "installing ziglang=={} and cargo-zigbuild=={} from PyPI into {} (~430 MB)",
            pins::ZIGLANG_VERSION,
            pins::CARGO_ZIGBUILD_VERSION,
            venv.display()
        );
        say(&msg);
        with_spinner(&msg, || {
            run_quiet(
                Command::new(bin.join("python3")).args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    &format!("ziglang=={}", pins::ZIGLANG_VERSION),
                    &format!("cargo-zigbuild=={}", pins::CARGO_ZIGBUILD_VERSION),
                ]),
                "pip install ziglang cargo-zigbuild",
            )
        })?;
    }
    match zig_version_in(&bin) {
        Some(v) if v == pins::ZIGLANG_VERSION => {}
        Some(v) => say(&format!(
            "warning: zig {v} in {}, pinned {}: zig-linked bytes may differ from CI's",
            venv.display(),
            pins::ZIGLANG_VERSION
        )),
        None => {
            return Err(Error::Tool(format!(
                "zig does not run from {} (python3 -m ziglang version failed): remove that folder and run again",
                venv.display()
            )))
        }
    }
    let mut path = std::ffi::OsString::from(bin.as_os_str());
    if let Some(old) = std::env::var_os("PATH") {
        path.push(":");
        path.push(old);
    }
    Ok(path)
}

fn zig_version_in(bin: &Path) -> Option<String> {
    let out = Command::new(bin.join("python3"))
        .args(["-m", "ziglang", "version"])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// `qemu-aarch64-static` on PATH, for running arm64 binaries on an x86_64 host.
pub(crate) fn qemu_aarch64() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("qemu-aarch64-static"))
        .find(|p| p.is_file())
}

/// The host's architecture in Lambda's words.
pub(crate) fn host_arch() -> Option<&'static str> {
    match std::env::consts::ARCH {
        "x86_64" => Some("x86_64"),
        "aarch64" => Some("arm64"),
        _ => None,
    }
}

/// `cargo` (or `$CARGO`, which cargo sets for its subcommands).
pub(crate) fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}
