//! A read-only file mapping through musl/glibc's `mmap`, declared by hand (no libc crate):
//! the weights are used in place, never copied or parsed beyond the header.
//!
//! The mapping is private and read-only. If the file shrinks while mapped, touching the
//! missing pages raises SIGBUS: Lambda's /var/task and /opt are read-only, so that cannot
//! happen there; locally, do not rewrite a weight file a running function has mapped.

use std::ffi::{c_int, c_void};
use std::fs::File;
use std::os::fd::AsRawFd;

const PROT_READ: c_int = 1;
const MAP_PRIVATE: c_int = 2;
/// Linux: pre-fault every page in one pass. The same value on x86_64 and aarch64.
const MAP_POPULATE: c_int = 0x8000;
const MAP_FAILED: *mut c_void = !0usize as *mut c_void;

/// `madvise` hints used here (Linux values, the same on x86_64 and aarch64).
#[derive(Clone, Copy, Debug)]
pub enum Advice {
    /// Read ahead now: these pages will be needed soon.
    WillNeed = 3,
    /// Accessed in random order: no read-ahead beyond the page.
    Random = 1,
}

extern "C" {
    fn mmap(
        addr: *mut c_void,
        len: usize,
        prot: c_int,
        flags: c_int,
        fd: c_int,
        offset: i64,
    ) -> *mut c_void;
    fn munmap(addr: *mut c_void, len: usize) -> c_int;
    fn madvise(addr: *mut c_void, len: usize, advice: c_int) -> c_int;
}

/// A whole file mapped read-only.
pub struct Mmap {
    ptr: *const u8,
    len: usize,
}

// SAFETY: the mapping is read-only and never written through, so shared references to its
// bytes from any thread are as safe as `&[u8]`; unmapping happens once, in Drop, which needs
// ownership.
unsafe impl Send for Mmap {}
// SAFETY: as above: `&Mmap` only ever hands out `&[u8]` into memory that no one mutates.
unsafe impl Sync for Mmap {}

impl Mmap {
    /// Maps all of `file` (`len` bytes, at least 1). `populate` pre-faults every page.
    pub fn map(file: &File, len: usize, populate: bool) -> std::io::Result<Mmap> {
        if len == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "the file is empty",
            ));
        }
        let flags = MAP_PRIVATE | if populate { MAP_POPULATE } else { 0 };
        // SAFETY: a fresh mapping (addr NULL) of `len` > 0 bytes of an open file descriptor,
        // read-only; the kernel validates the descriptor and length and reports failure as
        // MAP_FAILED, checked below. Nothing else aliases the new range.
        let ptr = unsafe {
            mmap(
                std::ptr::null_mut(),
                len,
                PROT_READ,
                flags,
                file.as_raw_fd(),
                0,
            )
        };
        if ptr == MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        Ok(Mmap {
            ptr: ptr as *const u8,
            len,
        })
    }

    pub fn bytes(&self) -> &[u8] {
        // SAFETY: `ptr` is the start of a live PROT_READ mapping of exactly `len` bytes (page
        // aligned, so aligned for u8), unmapped only when `self` is dropped, which the
        // returned borrow prevents; nothing writes to it (MAP_PRIVATE, no PROT_WRITE).
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    /// Passes `advice` for bytes `start..end` (rounded out to pages). A hint: failure is
    /// ignored, as the kernel may refuse hints without anything being wrong.
    pub fn advise(&self, start: usize, end: usize, advice: Advice) {
        const PAGE: usize = 4096;
        let end = end.min(self.len);
        let start = start / PAGE * PAGE;
        if start >= end {
            return;
        }
        // SAFETY: `start..end` lies within this mapping (start page-aligned from the page-
        // aligned base, end clamped to its length); madvise with these advices does not
        // change the memory's contents for a read-only file mapping.
        unsafe {
            madvise(
                self.ptr.add(start) as *mut c_void,
                end - start,
                advice as c_int,
            );
        }
    }
}

impl Drop for Mmap {
    fn drop(&mut self) {
        // SAFETY: `ptr`/`len` are exactly what mmap returned, and no borrow of the bytes can
        // outlive `self`.
        unsafe {
            munmap(self.ptr as *mut c_void, self.len);
        }
    }
}

/// Views little-endian f32 bytes as `&[f32]` without copying, or `None` if the bytes are not
/// 4-byte aligned in memory or not a whole number of f32s.
pub fn as_f32s(bytes: &[u8]) -> Option<&[f32]> {
    if !(bytes.as_ptr() as usize).is_multiple_of(4) || !bytes.len().is_multiple_of(4) {
        return None;
    }
    // SAFETY: alignment and length were checked just above; every bit pattern is a valid
    // f32; the result borrows `bytes`, so it lives no longer than they do. The targets are
    // little-endian (checked at compile time in lib.rs), as the file is.
    Some(unsafe { std::slice::from_raw_parts(bytes.as_ptr().cast::<f32>(), bytes.len() / 4) })
}

/// As [`as_f32s`], for f16 bit patterns as `u16`.
pub fn as_u16s(bytes: &[u8]) -> Option<&[u16]> {
    if !(bytes.as_ptr() as usize).is_multiple_of(2) || !bytes.len().is_multiple_of(2) {
        return None;
    }
    // SAFETY: as in as_f32s: aligned, whole elements, any bit pattern is a valid u16.
    Some(unsafe { std::slice::from_raw_parts(bytes.as_ptr().cast::<u16>(), bytes.len() / 2) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn maps_a_file_and_reads_it_back() {
        let dir = std::env::temp_dir().join(format!("rayo-embed-mmap-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f");
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7) as u8).collect();
        File::create(&path).unwrap().write_all(&data).unwrap();
        let f = File::open(&path).unwrap();
        for populate in [false, true] {
            let m = Mmap::map(&f, data.len(), populate).unwrap();
            assert_eq!(m.bytes(), &data[..]);
            m.advise(0, 5000, Advice::WillNeed);
            m.advise(4096, 1 << 30, Advice::Random);
            assert_eq!(m.bytes()[9999], data[9999]);
        }
        assert!(Mmap::map(&f, 0, false).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn casts_check_alignment_and_length() {
        let mut raw = [0u8; 16];
        // The first 4-aligned position in the buffer, wherever the allocator put it.
        let at = (4 - raw.as_ptr() as usize % 4) % 4;
        raw[at..at + 4].copy_from_slice(&1.5f32.to_le_bytes());
        raw[at + 4..at + 8].copy_from_slice(&(-2.0f32).to_le_bytes());
        assert_eq!(as_f32s(&raw[at..at + 8]), Some(&[1.5f32, -2.0][..]));
        assert_eq!(as_f32s(&raw[at + 1..at + 5]), None);
        assert_eq!(as_f32s(&raw[at..at + 7]), None);
        assert_eq!(as_u16s(&raw[at..at + 4]).map(<[u16]>::len), Some(2));
        assert_eq!(as_u16s(&raw[at + 1..at + 3]), None);
        assert_eq!(as_u16s(&raw[at..at + 3]), None);
    }
}
