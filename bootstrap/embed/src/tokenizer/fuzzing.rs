//! The tokenizer's fuzz entry points (fuzz/fuzz_targets/{tokenizer,vocab}.rs, and the corpus
//! replay in tests/tokenizer_fuzz_replay.rs) and the plain implementations the fast paths are
//! checked against: for encoding, whole-string steps in HF's order, a `String` per step and a
//! `HashMap` vocabulary, sharing only the character tables with the streaming encoder; for
//! loading, `str::lines` and `trim_end`.

use super::normalize::{decompose, is_chinese, kind, Kind};
use super::{Tokenizer, TokenizerError, MAX_TOKENS, MAX_TOKEN_BYTES, MAX_WORD_CHARS, SPECIALS};
use std::collections::HashMap;
use std::sync::OnceLock;

/// A small vocabulary for inputs that bring none: specials, letters and their continuations,
/// a few words, CJK, jamo, Greek, marks that survive normalisation, punctuation.
pub const SMALL_VOCAB: &str = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n\
a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\nm\nn\no\np\nq\nr\ns\nt\nu\nv\nw\nx\ny\nz\n\
##a\n##b\n##c\n##d\n##e\n##f\n##g\n##h\n##i\n##j\n##k\n##l\n##m\n##n\n##o\n##p\n##q\n##r\n##s\n\
##t\n##u\n##v\n##w\n##x\n##y\n##z\n0\n1\n2\n##0\n##1\n##2\n.\n,\n!\n?\n[\n]\n#\n##\n###\n$\n-\n'\n\
hello\nhe\n##llo\n##ll\nun\n##aff\n##able\nthe\n##ing\n##ed\nworld\n\u{4e2d}\n\u{6587}\n\u{8c48}\n\
\u{1112}\n##\u{1161}\n##\u{11ab}\n\u{3c3}\n\u{3c2}\n##\u{3c3}\n\u{1d165}\n##\u{1d165}\n\u{1d16d}\n\
##\u{1d16d}\n\u{1d158}\n##\u{1d158}\ni\u{307}\n\u{b47}\n\u{fb01}\n\u{10d0}\n##\u{10d0}\n";

/// The small vocabulary's tokenizer and reference, built once: the `tokenizer` fuzz target
/// and the property tests run millions of texts through them.
pub fn small() -> &'static (Tokenizer, Reference) {
    static SMALL: OnceLock<(Tokenizer, Reference)> = OnceLock::new();
    SMALL.get_or_init(|| {
        let v = SMALL_VOCAB.as_bytes();
        match (Tokenizer::from_vocab_txt(v), Reference::new(v)) {
            (Ok(t), Some(r)) => (t, r),
            _ => panic!("SMALL_VOCAB does not load"),
        }
    })
}

/// Fuzz entry point `tokenizer`: `data[0]` is `max_len`, the rest the text (any bytes, read as
/// UTF-8 with replacement), encoded with SMALL_VOCAB. Asserts [`check`].
pub fn tokenizer(data: &[u8]) {
    let Some((&max_len, text)) = data.split_first() else {
        return;
    };
    let (tok, reference) = small();
    check(
        tok,
        Some(reference),
        &String::from_utf8_lossy(text),
        max_len as usize,
    );
}

/// Fuzz entry point `vocab`: `data[0]` is `max_len`, then a vocab.txt up to the first 0xFF
/// byte (which UTF-8 never has), then a text. Loading must succeed or fail exactly as the
/// plain reader [`read_vocab`] does (same error, same tokens and ids); a vocabulary that
/// loads then encodes the text, checked as in [`tokenizer`].
pub fn vocab(data: &[u8]) {
    let Some((&max_len, rest)) = data.split_first() else {
        return;
    };
    let (vocab, text) = match rest.iter().position(|&b| b == 0xFF) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &[][..]),
    };
    let want = read_vocab(vocab);
    let tok = match (Tokenizer::from_vocab_txt(vocab), want) {
        (Ok(tok), Ok(tokens)) => {
            assert_eq!(tok.vocab_size(), tokens.len());
            for (id, t) in tokens.iter().enumerate() {
                assert_eq!(tok.token(id as u32), Some(*t), "token {id}");
                assert_eq!(tok.token_id(t), Some(id as u32), "id of {t:?}");
            }
            assert_eq!(tok.token(tokens.len() as u32), None);
            tok
        }
        (Err(got), Err(want)) => {
            assert_eq!(got, want);
            assert!(!got.to_string().is_empty());
            return;
        }
        (got, want) => panic!(
            "vocab reader and plain reader differ: {:?} vs {want:?}",
            got.map(|t| t.vocab_size())
        ),
    };
    check(
        &tok,
        Reference::new(vocab).as_ref(),
        &String::from_utf8_lossy(text),
        max_len as usize,
    );
}

/// vocab.txt read the plain way: `str::lines`, `trim_end`, a `HashMap` for repeats; the
/// first problem in file order is the error.
pub fn read_vocab(file: &[u8]) -> Result<Vec<&str>, TokenizerError> {
    let text = std::str::from_utf8(file).map_err(|e| {
        let offset = e.valid_up_to();
        TokenizerError::NotUtf8 {
            line: 1 + file[..offset].iter().filter(|&&b| b == b'\n').count(),
            offset,
        }
    })?;
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut tokens = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_end();
        let line = i + 1;
        if t.is_empty() {
            return Err(TokenizerError::EmptyLine { line });
        }
        if t.len() > MAX_TOKEN_BYTES {
            return Err(TokenizerError::LineTooLong {
                line,
                bytes: t.len(),
            });
        }
        if i >= MAX_TOKENS {
            return Err(TokenizerError::TooManyTokens);
        }
        if let Some(&first) = seen.get(t) {
            return Err(TokenizerError::Duplicate {
                line,
                first_line: first,
                token: t.to_string(),
            });
        }
        seen.insert(t, line);
        tokens.push(t);
    }
    // In the order from_vocab_txt asks for them.
    if let Some(t) = ["[CLS]", "[SEP]", "[UNK]"]
        .into_iter()
        .find(|t| !seen.contains_key(t))
    {
        return Err(TokenizerError::MissingToken(t));
    }
    Ok(tokens)
}

/// Every invariant of `encode` on one input, and (given a reference for the same
/// vocabulary) that its ids are the reference's; shared with the property tests.
pub fn check(tok: &Tokenizer, reference: Option<&Reference>, text: &str, max_len: usize) {
    let cap = max_len.max(2);
    let mut ids = vec![7u32];
    let truncated = tok.encode(text, max_len, &mut ids);
    assert_eq!(ids[0], 7, "encode must append, not overwrite");
    let ids = &ids[1..];
    assert!(ids.len() <= cap, "{} ids over max_len {max_len}", ids.len());
    assert_eq!(ids.first(), Some(&tok.cls_id()));
    assert_eq!(ids.last(), Some(&tok.sep_id()));
    assert!(ids.len() >= 2);
    assert!(ids.iter().all(|&i| (i as usize) < tok.vocab_size()));

    let mut counted = Vec::new();
    let total = tok.encode_counting(text, max_len, &mut counted);
    assert_eq!(counted, ids, "encode_counting must give encode's ids");
    assert_eq!(truncated, total > cap, "truncated but {total} <= {cap}");
    assert_eq!(truncated, ids.len() == cap && total > cap);

    // The whole encoding: the one above unless it was cut (an encoding less per input: the
    // fuzz target's speed is mostly its encodings).
    let full = if truncated {
        let mut full = Vec::new();
        let all = tok.encode_counting(text, usize::MAX, &mut full);
        assert_eq!(all, total);
        // Truncation keeps the first tokens: the cut encoding is a prefix of the whole one.
        assert_eq!(ids[..ids.len() - 1], full[..ids.len() - 1]);
        full
    } else {
        counted
    };
    assert_eq!(full.len(), total);

    if let Some(r) = reference {
        let want = r.encode(text);
        assert_eq!(
            full, want,
            "streaming encoder and reference differ on {text:?}"
        );
    }
}

/// The plain implementation.
pub struct Reference {
    vocab: HashMap<String, u32>,
    /// The longest token, in bytes: no longer key is looked up (it could not match, and a
    /// 100-character word would otherwise cost ~5,000 look-ups).
    longest: usize,
}

impl Reference {
    /// `None` if the vocabulary is not UTF-8 or lacks `[CLS]`, `[SEP]` or `[UNK]`.
    pub fn new(vocab_txt: &[u8]) -> Option<Reference> {
        let text = std::str::from_utf8(vocab_txt).ok()?;
        let vocab: HashMap<String, u32> = text
            .lines()
            .enumerate()
            .map(|(i, l)| (l.trim_end().to_string(), i as u32))
            .collect();
        for t in ["[CLS]", "[SEP]", "[UNK]"] {
            vocab.get(t)?;
        }
        let longest = vocab.keys().map(String::len).max().unwrap_or(0);
        Some(Reference { vocab, longest })
    }

    /// All ids of `text`, untruncated, `[CLS]` and `[SEP]` included.
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let mut out = vec![self.vocab["[CLS]"]];
        let mut rest = text;
        loop {
            // The leftmost special token (none is a prefix of another).
            let hit = SPECIALS
                .iter()
                .filter(|s| self.vocab.contains_key(**s))
                .filter_map(|s| rest.find(s).map(|i| (i, *s)))
                .min();
            let piece = hit.map_or(rest, |(i, _)| &rest[..i]);
            for word in pre_tokenize(&normalize(piece)) {
                self.word_pieces(&word, &mut out);
            }
            match hit {
                Some((i, s)) => {
                    out.push(self.vocab[s]);
                    rest = &rest[i + s.len()..];
                }
                None => break,
            }
        }
        out.push(self.vocab["[SEP]"]);
        out
    }

    fn word_pieces(&self, word: &str, out: &mut Vec<u32>) {
        let unk = self.vocab["[UNK]"];
        if word.chars().count() > MAX_WORD_CHARS {
            out.push(unk);
            return;
        }
        let mut pieces = Vec::new();
        let mut key = String::new();
        let mut start = 0;
        while start < word.len() {
            let prefix = if start > 0 { "##" } else { "" };
            let mut end = word.len();
            let mut found = None;
            while start < end {
                if prefix.len() + end - start <= self.longest {
                    key.clear();
                    key.push_str(prefix);
                    key.push_str(&word[start..end]);
                    if let Some(&id) = self.vocab.get(&key) {
                        found = Some(id);
                        break;
                    }
                }
                end -= word[start..end]
                    .chars()
                    .next_back()
                    .map_or(1, char::len_utf8);
            }
            match found {
                Some(id) => {
                    pieces.push(id);
                    start = end;
                }
                None => {
                    out.push(unk);
                    return;
                }
            }
        }
        out.extend(pieces);
    }
}

/// BertNormalizer, one whole-string step after another.
pub fn normalize(s: &str) -> String {
    // clean_text
    let cleaned: String = s
        .chars()
        .filter(|&c| kind(c) != Kind::Drop)
        .map(|c| if kind(c) == Kind::Space { ' ' } else { c })
        .collect();
    // handle_chinese_chars
    let mut spaced = String::new();
    for c in cleaned.chars() {
        if is_chinese(c) {
            spaced.push(' ');
            spaced.push(c);
            spaced.push(' ');
        } else {
            spaced.push(c);
        }
    }
    // NFD: decompose (marks of class > 0 are stripped below anyway, and dropping them first
    // does not change the stable sort), then order each run of marks; `None` is a dropped
    // class-0 mark, which still ends a run.
    let mut seq: Vec<(Option<char>, u8)> = Vec::new();
    let add = |c: char, seq: &mut Vec<(Option<char>, u8)>| match kind(c) {
        Kind::Mn => {}
        Kind::MnStarter => seq.push((None, 0)),
        Kind::Mark(ccc) => seq.push((Some(c), ccc)),
        _ => seq.push((Some(c), 0)),
    };
    let mut parts = Vec::new();
    for c in spaced.chars() {
        parts.clear();
        if decompose(c, |p| parts.push(p)) {
            for &p in &parts {
                if let Some(d) = p.c {
                    add(d, &mut seq);
                }
                if p.barrier {
                    seq.push((None, 0));
                }
            }
        } else {
            add(c, &mut seq);
        }
    }
    let mut start = 0;
    for i in 0..=seq.len() {
        if i == seq.len() || seq[i].1 == 0 {
            seq[start..i].sort_by_key(|e| e.1);
            start = i + 1;
        }
    }
    // strip_accents (the marks are gone), then lowercase.
    seq.iter()
        .filter_map(|e| e.0)
        .flat_map(char::to_lowercase)
        .collect()
}

/// BertPreTokenizer: whitespace splits, punctuation stands alone.
pub fn pre_tokenize(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    for w in s.split(char::is_whitespace) {
        let mut cur = String::new();
        for c in w.chars() {
            if kind(c) == Kind::Punct {
                if !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                }
                words.push(c.to_string());
            } else {
                cur.push(c);
            }
        }
        if !cur.is_empty() {
            words.push(cur);
        }
    }
    words
}
