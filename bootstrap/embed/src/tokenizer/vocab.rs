//! The vocabulary: every token of `vocab.txt` in one buffer (the file's own, trimmed in
//! place), found through an open-addressing table of ids. Loading allocates two arrays,
//! nothing per token: at cold start, the pages it touches cost more than its instructions.

use super::TokenizerError;

/// Lines longer than this are refused: no word piece can be longer than 100 characters of
/// at most 12 bytes each after lower-casing, plus `##`, so such a token could never match.
pub const MAX_TOKEN_BYTES: usize = 1024;
/// More tokens than this are refused (the largest WordPiece vocabularies hold ~250,000).
pub const MAX_TOKENS: usize = 1 << 20;

pub(crate) struct Vocab {
    /// The file with each line's trailing whitespace cut out (moved up only where a line had
    /// some): token `i` is `bytes[starts[i]..starts[i + 1] - 1]`, one separator byte after it.
    bytes: Vec<u8>,
    starts: Box<[u32]>,
    /// `tag << ID_BITS | (id + 1)` of the token hashed here, 0 for an empty slot; a power of
    /// two long, at most half full. The tag (hash bits the index does not use) rejects
    /// almost every other token in a probe without reading its bytes.
    slots: Box<[u32]>,
    /// The longest token, in bytes: longer pieces are not looked up.
    pub max_token_bytes: usize,
}

/// `id + 1` takes the low bits of a slot: up to MAX_TOKENS = 2^20.
const ID_BITS: u32 = 21;
const ID_MASK: u32 = (1 << ID_BITS) - 1;
const _: () = assert!(MAX_TOKENS < ID_MASK as usize);

impl Vocab {
    /// Reads one token per line (`\n`; trailing whitespace trimmed, as HF's `WordPiece::read_file`
    /// does, so CRLF files read the same), its id the line number from 0. The first problem
    /// in file order is the error.
    pub(super) fn parse(mut bytes: Vec<u8>) -> Result<Vocab, TokenizerError> {
        if let Err(e) = std::str::from_utf8(&bytes) {
            let offset = e.valid_up_to();
            return Err(TokenizerError::NotUtf8 {
                line: line_of(&bytes, offset),
                offset,
            });
        }
        // As `str::lines`: a last line without `\n` counts, an empty one after it does not.
        let unterminated = bytes.last().is_some_and(|&b| b != b'\n');
        let lines = count_newlines(&bytes) + unterminated as usize;
        // Sized for the lines there are, up to one over the limit (which is refused). Both
        // arrays are written before they are read: a fresh page first read, then written,
        // faults twice, so the table's zeroes are written, not calloc'd (160 faults with
        // `vec![0; _]`, 96 without, for the 30,522-token vocab: load_cost.sh).
        let n = lines.min(MAX_TOKENS + 1);
        let mut starts = vec![0u32; n + 1].into_boxed_slice();
        #[allow(clippy::slow_vector_initialization)]
        let mut slots = Vec::with_capacity((2 * n).next_power_of_two().max(16));
        slots.resize(slots.capacity(), 0);
        let mut slots = slots.into_boxed_slice();
        let size = bytes.len();
        let mut max_token_bytes = 0;
        let mut line_start = 0;
        // Where the next token goes: behind `line_start` once a line was trimmed. Lines are
        // only moved down, over bytes already read.
        let mut write = 0;
        let mut ends = Newlines::default();
        let buf = bytes.as_mut_slice();
        for i in 0..lines {
            let line_end = ends.next(buf).unwrap_or(size);
            let len = trimmed_len(buf, line_start, line_end).map_err(|e| {
                let offset = line_start + e.valid_up_to();
                TokenizerError::NotUtf8 {
                    line: i + 1,
                    offset,
                }
            })?;
            if len == 0 {
                return Err(TokenizerError::EmptyLine { line: i + 1 });
            }
            if len > MAX_TOKEN_BYTES {
                return Err(TokenizerError::LineTooLong {
                    line: i + 1,
                    bytes: len,
                });
            }
            if i >= MAX_TOKENS {
                return Err(TokenizerError::TooManyTokens);
            }
            if write != line_start {
                buf.copy_within(line_start..line_start + len, write);
            }
            // At most 2^20 tokens of at most 1,024 bytes and a separator: fits in u32. (Set
            // first: it also ends the previous token, which the probe may compare with.)
            starts[i] = write as u32;
            let key = &buf[write..write + len];
            let h = hash(key);
            match probe(&slots, buf, &starts, key, h) {
                Ok(first) => {
                    return Err(TokenizerError::Duplicate {
                        line: i + 1,
                        first_line: first as usize + 1,
                        token: String::from_utf8_lossy(key).into_owned(),
                    })
                }
                Err(at) => slots[at] = tag(h) | (i as u32 + 1),
            }
            write += len + 1;
            max_token_bytes = max_token_bytes.max(len);
            line_start = line_end + 1;
        }
        starts[lines] = write as u32;
        bytes.truncate(write.min(size));
        Ok(Vocab {
            bytes,
            starts,
            slots,
            max_token_bytes,
        })
    }

    pub(super) fn len(&self) -> usize {
        self.starts.len() - 1
    }

    #[inline]
    pub(super) fn token(&self, id: u32) -> &[u8] {
        token(&self.bytes, &self.starts, id)
    }

    /// The id of `key`, compared byte for byte.
    #[inline]
    pub(super) fn get(&self, key: &[u8]) -> Option<u32> {
        probe(&self.slots, &self.bytes, &self.starts, key, hash(key)).ok()
    }

    /// Slots probed to find each token, summed, and the longest probe (for the tests).
    #[cfg(test)]
    fn probes(&self) -> (usize, usize) {
        let mask = self.slots.len() - 1;
        let (mut sum, mut max) = (0, 0);
        for id in 0..self.len() as u32 {
            let mut at = hash(self.token(id)) as usize & mask;
            let mut n = 1;
            while self.slots[at] & ID_MASK != id + 1 {
                at = (at + 1) & mask;
                n += 1;
            }
            sum += n;
            max = max.max(n);
        }
        (sum, max)
    }
}

#[inline(always)]
fn token<'a>(bytes: &'a [u8], starts: &[u32], id: u32) -> &'a [u8] {
    let i = id as usize;
    &bytes[starts[i] as usize..starts[i + 1] as usize - 1]
}

/// Looks `key` (of hash `h`) up: `Ok(id)` if the table has it, else `Err(slot)`, the empty
/// slot that ended the probe. The table is at most half full, so one always does.
#[inline(always)]
fn probe(slots: &[u32], bytes: &[u8], starts: &[u32], key: &[u8], h: u64) -> Result<u32, usize> {
    let tag = tag(h);
    let mask = slots.len() - 1;
    let mut at = h as usize & mask;
    loop {
        let s = slots[at];
        if s == 0 {
            return Err(at);
        }
        if s & !ID_MASK == tag {
            let id = (s & ID_MASK) - 1;
            if token(bytes, starts, id) == key {
                return Ok(id);
            }
        }
        at = (at + 1) & mask;
    }
}

/// Length of the line `buf[start..end]` (no `\n`) without its trailing whitespace. (Lines of a
/// file that is UTF-8 are UTF-8: the error cannot happen, but is an error, not a panic, if it
/// did.)
#[inline(always)]
fn trimmed_len(buf: &[u8], start: usize, end: usize) -> Result<usize, std::str::Utf8Error> {
    let last = match end.checked_sub(1) {
        Some(e) if e >= start => buf.get(e).copied(),
        _ => None,
    };
    match last {
        None => Ok(0),
        // The common case: an ASCII byte that is not whitespace ends the token.
        Some(b) if b < 0x80 && !matches!(b, b'\t'..=b'\r' | b' ') => Ok(end - start),
        // Unicode whitespace (U+3000, U+00A0, ...) or `\r`: what `str::trim_end` removes.
        Some(_) => std::str::from_utf8(&buf[start..end]).map(|l| l.trim_end().len()),
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;

/// 0x80 in each byte of `w` that is `\n`, 0 elsewhere (exact: no carry crosses a byte).
#[inline(always)]
fn newline_bits(w: u64) -> u64 {
    let x = w ^ (ONES * b'\n' as u64);
    !(((x & LOW7) + LOW7) | x | LOW7)
}

// The readers below are `inline(always)`: at the Lambda build's opt-level "z" they were
// calls, and their copies calls to memcpy (callgrind: a third of the load's instructions).

/// Fewer than eight bytes, zero-padded.
fn short_word(bytes: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w[..bytes.len()].copy_from_slice(bytes);
    u64::from_le_bytes(w)
}

fn count_newlines(file: &[u8]) -> usize {
    let mut n = 0;
    let mut rest = file;
    while let Some((c, r)) = rest.split_first_chunk::<8>() {
        // The 0x80 bits summed by a multiply (no popcnt in the baseline x86-64).
        n += ((newline_bits(u64::from_le_bytes(*c)) >> 7).wrapping_mul(ONES) >> 56) as usize;
        rest = r;
    }
    n + ((newline_bits(short_word(rest)) >> 7).wrapping_mul(ONES) >> 56) as usize
}

/// The offsets of the `\n` bytes of a buffer, eight bytes at a time (a vocabulary's lines
/// are ~8 bytes long: calling `memchr` per line costs more than the search). It takes the
/// buffer at each call, so the caller may rewrite the bytes before the last offset returned.
#[derive(Default)]
struct Newlines {
    /// Offset of the next word to read.
    next: usize,
    /// 0x80 in each byte of the word before `next` that is a `\n` not yet returned.
    bits: u64,
}

impl Newlines {
    #[inline]
    fn next(&mut self, buf: &[u8]) -> Option<usize> {
        while self.bits == 0 {
            let (_, rest) = buf.split_at_checked(self.next)?;
            self.bits = newline_bits(match rest.first_chunk::<8>() {
                Some(w) => u64::from_le_bytes(*w),
                None if rest.is_empty() => return None,
                None => short_word(rest),
            });
            self.next += 8;
        }
        let at = self.next - 8 + (self.bits.trailing_zeros() / 8) as usize;
        self.bits &= self.bits - 1;
        Some(at)
    }
}

/// 1-based line of byte `offset`.
fn line_of(file: &[u8], offset: usize) -> usize {
    1 + count_newlines(&file[..offset.min(file.len())])
}

const K0: u64 = 0x9E37_79B9_7F4A_7C15;
const K1: u64 = 0xD6E8_FEB8_6659_FD93;

/// The 128-bit product's halves folded together: every output bit depends on every input
/// bit, so the table can index with the low bits and tag with the high ones.
#[inline(always)]
fn fold(a: u64, b: u64) -> u64 {
    let p = a as u128 * b as u128;
    p as u64 ^ (p >> 64) as u64
}

/// The first and last `N` bytes of `key` (overlapping if it is shorter than 2N), as words:
/// no range indexing, which the Lambda build's opt-level "z" leaves as calls.
#[inline(always)]
fn ends<const N: usize>(key: &[u8], word: fn([u8; N]) -> u64) -> (u64, u64) {
    match (key.first_chunk::<N>(), key.last_chunk::<N>()) {
        (Some(&a), Some(&b)) => (word(a), word(b)),
        _ => (0, 0),
    }
}

/// A folded-multiply hash (wyhash's construction) over whole, possibly overlapping words:
/// no byte loop for the short keys word pieces are. No defence against chosen collisions,
/// which a vocabulary file is not a source of; the table is correct whatever it returns.
#[inline]
fn hash(key: &[u8]) -> u64 {
    let n = key.len();
    let mut h = K0 ^ n as u64;
    let (a, b) = if n <= 16 {
        if n >= 8 {
            ends::<8>(key, u64::from_le_bytes)
        } else if n >= 4 {
            ends::<4>(key, |w| u32::from_le_bytes(w) as u64)
        } else if let (Some(&x), Some(&z)) = (key.first(), key.last()) {
            let y = key.get(n / 2).map_or(0, |&y| y as u64);
            ((x as u64) << 16 | y << 8 | z as u64, 0)
        } else {
            (0, 0)
        }
    } else {
        let mut rest = key;
        while let Some((c, r)) = rest.split_first_chunk::<16>() {
            if r.is_empty() {
                break;
            }
            let (x, y) = ends::<8>(c, u64::from_le_bytes);
            h = fold(x ^ K1, y ^ h);
            rest = r;
        }
        // The last 16 bytes, overlapping what the loop took.
        match key.last_chunk::<16>() {
            Some(c) => ends::<8>(c, u64::from_le_bytes),
            None => (0, 0),
        }
    };
    fold(a ^ K1, b ^ h)
}

/// The slot tag of hash `h`: its top bits.
#[inline]
fn tag(h: u64) -> u32 {
    ((h >> (64 - (32 - ID_BITS))) as u32) << ID_BITS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(file: impl AsRef<[u8]>) -> Result<Vocab, TokenizerError> {
        Vocab::parse(file.as_ref().to_vec())
    }

    #[test]
    fn finds_every_token_and_nothing_else() {
        let text: String = (0..5000).map(|i| format!("t{i}\n##t{i}\n")).collect();
        let v = parse(text.into_bytes()).unwrap();
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
        let v = parse(b"a\r\n b \t\nc").unwrap();
        assert_eq!(v.get(b"a"), Some(0));
        assert_eq!(v.get(b" b"), Some(1));
        assert_eq!(v.get(b"c"), Some(2));
    }

    #[test]
    fn trimming_is_str_trim_end() {
        // Unicode whitespace at the end goes (U+3000, U+00A0, U+2029, NEL), inside it stays;
        // U+200B is not White_Space; a line of whitespace only is empty.
        let v = parse("a\u{3000}\nb\u{a0}\u{2029}\r\nc\u{3000}d\nz\u{200b}\ne\u{85}".as_bytes())
            .unwrap();
        assert_eq!(v.len(), 5);
        for (id, t) in ["a", "b", "c\u{3000}d", "z\u{200b}", "e"]
            .iter()
            .enumerate()
        {
            assert_eq!(v.token(id as u32), t.as_bytes());
            assert_eq!(v.get(t.as_bytes()), Some(id as u32));
        }
        assert_eq!(
            parse("a\n\u{3000}\r\nb".as_bytes()).err(),
            Some(TokenizerError::EmptyLine { line: 2 })
        );
        // A trailing newline ends the last line; it does not start an empty one.
        assert_eq!(parse(b"a\nb\n").map(|v| v.len()), Ok(2));
        assert_eq!(
            parse(b"a\nb\n\n").err(),
            Some(TokenizerError::EmptyLine { line: 3 })
        );
        assert_eq!(parse(b"").map(|v| v.len()), Ok(0));
    }

    #[test]
    fn the_first_problem_in_the_file_is_reported() {
        assert_eq!(
            parse(b"a\nb\na\n\n").err(),
            Some(TokenizerError::Duplicate {
                line: 3,
                first_line: 1,
                token: "a".into()
            })
        );
        // The previous token's end is known when the next one probes against it.
        assert_eq!(
            parse(b"ab\nab\r\n").err().map(|e| e.to_string()),
            Some("vocab.txt repeats the token \"ab\" on line 2 (first on line 1)".into())
        );
    }

    fn all_newlines(buf: &[u8]) -> Vec<usize> {
        let mut n = Newlines::default();
        std::iter::from_fn(|| n.next(buf)).collect()
    }

    #[test]
    fn newlines_are_found_at_every_offset() {
        for len in 0..40 {
            for every in 1..12 {
                let file: Vec<u8> = (0..len)
                    .map(|i| {
                        if i % every == every - 1 {
                            b'\n'
                        } else {
                            b'\n' ^ 0x80 ^ (i as u8 & 1)
                        }
                    })
                    .collect();
                let want: Vec<usize> = (0..len).filter(|&i| file[i] == b'\n').collect();
                assert_eq!(all_newlines(&file), want, "{len} {every}");
                assert_eq!(count_newlines(&file), want.len());
            }
        }
        // Bytes next to a newline that could borrow into it (0x0B, 0x09, 0x8A).
        let file = b"\x0b\n\x09\n\n\x8a\x0b\x0b\n";
        assert_eq!(all_newlines(file), [1, 3, 4, 8]);
    }

    /// Probes per successful look-up on keys that differ only in a few bytes, the shape of a
    /// WordPiece vocabulary (the old hash took the low bits of a multiply, which depend only on
    /// the first bytes, and clustered such keys).
    #[test]
    fn similar_keys_spread_over_the_table() {
        let mut text = String::new();
        for a in b'a'..=b'z' {
            for b in b'a'..=b'z' {
                for pre in ["", "##", "abcdef", "##abcdefghijklm"] {
                    text.push_str(&format!("{pre}{}{}\n", a as char, b as char));
                }
            }
        }
        let v = parse(text.into_bytes()).unwrap();
        let (sum, max) = v.probes();
        let mean = sum as f64 / v.len() as f64;
        assert!(
            mean < 1.6 && max < 24,
            "mean {mean:.2} probes, longest {max}"
        );
    }
}
