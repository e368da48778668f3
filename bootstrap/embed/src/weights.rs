//! Finding, mapping and checking the weight file.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::format::{self, Header};
use crate::mmap::{Advice, Mmap};

/// The weight file's name beside the bootstrap (in the function's zip) or in a layer.
pub const FILE_NAME: &str = "embed-model.rayo";
/// Overrides where the function looks: the path of a weight file.
pub const PATH_VAR: &str = "RAYO_EMBED_MODEL";

/// Chooses how much of the weight file the function checks at init: `full` (the default)
/// or `header` (see [`Verify`] and README, "What the checksum covers").
pub const VERIFY_VAR: &str = "RAYO_EMBED_VERIFY";

/// How much of the file to check before serving.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verify {
    /// The header and every tensor's checksum: nothing corrupt can give a wrong answer.
    /// The function's default (README, "What the checksum covers", for its cost).
    Full,
    /// The header (structure and checksum) only: for tools that read a file they just
    /// wrote, and for measuring what full verification costs.
    Header,
}

/// Where init time went.
#[derive(Clone, Copy, Debug, Default)]
pub struct OpenTimes {
    pub map: Duration,
    pub header: Duration,
    pub verify: Duration,
}

enum Backing {
    Mapped(Mmap),
    /// An owned copy: the buffer, where the 64-aligned copy starts in it, its length.
    Owned(Vec<u8>, usize, usize),
}

/// A weight file whose header has been checked: the bytes (mapped or owned) and the parsed
/// header.
pub struct Weights {
    backing: Backing,
    path: String,
    header: Header,
    pub times: OpenTimes,
}

impl Verify {
    /// From `$RAYO_EMBED_VERIFY`: unset or `full` is [`Verify::Full`], `header` is
    /// [`Verify::Header`]; anything else is an error naming the value.
    pub fn from_env() -> Result<Verify, Error> {
        match std::env::var(VERIFY_VAR).as_deref() {
            Err(std::env::VarError::NotPresent) | Ok("full") => Ok(Verify::Full),
            Ok("header") => Ok(Verify::Header),
            Ok(other) => Err(Error::Config(format!(
                "{VERIFY_VAR}={other:?}: expected full or header"
            ))),
            Err(std::env::VarError::NotUnicode(v)) => Err(Error::Config(format!(
                "{VERIFY_VAR}={v:?}: expected full or header"
            ))),
        }
    }
}

impl Weights {
    /// The weight file the function should use: `$RAYO_EMBED_MODEL` if set (it must exist),
    /// else the first that exists of `$LAMBDA_TASK_ROOT/`, the executable's folder, `/opt/`
    /// (a layer), each with [`FILE_NAME`].
    pub fn locate() -> Result<PathBuf, Error> {
        if let Some(p) = std::env::var_os(PATH_VAR) {
            return Ok(PathBuf::from(p));
        }
        let mut tried = Vec::new();
        let mut dirs: Vec<PathBuf> = Vec::new();
        if let Some(root) = std::env::var_os("LAMBDA_TASK_ROOT") {
            dirs.push(root.into());
        }
        if let Some(dir) = std::env::current_exe()
            .ok()
            .and_then(|e| e.parent().map(Path::to_path_buf))
        {
            dirs.push(dir);
        }
        dirs.push("/opt".into());
        for d in dirs {
            let p = d.join(FILE_NAME);
            if p.is_file() {
                return Ok(p);
            }
            tried.push(p.display().to_string());
        }
        Err(Error::NoWeights { tried })
    }

    /// Maps `path` and checks it (`verify`). Pre-faults the pages when it is going to read
    /// them all anyway.
    pub fn open(path: &Path, verify: Verify) -> Result<Weights, Error> {
        let name = path.display().to_string();
        let t0 = Instant::now();
        let io = |during, source| Error::Io {
            path: name.clone(),
            during,
            source,
        };
        let file = File::open(path).map_err(|e| io("opening", e))?;
        let len = file
            .metadata()
            .map_err(|e| io("reading the size of", e))?
            .len();
        let len = usize::try_from(len)
            .map_err(|_| Error::weights(&name, format!("{len} bytes does not fit in memory")))?;
        if len == 0 {
            return Err(Error::weights(&name, "the file is empty"));
        }
        let map = Mmap::map(&file, len, verify == Verify::Full).map_err(|e| io("mapping", e))?;
        let t1 = Instant::now();
        let mut w = Weights::check(Backing::Mapped(map), name, verify, t1)?;
        w.times.map = t1 - t0;
        if let (Backing::Mapped(m), Verify::Header) = (&w.backing, verify) {
            // Not read yet: ask for the encoder layers now; the word-embedding table is
            // read a few rows per request.
            let word = w.header.tensor(crate::bert::names::WORD);
            m.advise(0, len, Advice::WillNeed);
            if let Some(t) = word {
                m.advise(t.offset, t.offset + t.len, Advice::Random);
            }
        }
        Ok(w)
    }

    /// Checks a weight file held in memory (copied into an aligned buffer): tests, fuzzing.
    pub fn from_bytes(bytes: &[u8], name: &str, verify: Verify) -> Result<Weights, Error> {
        // Aligned as a mapping would be: the buffer never grows, so it never moves.
        let mut buf = vec![0u8; bytes.len() + format::ALIGN];
        let at = buf.as_ptr().align_offset(format::ALIGN).min(format::ALIGN);
        buf[at..at + bytes.len()].copy_from_slice(bytes);
        let backing = Backing::Owned(buf, at, bytes.len());
        Weights::check(backing, name.to_string(), verify, Instant::now())
    }

    fn check(
        backing: Backing,
        path: String,
        verify: Verify,
        t0: Instant,
    ) -> Result<Weights, Error> {
        let bytes = bytes_of(&backing);
        let header = format::read_header(bytes).map_err(|p| Error::weights(&path, p))?;
        let t1 = Instant::now();
        if verify == Verify::Full {
            format::verify_data(&header, bytes).map_err(|p| Error::weights(&path, p))?;
        }
        let t2 = Instant::now();
        Ok(Weights {
            backing,
            path,
            header,
            times: OpenTimes {
                map: Duration::ZERO,
                header: t1 - t0,
                verify: t2 - t1,
            },
        })
    }

    pub fn bytes(&self) -> &[u8] {
        bytes_of(&self.backing)
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The file's path (or the name given to [`Weights::from_bytes`]), for messages.
    pub fn path(&self) -> &str {
        &self.path
    }
}

fn bytes_of(b: &Backing) -> &[u8] {
    match b {
        Backing::Mapped(m) => m.bytes(),
        Backing::Owned(buf, at, len) => &buf[*at..*at + *len],
    }
}
