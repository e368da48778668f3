//! The toolchain and tool versions a Lambda build's bytes depend on, and the size budgets.
//! `scripts/pins.sh` holds the same values for the shell scripts; a test checks they agree.

/// The default tier's toolchain (`RAYO_STABLE_TOOLCHAIN` overrides it).
pub(crate) const STABLE_TOOLCHAIN: &str = "1.95.0";
/// `--tier tiny|tiniest`: rustc 1.97.0-nightly (e50aa6fba 2026-05-19); its
/// `-Zunstable-options -Cpanic=immediate-abort` makes a panic trap without the hook
/// (`RAYO_NIGHTLY_TOOLCHAIN` overrides it).
pub(crate) const NIGHTLY_TOOLCHAIN: &str = "nightly-2026-05-20";
/// zig (PyPI `ziglang`): its musl, crt and LLVM libunwind link every build.
pub(crate) const ZIGLANG_VERSION: &str = "0.17.1";
/// cargo-zigbuild (PyPI), which drives zig as cargo's linker.
pub(crate) const CARGO_ZIGBUILD_VERSION: &str = "0.24.0";

/// The toolchain for the default tier, honouring `RAYO_STABLE_TOOLCHAIN`.
pub(crate) fn stable() -> String {
    std::env::var("RAYO_STABLE_TOOLCHAIN").unwrap_or_else(|_| STABLE_TOOLCHAIN.to_string())
}

/// The toolchain for `tiny` and `tiniest`, honouring `RAYO_NIGHTLY_TOOLCHAIN`.
pub(crate) fn nightly() -> String {
    std::env::var("RAYO_NIGHTLY_TOOLCHAIN").unwrap_or_else(|_| NIGHTLY_TOOLCHAIN.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shell_pins_agree() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/pins.sh");
        let text = std::fs::read_to_string(path).expect("scripts/pins.sh beside cargo-rayo/");
        for (var, want) in [
            (
                "STABLE_TOOLCHAIN",
                format!("${{RAYO_STABLE_TOOLCHAIN:-{STABLE_TOOLCHAIN}}}"),
            ),
            (
                "NIGHTLY_TOOLCHAIN",
                format!("${{RAYO_NIGHTLY_TOOLCHAIN:-{NIGHTLY_TOOLCHAIN}}}"),
            ),
            ("ZIGLANG_VERSION", ZIGLANG_VERSION.to_string()),
            ("CARGO_ZIGBUILD_VERSION", CARGO_ZIGBUILD_VERSION.to_string()),
        ] {
            let line = format!("{var}=\"{want}\"");
            assert!(
                text.lines().any(|l| l == line),
                "scripts/pins.sh lacks {line}"
            );
        }
    }
}
