//! Property tests: encode never panics, respects max_len, and agrees with the plain reference
//! implementation (tokenizer::fuzzing) on any text, with the small vocabulary and with random
//! vocabularies; loading a vocabulary agrees with the plain reader.
//!
//! Inputs are drawn as vectors of `u32` and mapped to text through fixed tables: proptest's
//! own unions of strategies (and regex strategies) cost ~20x more to draw than the checks cost
//! to run in a debug build, and the cases are what these tests are for.

use proptest::prelude::*;
use rayo_embed::tokenizer::fuzzing::{check, small, vocab, Reference};
use rayo_embed::tokenizer::Tokenizer;

/// Pieces of text that exercise every rule: ASCII, controls, marks of several classes, CJK,
/// Hangul, punctuation, special tokens and their brackets, words of the small vocabulary.
const PIECES: [&str; 32] = [
    "a",
    "H",
    " ",
    "\t",
    "\n",
    "\u{0}",
    "\u{85}",
    "\u{301}",
    "\u{b56}",
    "\u{1d165}",
    "\u{1d16d}",
    "\u{8d4}",
    "\u{200b}",
    "\u{fffd}",
    "中",
    "한",
    "σ",
    "Σ",
    ".",
    "[",
    "]",
    "#",
    "\u{130}",
    "\u{f900}",
    "e",
    "\r\n",
    "[CLS]",
    "[SEP]",
    "[MASK]",
    "hello",
    "unaffable",
    "\u{3000}",
];

/// A piece or, one time in four, any character (biased to the BMP, where the tables are).
fn piece(x: u32, out: &mut String) {
    if x & 3 != 0 {
        out.push_str(PIECES[(x >> 2) as usize % PIECES.len()]);
        return;
    }
    let y = x >> 2;
    let cp = match y & 3 {
        0 | 1 => (y >> 2) & 0xFFFF,
        2 => 0x1_0000 + ((y >> 2) & 0x1_FFFF),
        _ => (y >> 2) % 0x11_0000,
    };
    out.push(char::from_u32(cp).unwrap_or('\u{fffd}'));
}

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(any::<u32>(), 0..120).prop_map(|v| {
        let mut s = String::new();
        for x in v {
            piece(x, &mut s);
        }
        s
    })
}

/// Bytes of token candidates for random vocabularies: letters, `#`, a mark, CJK.
const TOKEN_CHARS: [&str; 8] = ["a", "b", "e", "#", "##", "\u{301}", "中", "l"];

fn token(x: u32) -> String {
    let len = 1 + (x & 3) as usize + ((x >> 2) & 1) as usize;
    (0..len)
        .map(|i| TOKEN_CHARS[(x >> (3 + 3 * i)) as usize & 7])
        .collect()
}

/// Lines for vocab.txt files: tokens, and now and then what the reader must trim or refuse.
const LINE_TAILS: [&str; 8] = ["", "", "", " ", "\r", "\t \r", "\u{3000}", "\u{a0}"];

fn vocab_line(x: u32, out: &mut Vec<u8>) {
    match x % 64 {
        0 => out.extend_from_slice(b"[MASK]"),
        1 => out.extend_from_slice(b"[PAD]"),
        // An empty or blank line, a bad byte, a repeated special: errors naming their line.
        2 => out.extend_from_slice(b" "),
        3 => out.push(0xC3),
        4 => out.extend_from_slice(b"[SEP]"),
        _ => out.extend_from_slice(token(x >> 6).as_bytes()),
    }
    out.extend_from_slice(LINE_TAILS[(x >> 24) as usize & 7].as_bytes());
}

/// A vocab.txt: the lines of `xs`, with `[CLS]`, `[SEP]` and `[UNK]` at places `specials`
/// picks (or, one time in eight, one of them missing).
fn vocab_file(xs: &[u32], specials: u32, end_with_newline: bool) -> Vec<u8> {
    let mut lines: Vec<Vec<u8>> = xs
        .iter()
        .map(|&x| {
            let mut l = Vec::new();
            vocab_line(x, &mut l);
            l
        })
        .collect();
    let missing = if specials & 7 == 0 {
        (specials >> 3) % 3
    } else {
        3
    };
    for (i, s) in ["[CLS]", "[SEP]", "[UNK]"].iter().enumerate() {
        if i as u32 != missing {
            let at = (specials >> (5 + 8 * i)) as usize % (lines.len() + 1);
            lines.insert(at, s.as_bytes().to_vec());
        }
    }
    let mut file = lines.join(&b'\n');
    if end_with_newline {
        file.push(b'\n');
    }
    file
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn small_vocab(t in text(), max_len in 0usize..300) {
        let (tok, reference) = small();
        check(tok, Some(reference), &t, max_len);
    }

    #[test]
    fn random_vocab(extra in prop::collection::vec(any::<u32>(), 0..40), t in text(), max_len in 0usize..40) {
        let mut v = String::from("[CLS]\n[SEP]\n[UNK]\n");
        let mut seen = std::collections::HashSet::new();
        for x in extra {
            let e = token(x);
            if seen.insert(e.clone()) {
                v.push_str(&e);
                v.push('\n');
            }
        }
        let tok = Tokenizer::from_vocab_txt(v.as_bytes()).unwrap();
        check(&tok, Reference::new(v.as_bytes()).as_ref(), &t, max_len);
    }

    /// The vocab fuzz target's checks (same errors, tokens and ids as the plain reader; the
    /// text encoded as the reference does) on files built to hit every rule of the reader.
    #[test]
    fn vocab_files(lines in prop::collection::vec(any::<u32>(), 0..24), specials in any::<u32>(), max_len in any::<u8>(), t in text()) {
        let mut data = vec![max_len];
        data.extend(vocab_file(&lines, specials, max_len & 1 == 1));
        data.push(0xFF);
        data.extend_from_slice(t.as_bytes());
        vocab(&data);
    }
}
