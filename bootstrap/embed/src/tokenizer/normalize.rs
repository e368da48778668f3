//! BertNormalizer's per-character rules (clean_text, handle_chinese_chars, strip_accents,
//! lowercase) and BertPreTokenizer's whitespace and punctuation classes, over the generated
//! tables (see tables.rs for their Unicode versions).

use super::tables::{DECOMP, DECOMP_POOL, KINDS};

/// What the normaliser and pre-tokenizer do with a code point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Kept, combining class 0: part of a word.
    Other,
    /// Removed by clean_text: NUL, U+FFFD, Cc/Cf/Co other than `\t` `\n` `\r`.
    Drop,
    /// Mapped to a space by clean_text, then a word boundary.
    Space,
    /// Split off as a word of its own (ASCII punctuation or a P* category).
    Punct,
    /// A nonspacing mark of combining class 0: removed, but it ends a run of marks.
    MnStarter,
    /// A nonspacing mark of class > 0: removed by strip_accents.
    Mn,
    /// Kept, with a combining class > 0: canonical ordering moves it.
    Mark(u8),
}

/// The kind of `c`, ASCII without a table look-up.
#[inline]
pub(crate) fn kind(c: char) -> Kind {
    let cp = c as u32;
    if cp < 0x80 {
        return match cp as u8 {
            b'\t' | b'\n' | b'\r' | b' ' => Kind::Space,
            0..=0x1f | 0x7f => Kind::Drop,
            b if b.is_ascii_punctuation() => Kind::Punct,
            _ => Kind::Other,
        };
    }
    // The last range starting at or before cp; KINDS[0] starts at 0, so i >= 1.
    let i = KINDS.partition_point(|&e| e >> 11 <= cp);
    let e = KINDS[i - 1];
    match (e >> 8) & 7 {
        1 => Kind::Drop,
        2 => Kind::Space,
        3 => Kind::Punct,
        4 => Kind::MnStarter,
        5 => Kind::Mn,
        6 => Kind::Mark(e as u8),
        _ => Kind::Other,
    }
}

/// HF's "Chinese character": the CJK ideograph blocks it lists (Unicode version independent).
#[inline]
pub(crate) fn is_chinese(c: char) -> bool {
    matches!(c as u32,
        0x4E00..=0x9FFF
        | 0x3400..=0x4DBF
        | 0x20000..=0x2A6DF
        | 0x2A700..=0x2B73F
        | 0x2B740..=0x2B81F
        | 0x2B920..=0x2CEAF
        | 0xF900..=0xFAFF
        | 0x2F800..=0x2FA1F)
}

/// One code point of a canonical decomposition, nonspacing marks already removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Piece {
    /// `None`: nothing kept here, only (perhaps) a barrier.
    pub c: Option<char>,
    /// A dropped class-0 mark followed: no mark may move before this point.
    pub barrier: bool,
}

const BARRIER: u32 = 1 << 29;
const LAST: u32 = 1 << 30;

const S_BASE: u32 = 0xAC00;
const L_BASE: u32 = 0x1100;
const V_BASE: u32 = 0x1161;
const T_BASE: u32 = 0x11A7;
const T_COUNT: u32 = 28;
const N_COUNT: u32 = 21 * T_COUNT;
const S_COUNT: u32 = 19 * N_COUNT;

/// The canonical decomposition of `c` with its nonspacing marks removed, or `None` when `c`
/// has none (then `c` stands for itself). Calls `f` for each piece, in canonical order.
#[inline]
pub(crate) fn decompose(c: char, mut f: impl FnMut(Piece)) -> bool {
    let cp = c as u32;
    if cp < 0xC0 {
        return false;
    }
    if cp.wrapping_sub(S_BASE) < S_COUNT {
        // Hangul syllables decompose algorithmically into two or three jamo (all kind Other).
        let s = cp - S_BASE;
        let jamo = |x: u32| Piece {
            c: char::from_u32(x),
            barrier: false,
        };
        f(jamo(L_BASE + s / N_COUNT));
        f(jamo(V_BASE + (s % N_COUNT) / T_COUNT));
        if !s.is_multiple_of(T_COUNT) {
            f(jamo(T_BASE + s % T_COUNT));
        }
        return true;
    }
    let Ok(i) = DECOMP.binary_search_by_key(&cp, |&e| e >> 11) else {
        return false;
    };
    let mut at = (DECOMP[i] & 0x7ff) as usize;
    // Bounded by the table's length; every chain in it ends with LAST (the generator's job).
    while let Some(&e) = DECOMP_POOL.get(at) {
        let code = e & 0x1f_ffff;
        f(Piece {
            c: if code == 0 {
                None
            } else {
                char::from_u32(code)
            },
            barrier: e & BARRIER != 0,
        });
        if e & LAST != 0 {
            break;
        }
        at += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(c: char) -> Option<Vec<Piece>> {
        let mut v = Vec::new();
        decompose(c, |p| v.push(p)).then_some(v)
    }

    fn chars(c: char) -> String {
        pieces(c)
            .map(|v| v.iter().filter_map(|p| p.c).collect())
            .unwrap_or_else(|| c.to_string())
    }

    #[test]
    fn kinds_of_known_characters() {
        assert_eq!(kind('a'), Kind::Other);
        assert_eq!(kind('\u{0}'), Kind::Drop);
        assert_eq!(
            kind('\u{85}'),
            Kind::Drop,
            "NEL is Cc before it is whitespace"
        );
        assert_eq!(kind('\u{b}'), Kind::Drop);
        assert_eq!(kind('\u{2028}'), Kind::Space);
        assert_eq!(kind('\u{3000}'), Kind::Space);
        assert_eq!(kind('\u{a0}'), Kind::Space);
        assert_eq!(kind('\u{200b}'), Kind::Drop, "ZWSP is Cf");
        assert_eq!(kind('\u{200d}'), Kind::Drop, "ZWJ is Cf");
        assert_eq!(kind('\u{fffd}'), Kind::Drop);
        assert_eq!(kind('\u{e000}'), Kind::Drop, "private use");
        assert_eq!(kind('$'), Kind::Punct, "ASCII punctuation includes symbols");
        assert_eq!(kind('\u{a7}'), Kind::Punct, "section sign is Po");
        assert_eq!(kind('\u{20ac}'), Kind::Other, "euro sign is Sc");
        assert_eq!(kind('\u{301}'), Kind::Mn);
        assert_eq!(kind('\u{b56}'), Kind::MnStarter);
        assert_eq!(kind('\u{1d165}'), Kind::Mark(216));
        // Added in Unicode 9.0: not Mn for HF's 8.0 categories, but 9.0 NFD reorders it.
        assert_eq!(kind('\u{8d4}'), Kind::Mark(230));
        // Added after 9.0: plain.
        assert_eq!(kind('\u{1f970}'), Kind::Other);
        assert_eq!(kind('\u{10fffd}'), Kind::Drop, "plane 16 private use");
        assert_eq!(
            kind('\u{10ffff}'),
            Kind::Other,
            "a noncharacter (Cn) is kept"
        );
    }

    #[test]
    fn decompositions() {
        assert_eq!(chars('é'), "e");
        assert_eq!(chars('Å'), "A");
        assert_eq!(chars('\u{212b}'), "A", "angstrom sign");
        assert_eq!(chars('\u{37e}'), ";", "Greek question mark");
        assert_eq!(chars('\u{1fef}'), "`");
        assert_eq!(chars('\u{340}'), "", "a mark decomposing to a mark");
        assert_eq!(chars('한'), "\u{1112}\u{1161}\u{11ab}");
        assert_eq!(chars('가'), "\u{1100}\u{1161}");
        assert_eq!(chars('\u{f900}'), "\u{8c48}");
        assert_eq!(pieces('a'), None);
        assert_eq!(pieces('ß'), None);
        let b48 = pieces('\u{b48}').unwrap();
        assert_eq!(b48.len(), 1);
        assert!(b48[0].barrier && b48[0].c == Some('\u{b47}'));
    }

    #[test]
    fn every_table_chain_ends() {
        for &e in DECOMP.iter() {
            let c = char::from_u32(e >> 11).unwrap();
            let mut n = 0;
            assert!(decompose(c, |_| n += 1));
            assert!((1..=4).contains(&n), "{c:?}: {n} pieces");
        }
        assert_eq!(DECOMP_POOL.last().map(|e| e & LAST), Some(LAST));
    }
}
