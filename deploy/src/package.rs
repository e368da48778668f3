//! What is inside a deployment zip, checked offline before anything is uploaded: Lambda
//! execs `bootstrap` at the zip's root, so it must be there, be executable, and be built
//! for the function's architecture. A mistake here otherwise shows up only on the first
//! invocation, as `Runtime.InvalidEntrypoint` or `Runtime.ExitError`.

use std::fmt;

use crate::flow::Architecture;
use crate::Error;

/// What `bootstrap` is, as far as its first bytes tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Executable {
    /// A 64-bit little-endian ELF executable for this architecture.
    Elf(Architecture),
    /// A script (`#!` first): Lambda runs it with its interpreter; no architecture to check.
    Script,
}

/// The facts [`inspect`] found about a zip's `bootstrap`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bootstrap {
    /// ELF (and its machine) or script.
    pub executable: Executable,
    /// Its Unix mode bits, as the zip records them (e.g. `0o755`).
    pub mode: u32,
    /// Its uncompressed size in bytes.
    pub size: u64,
    /// How many entries the zip holds in all.
    pub entries: usize,
}

impl fmt::Display for Bootstrap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.executable {
            Executable::Elf(a) => format!("an ELF executable for {}", a.as_str()),
            Executable::Script => "a script (#!)".to_string(),
        };
        write!(
            f,
            "bootstrap: {what}, mode {:o}, {} bytes; {} entries in the zip",
            self.mode, self.size, self.entries
        )
    }
}

/// Checks `zip` holds an executable `bootstrap` at its root whose ELF machine is `arch`
/// (a script passes with no architecture to check). Every refusal is an
/// [`Error::InvalidArgument`] naming the problem and what to do.
///
/// ```
/// use rayo_deploy::flow::Architecture;
/// // Not a zip at all:
/// let err = rayo_deploy::package::check(b"hello", Architecture::Arm64).unwrap_err();
/// assert!(err.to_string().contains("not a zip file"));
/// ```
pub fn check(zip: &[u8], arch: Architecture) -> Result<Bootstrap, Error> {
    let found = inspect(zip).map_err(Error::InvalidArgument)?;
    if let Executable::Elf(built) = found.executable {
        if built != arch {
            return Err(Error::InvalidArgument(format!(
                "bootstrap is an ELF executable for {}, but --arch is {}: build for {} \
                 (cargo rayo build --arch {}) or deploy with --arch {}",
                built.as_str(),
                arch.as_str(),
                arch.as_str(),
                arch.as_str(),
                built.as_str()
            )));
        }
    }
    Ok(found)
}

/// Reads the zip's central directory and the start of `bootstrap`; the `Err` is the
/// sentence saying what is wrong.
pub fn inspect(zip: &[u8]) -> Result<Bootstrap, String> {
    if !zip.starts_with(b"PK\x03\x04") {
        return Err("not a zip file (no PK\\x03\\x04 signature at its start)".into());
    }
    let entries = central_directory(zip)?;
    let Some(entry) = entries.iter().find(|e| e.name == "bootstrap") else {
        let nested: Vec<&str> = entries
            .iter()
            .map(|e| e.name.as_str())
            .filter(|n| n.ends_with("/bootstrap"))
            .collect();
        return Err(match nested.first() {
            Some(n) => format!(
                "the zip has no bootstrap at its root, only {n:?}: Lambda execs /var/task/bootstrap, \
                 so zip the file itself, not the folder holding it"
            ),
            None => format!(
                "the zip has no file named bootstrap at its root ({} entries{}): Lambda's \
                 provided.al2023 runtime execs it",
                entries.len(),
                listing(&entries)
            ),
        });
    };
    const S_IFMT: u32 = 0o170000;
    const S_IFREG: u32 = 0o100000;
    if entry.made_by_unix {
        let mode = entry.external_attr >> 16;
        if mode & S_IFMT != S_IFREG && mode & S_IFMT != 0 {
            return Err(format!(
                "bootstrap in the zip is not a regular file (mode {mode:o}): Lambda needs the executable itself"
            ));
        }
        if mode & 0o111 == 0 {
            return Err(format!(
                "bootstrap in the zip is not executable (mode {:o}): Lambda could not start it; \
                 chmod 755 it before zipping (cargo rayo build does)",
                mode & 0o7777
            ));
        }
    } else {
        return Err(
            "the zip records no Unix permissions for bootstrap (it was not made on a Unix \
             system), so Lambda would unpack it without the executable bit: zip it with \
             cargo rayo build, or zip -X on Linux or macOS"
                .into(),
        );
    }
    let head = entry_head(zip, entry)?;
    let executable = classify(&head)?;
    Ok(Bootstrap {
        executable,
        mode: (entry.external_attr >> 16) & 0o7777,
        size: entry.size,
        entries: entries.len(),
    })
}

fn listing(entries: &[Entry]) -> String {
    if entries.is_empty() {
        return String::new();
    }
    let names: Vec<&str> = entries.iter().take(5).map(|e| e.name.as_str()).collect();
    let more = if entries.len() > 5 { ", ..." } else { "" };
    format!(": {}{more}", names.join(", "))
}

/// ELF or script, from the file's first bytes.
fn classify(head: &[u8]) -> Result<Executable, String> {
    if head.starts_with(b"#!") {
        return Ok(Executable::Script);
    }
    if !head.starts_with(b"\x7fELF") {
        return Err(format!(
            "bootstrap is neither an ELF executable nor a script (it starts with {:?})",
            String::from_utf8_lossy(&head[..head.len().min(8)])
        ));
    }
    if head.len() < 20 {
        return Err("bootstrap is a truncated ELF file (shorter than its header)".into());
    }
    if head[4] != 2 || head[5] != 1 {
        return Err(format!(
            "bootstrap is an ELF file but not 64-bit little-endian (class {}, data {}): Lambda runs x86_64 and arm64",
            head[4], head[5]
        ));
    }
    match u16::from_le_bytes([head[18], head[19]]) {
        62 => Ok(Executable::Elf(Architecture::X86_64)),
        183 => Ok(Executable::Elf(Architecture::Arm64)),
        other => Err(format!(
            "bootstrap is an ELF executable for machine {other}, neither x86_64 (62) nor arm64 (183)"
        )),
    }
}

struct Entry {
    name: String,
    method: u16,
    compressed: u64,
    size: u64,
    local_offset: u64,
    made_by_unix: bool,
    external_attr: u32,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

const TRUNCATED: &str =
    "the zip is truncated or corrupt (its central directory does not fit the file)";

fn central_directory(zip: &[u8]) -> Result<Vec<Entry>, String> {
    // The end record is the last 22 bytes, plus a comment of at most 65,535 bytes.
    let from = zip.len().saturating_sub(22 + 65_535);
    let eocd = (from..zip.len().saturating_sub(21))
        .rev()
        .find(|&i| zip[i..].starts_with(b"PK\x05\x06"))
        .ok_or("the zip has no end-of-central-directory record (truncated?)")?;
    let count = u16_at(zip, eocd + 10).ok_or(TRUNCATED)? as usize;
    let offset = u32_at(zip, eocd + 16).ok_or(TRUNCATED)?;
    if offset == u32::MAX || count == usize::from(u16::MAX) {
        return Err("the zip is a zip64 archive, larger than Lambda takes inline (50 MB)".into());
    }
    let mut at = offset as usize;
    let mut entries = Vec::with_capacity(count);
    for _ in 0..count {
        if u32_at(zip, at) != Some(0x0201_4b50) {
            return Err(TRUNCATED.into());
        }
        let field = |o: usize| u32_at(zip, at + o).ok_or(TRUNCATED);
        let made_by = u16_at(zip, at + 4).ok_or(TRUNCATED)?;
        let method = u16_at(zip, at + 10).ok_or(TRUNCATED)?;
        let compressed = field(20)?;
        let size = field(24)?;
        let name_len = u16_at(zip, at + 28).ok_or(TRUNCATED)? as usize;
        let extra_len = u16_at(zip, at + 30).ok_or(TRUNCATED)? as usize;
        let comment_len = u16_at(zip, at + 32).ok_or(TRUNCATED)? as usize;
        let external_attr = field(38)?;
        let local_offset = field(42)?;
        let name = zip.get(at + 46..at + 46 + name_len).ok_or(TRUNCATED)?;
        entries.push(Entry {
            name: String::from_utf8_lossy(name).into_owned(),
            method,
            compressed: u64::from(compressed),
            size: u64::from(size),
            local_offset: u64::from(local_offset),
            made_by_unix: made_by >> 8 == 3,
            external_attr,
        });
        at += 46 + name_len + extra_len + comment_len;
    }
    Ok(entries)
}

/// The first 64 bytes of an entry, inflated when deflated.
fn entry_head(zip: &[u8], e: &Entry) -> Result<Vec<u8>, String> {
    let at = usize::try_from(e.local_offset).map_err(|_| TRUNCATED)?;
    if u32_at(zip, at) != Some(0x0403_4b50) {
        return Err(TRUNCATED.into());
    }
    let name_len = u16_at(zip, at + 26).ok_or(TRUNCATED)? as usize;
    let extra_len = u16_at(zip, at + 28).ok_or(TRUNCATED)? as usize;
    let start = at + 30 + name_len + extra_len;
    let len = usize::try_from(e.compressed).map_err(|_| TRUNCATED)?;
    let data = zip.get(start..start.saturating_add(len)).ok_or(TRUNCATED)?;
    const HEAD: usize = 64;
    match e.method {
        0 => Ok(data[..data.len().min(HEAD)].to_vec()),
        8 => inflate_head(data, HEAD),
        m => Err(format!(
            "bootstrap is stored with zip compression method {m}; Lambda reads only stored (0) and deflated (8)"
        )),
    }
}

fn inflate_head(data: &[u8], want: usize) -> Result<Vec<u8>, String> {
    use miniz_oxide::inflate::core::{decompress, inflate_flags, DecompressorOxide};
    use miniz_oxide::inflate::TINFLStatus;
    let mut state = DecompressorOxide::new();
    let mut out = vec![0u8; want];
    // A non-wrapping output buffer: stop once `want` bytes are out, whatever follows.
    let flags = inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
    let (status, _, written) = decompress(&mut state, data, &mut out, 0, flags);
    match status {
        TINFLStatus::Done | TINFLStatus::HasMoreOutput => {
            out.truncate(written);
            Ok(out)
        }
        _ => Err(format!(
            "bootstrap's deflated data in the zip is corrupt ({status:?})"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A zip with one entry per (name, made-by-unix, mode, method, data).
    fn zip(files: &[(&str, bool, u32, u16, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for (name, unix, mode, method, data) in files {
            let stored: Vec<u8> = if *method == 8 {
                miniz_oxide::deflate::compress_to_vec(data, 6)
            } else {
                data.to_vec()
            };
            let offset = out.len() as u32;
            out.extend_from_slice(b"PK\x03\x04");
            out.extend_from_slice(&[20, 0, 0, 0]);
            out.extend_from_slice(&method.to_le_bytes());
            out.extend_from_slice(&[0; 8]); // time, date, crc (not checked here)
            out.extend_from_slice(&(stored.len() as u32).to_le_bytes());
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(&stored);
            central.extend_from_slice(b"PK\x01\x02");
            central.extend_from_slice(&(if *unix { 0x0314u16 } else { 0x0014 }).to_le_bytes());
            central.extend_from_slice(&[20, 0, 0, 0]);
            central.extend_from_slice(&method.to_le_bytes());
            central.extend_from_slice(&[0; 8]);
            central.extend_from_slice(&(stored.len() as u32).to_le_bytes());
            central.extend_from_slice(&(data.len() as u32).to_le_bytes());
            central.extend_from_slice(&(name.len() as u16).to_le_bytes());
            central.extend_from_slice(&[0; 8]); // extra, comment, disk, internal
            central.extend_from_slice(&(mode << 16).to_le_bytes());
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(name.as_bytes());
        }
        let cd = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(b"PK\x05\x06");
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&(files.len() as u16).to_le_bytes());
        out.extend_from_slice(&(files.len() as u16).to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&cd.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }

    fn elf(machine: u16) -> Vec<u8> {
        let mut h = b"\x7fELF\x02\x01\x01".to_vec();
        h.resize(18, 0);
        h.extend_from_slice(&machine.to_le_bytes());
        h.resize(4096, 0xaa); // more than the 64 bytes read, deflated to test the cut-off
        h
    }

    #[test]
    fn a_good_zip_passes_for_its_architecture_only() {
        for method in [0u16, 8] {
            let z = zip(&[("bootstrap", true, 0o100755, method, &elf(183))]);
            let b = check(&z, Architecture::Arm64).unwrap();
            assert_eq!(b.executable, Executable::Elf(Architecture::Arm64));
            assert_eq!((b.mode, b.size, b.entries), (0o755, 4096, 1));
            let e = check(&z, Architecture::X86_64).unwrap_err().to_string();
            assert!(
                e.contains("ELF executable for arm64, but --arch is x86_64"),
                "{e}"
            );
            let z = zip(&[("bootstrap", true, 0o100755, method, &elf(62))]);
            assert!(check(&z, Architecture::X86_64).is_ok());
            let e = check(&z, Architecture::Arm64).unwrap_err().to_string();
            assert!(e.contains("cargo rayo build --arch arm64"), "{e}");
        }
        // A script has no architecture; files beside bootstrap are fine.
        let z = zip(&[
            ("vocab.txt", true, 0o100644, 8, b"a\nb\n"),
            ("bootstrap", true, 0o100755, 0, b"#!/bin/sh\nexec ./app\n"),
        ]);
        let b = check(&z, Architecture::Arm64).unwrap();
        assert_eq!((b.executable, b.entries), (Executable::Script, 2));
    }

    #[test]
    fn every_refusal_says_what_is_wrong() {
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (b"plain text".to_vec(), "not a zip file"),
            (
                zip(&[("main", true, 0o100755, 0, &elf(62))]),
                "no file named bootstrap at its root (1 entries: main)",
            ),
            (
                zip(&[("dist/bootstrap", true, 0o100755, 0, &elf(62))]),
                "only \"dist/bootstrap\"",
            ),
            (
                zip(&[("bootstrap", true, 0o100644, 0, &elf(62))]),
                "not executable (mode 644)",
            ),
            (
                zip(&[("bootstrap", false, 0, 0, &elf(62))]),
                "no Unix permissions",
            ),
            (
                zip(&[("bootstrap", true, 0o120777, 0, b"target")]),
                "not a regular file",
            ),
            (
                zip(&[("bootstrap", true, 0o100755, 0, b"MZ\x90\x00")]),
                "neither an ELF executable nor a script",
            ),
            (
                zip(&[("bootstrap", true, 0o100755, 0, &elf(40))]),
                "machine 40",
            ),
            (
                zip(&[("bootstrap", true, 0o100755, 0, b"\x7fELF\x01\x01\x01")]),
                "truncated ELF",
            ),
            (
                zip(&[("bootstrap", true, 0o100755, 9, &elf(62))]),
                "compression method 9",
            ),
        ];
        for (z, want) in cases {
            let e = check(&z, Architecture::X86_64).unwrap_err();
            assert!(matches!(e, Error::InvalidArgument(_)));
            assert!(e.to_string().contains(want), "want {want:?} in {e}");
        }
        let mut z32 = elf(62);
        z32[4] = 1;
        let e = check(
            &zip(&[("bootstrap", true, 0o100755, 0, &z32)]),
            Architecture::X86_64,
        );
        assert!(e.unwrap_err().to_string().contains("not 64-bit"));
    }

    #[test]
    fn truncated_and_corrupt_zips_are_errors_not_panics() {
        let good = zip(&[("bootstrap", true, 0o100755, 8, &elf(62))]);
        for cut in [4, 30, good.len() / 2, good.len() - 23, good.len() - 1] {
            assert!(inspect(&good[..cut]).is_err(), "cut at {cut}");
        }
        let mut corrupt = good.clone();
        corrupt[40..60].fill(0xff); // inside the deflated data
        let _ = inspect(&corrupt); // an error or a misread head, never a panic
        for i in 0..good.len() {
            let mut flipped = good.clone();
            flipped[i] ^= 0x5a;
            let _ = inspect(&flipped);
        }
    }
}
