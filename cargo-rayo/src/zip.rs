//! Reproducible Lambda zips: the bytes depend only on the files' names, modes and bytes.
//!
//! Every entry has the timestamp 1980-01-01 00:00:00 (the earliest a zip can say, so no
//! clock or time zone leaks in), Unix permissions (made by system 3, so Lambda and unzip
//! honour the mode), no extra fields, no comment, deflate at zlib's level 9. The layout is
//! the one Python's `zipfile` writes for the same input (what build.sh used before this
//! tool existed), byte for byte: `scripts/lambda-zip.py` is kept as the reference and a test
//! compares the two.

use std::io::Write;

use flate2::write::DeflateEncoder;
use flate2::{Compression, Crc};

/// One file in a zip.
pub(crate) struct Entry<'a> {
    /// Its path inside the zip (`/`-separated, relative).
    pub name: &'a str,
    /// Unix mode bits, e.g. `0o755`.
    pub mode: u32,
    /// Its bytes.
    pub data: &'a [u8],
}

/// The zip's bytes for `entries`, in the order given.
pub(crate) fn write(entries: &[Entry<'_>]) -> std::io::Result<Vec<u8>> {
    const VERSION: u16 = 20; // 2.0: deflate
    const DOS_DATE: u16 = 1 << 5 | 1; // 1980-01-01
    let mut out = Vec::new();
    let mut central = Vec::new();
    for e in entries {
        let mut crc = Crc::new();
        crc.update(e.data);
        let mut enc = DeflateEncoder::new(Vec::new(), Compression::new(9));
        enc.write_all(e.data)?;
        let deflated = enc.finish()?;
        let too_big = |n: usize| {
            u32::try_from(n).map_err(|_| {
                std::io::Error::other(format!(
                    "{} is {n} bytes: larger than a zip without zip64 holds",
                    e.name
                ))
            })
        };
        let (csize, size, offset) = (
            too_big(deflated.len())?,
            too_big(e.data.len())?,
            too_big(out.len())?,
        );
        let name_len = u16::try_from(e.name.len())
            .map_err(|_| std::io::Error::other(format!("{}: name too long", e.name)))?;
        // Local file header.
        out.extend_from_slice(b"PK\x03\x04");
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // flags
        out.extend_from_slice(&8u16.to_le_bytes()); // deflate
        out.extend_from_slice(&0u16.to_le_bytes()); // time 00:00:00
        out.extend_from_slice(&DOS_DATE.to_le_bytes());
        out.extend_from_slice(&crc.sum().to_le_bytes());
        out.extend_from_slice(&csize.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&name_len.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // extra
        out.extend_from_slice(e.name.as_bytes());
        out.extend_from_slice(&deflated);
        // Its central directory record.
        central.extend_from_slice(b"PK\x01\x02");
        central.extend_from_slice(&(3 << 8 | VERSION).to_le_bytes()); // made by: Unix, 2.0
        central.extend_from_slice(&VERSION.to_le_bytes());
        central.extend_from_slice(&0u16.to_le_bytes()); // flags
        central.extend_from_slice(&8u16.to_le_bytes());
        central.extend_from_slice(&0u16.to_le_bytes());
        central.extend_from_slice(&DOS_DATE.to_le_bytes());
        central.extend_from_slice(&crc.sum().to_le_bytes());
        central.extend_from_slice(&csize.to_le_bytes());
        central.extend_from_slice(&size.to_le_bytes());
        central.extend_from_slice(&name_len.to_le_bytes());
        central.extend_from_slice(&[0; 8]); // extra, comment, disk, internal attributes
        central.extend_from_slice(&((0o100000 | (e.mode & 0o7777)) << 16).to_le_bytes());
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(e.name.as_bytes());
    }
    let count = u16::try_from(entries.len())
        .map_err(|_| std::io::Error::other("more than 65,535 files in one zip"))?;
    let cd_offset = u32::try_from(out.len()).map_err(std::io::Error::other)?;
    let cd_len = u32::try_from(central.len()).map_err(std::io::Error::other)?;
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06");
    out.extend_from_slice(&[0; 4]); // this disk, the central directory's disk
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&cd_len.to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // comment
    Ok(out)
}

/// Hex SHA-256 and Lambda's `CodeSha256` (base64 of the same digest) of `bytes`.
pub(crate) fn digests(bytes: &[u8]) -> (String, String) {
    use sha2::Digest;
    let d = sha2::Sha256::digest(bytes);
    let hex = d.iter().map(|b| format!("{b:02x}")).collect();
    (hex, rayo_deploy::encoding::base64_encode(&d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deploys_own_reader_accepts_it() {
        let mut elf = b"\x7fELF\x02\x01\x01".to_vec();
        elf.resize(18, 0);
        elf.extend_from_slice(&183u16.to_le_bytes());
        elf.resize(10_000, 7);
        let entries = [
            Entry {
                name: "bootstrap",
                mode: 0o755,
                data: &elf,
            },
            Entry {
                name: "vocab.txt",
                mode: 0o644,
                data: b"[PAD]\n",
            },
        ];
        let zip = write(&entries).unwrap();
        let b = rayo_deploy::package::check(&zip, rayo_deploy::flow::Architecture::Arm64).unwrap();
        assert_eq!((b.mode, b.size, b.entries), (0o755, 10_000, 2));
        // Same input, same bytes.
        let again = write(&entries).unwrap();
        assert_eq!(zip, again);
    }

    #[test]
    fn digests_are_hex_and_base64_of_sha256() {
        let (hex, b64) = digests(b"");
        assert_eq!(
            hex,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(b64, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
    }
}
