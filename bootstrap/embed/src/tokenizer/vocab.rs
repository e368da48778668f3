//! The vocabulary: every token of `vocab.txt` in one buffer, found through an open-addressing
//! table of ids. Loading copies the file once and allocates three arrays, nothing per token.

use super::TokenizerError;

/// Lines longer than this are refused: no word piece can be longer than 100 characters of
/// at most 12 bytes each after lower-casing, plus `##`, so such a token could never match.
pub const MAX_TOKEN_BYTES: usize = 1024;
/// More tokens than this are refused (the largest WordPiece vocabularies hold ~250,000).
pub const MAX_TOKENS: usize = 1 << 20;

pub(crate) struct Vocab {
    /// The tokens, back to back.
    bytes: Box<[u8]>,
    /// Token `i` is `bytes[starts[i]..starts[i + 1]]`.
    starts: Box<[u32]>,
    /// `id + 1` of the token hashed here, 0 for an empty slot; a power of two long.
    slots: Box<[u32]>,
    /// The longest token, in bytes: longer pieces are not looked up.
    pub max_token_bytes: usize,
}

impl Vocab {
    /// Reads one token per line (`\n`; trailing whitespace trimmed, as HF's `WordPiece::read_file`
    /// does, so CRLF files read the same), its id the line number from 0.
    pub fn parse(file: &[u8]) -> Result<Vocab, TokenizerError> {
        let text = std::str::from_utf8(file).map_err(|e| {
            let offset = e.valid_up_to();
            TokenizerError::NotUtf8 {
                line: line_of(file, offset),
                offset,
            }
        })?;
        let mut bytes = Vec::with_capacity(text.len());
        let mut starts = Vec::with_capacity(text.len() / 6 + 2);
        let mut max_token_bytes = 0;
        starts.push(0);
        for (i, line) in text.lines().enumerate() {
            let token = line.trim_end();
            if token.is_empty() {
                return Err(TokenizerError::EmptyLine { line: i + 1 });
            }
            if token.len() > MAX_TOKEN_BYTES {
                return Err(TokenizerError::LineTooLong {
                    line: i + 1,
                    bytes: token.len(),
                });
            }
            if i >= MAX_TOKENS {
                return Err(TokenizerError::TooManyTokens);
            }
            max_token_bytes = max_token_bytes.max(token.len());
            bytes.extend_from_slice(token.as_bytes());
            // At most MAX_TOKENS * MAX_TOKEN_BYTES = 2^30: fits.
            starts.push(bytes.len() as u32);
        }
        let n = starts.len() - 1;
        let mut vocab = Vocab {
            bytes: bytes.into_boxed_slice(),
            starts: starts.into_boxed_slice(),
            slots: vec![0; (2 * n).next_power_of_two().max(16)].into_boxed_slice(),
            max_token_bytes,
        };
        for id in 0..n as u32 {
            if let Some(first) = vocab.insert(id) {
                return Err(TokenizerError::Duplicate {
                    line: id as usize + 1,
                    first_line: first as usize + 1,
                    token: String::from_utf8_lossy(vocab.token(id)).into_owned(),
                });
            }
        }
        Ok(vocab)
    }

    pub fn len(&self) -> usize {
        self.starts.len() - 1
    }

    pub fn token(&self, id: u32) -> &[u8] {
        let i = id as usize;
        &self.bytes[self.starts[i] as usize..self.starts[i + 1] as usize]
    }

    /// Adds token `id`; if an equal token is there already, returns its id instead.
    fn insert(&mut self, id: u32) -> Option<u32> {
        let mask = self.slots.len() - 1;
        let key = self.token(id);
        let mut at = hash(key) as usize & mask;
        loop {
            match self.slots[at] {
                0 => break,
                other if self.token(other - 1) == key => return Some(other - 1),
                _ => at = (at + 1) & mask,
            }
        }
        self.slots[at] = id + 1;
        None
    }

    /// The id of `key`, compared byte for byte.
    #[inline]
    pub fn get(&self, key: &[u8]) -> Option<u32> {
        let mask = self.slots.len() - 1;
        let mut at = hash(key) as usize & mask;
        // The table is at most half full, so an empty slot ends every probe.
        loop {
            match self.slots[at] {
                0 => return None,
                s if self.token(s - 1) == key => return Some(s - 1),
                _ => at = (at + 1) & mask,
            }
        }
    }
}

/// 1-based line of byte `offset`.
fn line_of(file: &[u8], offset: usize) -> usize {
    1 + file[..offset.min(file.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

/// A multiply-rotate hash over 8-byte words (word pieces are short; this is no defence
/// against chosen collisions, which a vocabulary file is not a source of).
#[inline]
fn hash(key: &[u8]) -> u32 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = (key.len() as u64).wrapping_mul(K);
    let mut chunks = key.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = (h.rotate_left(23) ^ u64::from_le_bytes(w)).wrapping_mul(K);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        h = (h.rotate_left(23) ^ u64::from_le_bytes(w)).wrapping_mul(K);
    }
    (h >> 32) as u32 ^ h as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_token_and_nothing_else() {
        let text: String = (0..5000).map(|i| format!("t{i}\n##t{i}\n")).collect();
        let v = Vocab::parse(text.as_bytes()).unwrap();
        assert_eq!(v.len(), 10_000);
        for i in 0..5000u32 {
            assert_eq!(v.get(format!("t{i}").as_bytes()), Some(2 * i));
            assert_eq!(v.get(format!("##t{i}").as_bytes()), Some(2 * i + 1));
            assert_eq!(v.get(format!("t{i}x").as_bytes()), None);
        }
        assert_eq!(v.get(b""), None);
        assert_eq!(v.max_token_bytes, 7);
    }

    #[test]
    fn lines_are_trimmed_at_the_end_only() {
        let v = Vocab::parse(b"a\r\n b \t\nc").unwrap();
        assert_eq!(v.get(b"a"), Some(0));
        assert_eq!(v.get(b" b"), Some(1));
        assert_eq!(v.get(b"c"), Some(2));
    }
}
