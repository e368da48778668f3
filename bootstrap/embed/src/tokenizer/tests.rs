//! Edge cases of the encoder on a small vocabulary; the Hugging Face comparison on the real
//! one is tests/tokenizer_hf.rs.

use super::fuzzing::{check, small as small_ref, Reference, SMALL_VOCAB};
use super::*;

fn small() -> Tokenizer {
    Tokenizer::from_vocab_txt(SMALL_VOCAB.as_bytes()).unwrap()
}

/// Tokens of `text` without truncation, specials stripped.
fn tokens(t: &Tokenizer, text: &str) -> Vec<String> {
    let mut ids = Vec::new();
    t.encode(text, usize::MAX, &mut ids);
    check(t, Some(&small_ref().1), text, 256);
    ids[1..ids.len() - 1]
        .iter()
        .map(|&i| t.token(i).unwrap().to_string())
        .collect()
}

fn toks(t: &Tokenizer, text: &str) -> String {
    tokens(t, text).join(" ")
}

#[test]
fn wordpiece_greedy_longest_match() {
    let t = small();
    assert_eq!(toks(&t, "hello"), "hello");
    assert_eq!(toks(&t, "hellox"), "hello ##x");
    assert_eq!(toks(&t, "hexllo"), "he ##x ##llo");
    assert_eq!(toks(&t, "unaffable"), "un ##aff ##able");
    assert_eq!(toks(&t, "HeLLo World"), "hello world");
    assert_eq!(toks(&t, ""), "");
    assert_eq!(toks(&t, " \t\r\n "), "");
}

#[test]
fn a_word_with_an_unmatched_rest_is_one_unk() {
    let t = small();
    // "3" is not in the small vocabulary, "##3" neither.
    assert_eq!(toks(&t, "ab3 a"), "[UNK] a");
    assert_eq!(toks(&t, "3"), "[UNK]");
}

#[test]
fn words_over_100_characters_are_unk_and_100_are_not() {
    let t = small();
    let hundred = "a".repeat(100);
    assert_eq!(tokens(&t, &hundred).len(), 100);
    assert_eq!(toks(&t, &"a".repeat(101)), "[UNK]");
    // Characters, not bytes: 100 two-byte Greek letters are a word, 101 are not.
    assert_eq!(tokens(&t, &"σ".repeat(100)).len(), 100);
    assert_eq!(toks(&t, &"σ".repeat(101)), "[UNK]");
    // Counted after normalisation: accents stripped do not count, dropped controls neither.
    let accented: String = "e\u{301}".repeat(100);
    assert_eq!(tokens(&t, &accented).len(), 100);
    let with_zwsp: String = "a\u{200b}".repeat(100);
    assert_eq!(tokens(&t, &with_zwsp).len(), 100);
    // A surviving mark does count.
    let marks = format!("{}\u{1d165}", "a".repeat(100));
    assert_eq!(toks(&t, &marks), "[UNK]");
    // U+FB01 (the fi ligature) has no canonical decomposition and lower-cases to itself.
    assert_eq!(toks(&t, "\u{fb01}"), "\u{fb01}");
}

#[test]
fn truncation_is_exact() {
    let t = small();
    let text = "a ".repeat(300);
    for max_len in [0, 1, 2, 3, 10, 255, 256, 257, 301, 302, 303] {
        let mut ids = Vec::new();
        let cut = t.encode(&text, max_len, &mut ids);
        let cap = max_len.max(2);
        assert_eq!(ids.len(), cap.min(302), "max_len {max_len}");
        assert_eq!(cut, cap < 302, "max_len {max_len}");
        assert_eq!(ids[0], t.cls_id());
        assert_eq!(*ids.last().unwrap(), t.sep_id());
        let mut again = Vec::new();
        assert_eq!(t.encode_counting(&text, max_len, &mut again), 302);
        assert_eq!(again, ids);
    }
    // Exactly MAX_SEQ_LEN - 2 word pieces fit; one more is cut.
    let fits = "a ".repeat(MAX_SEQ_LEN - 2);
    let mut ids = Vec::new();
    assert!(!t.encode(&fits, MAX_SEQ_LEN, &mut ids));
    assert_eq!(ids.len(), MAX_SEQ_LEN);
    ids.clear();
    assert!(t.encode(&format!("{fits}a"), MAX_SEQ_LEN, &mut ids));
    assert_eq!(ids.len(), MAX_SEQ_LEN);
    // A word cut in the middle keeps its first pieces, as HF does.
    ids.clear();
    assert!(t.encode("unaffable", 4, &mut ids));
    let got: Vec<_> = ids.iter().map(|&i| t.token(i).unwrap()).collect();
    assert_eq!(got, ["[CLS]", "un", "##aff", "[SEP]"]);
}

#[test]
fn normalisation() {
    let t = small();
    assert_eq!(toks(&t, "Héllo"), "hello");
    assert_eq!(toks(&t, "HE\u{301}LLO"), "hello");
    assert_eq!(
        toks(&t, "\u{212b}"),
        "a",
        "angstrom sign: NFD, strip, lowercase"
    );
    assert_eq!(toks(&t, "a\u{0}b\u{fffd}c\u{7}d"), "a ##b ##c ##d");
    assert_eq!(toks(&t, "a\u{200b}b\u{200d}c\u{feff}d"), "a ##b ##c ##d");
    assert_eq!(toks(&t, "a\u{85}b"), "a ##b", "NEL is removed, not a space");
    assert_eq!(toks(&t, "a\u{2028}b\u{3000}c\u{a0}d"), "a b c d");
    assert_eq!(
        toks(&t, "ab\u{c}c"),
        "a ##b ##c",
        "form feed is a control: removed"
    );
    assert_eq!(toks(&t, "中文"), "\u{4e2d} \u{6587}");
    assert_eq!(toks(&t, "a中b"), "a \u{4e2d} b");
    assert_eq!(
        toks(&t, "\u{f900}"),
        "\u{8c48}",
        "CJK compatibility ideograph"
    );
    assert_eq!(toks(&t, "한"), "\u{1112} ##\u{1161} ##\u{11ab}");
    // Σ lower-cases to σ character by character (no final-sigma rule), as HF does.
    assert_eq!(toks(&t, "ΣΣ"), "\u{3c3} ##\u{3c3}");
    // İ: NFD first (I + U+0307), the mark stripped, then lower-cased.
    assert_eq!(toks(&t, "\u{130}"), "i");
    // Georgian Mtavruli (Unicode 11) lower-cases to Mkhedruli through core's tables.
    assert_eq!(toks(&t, "\u{1c90}"), "\u{10d0}");
}

#[test]
fn punctuation() {
    let t = small();
    assert_eq!(toks(&t, "hello, world!"), "hello , world !");
    assert_eq!(toks(&t, "a...b"), "a . . . b");
    assert_eq!(
        toks(&t, "$1-2"),
        "$ 1 - 2",
        "ASCII symbols split like punctuation"
    );
    assert_eq!(toks(&t, "a#b"), "a # b");
    // U+037E GREEK QUESTION MARK decomposes to ';' (not in the small vocabulary): split.
    assert_eq!(toks(&t, "a\u{37e}b"), "a [UNK] b");
}

#[test]
fn special_tokens_in_the_text() {
    let t = small();
    assert_eq!(toks(&t, "a[SEP]b"), "a [SEP] b");
    assert_eq!(toks(&t, "[MASK][CLS]"), "[MASK] [CLS]");
    // Matched before normalisation only: lower case or split by a removed control is text.
    assert_eq!(toks(&t, "[sep]"), "[ s ##e ##p ]");
    assert_eq!(toks(&t, "[SE\u{200b}P]"), "[ s ##e ##p ]");
    assert_eq!(toks(&t, "[[UNK]]"), "[ [UNK] ]");
    // A word is split by a special token.
    assert_eq!(toks(&t, "he[PAD]llo"), "he [PAD] l ##l ##o");
}

#[test]
fn canonical_ordering_of_kept_marks() {
    let t = small();
    // U+1D16D (class 226) then U+1D165 (216): NFD puts 216 first.
    assert_eq!(toks(&t, "\u{1d16d}\u{1d165}"), "\u{1d165} ##\u{1d16d}");
    let r = Reference::new(SMALL_VOCAB.as_bytes()).unwrap();
    for s in [
        "\u{1d16d}\u{1d165}",
        "a\u{1d16d}\u{301}\u{1d165}",
        "a\u{1d16d}\u{b56}\u{1d165}",
        "a\u{1d16d}\u{200b}\u{1d165}",
        "\u{b48}\u{1d165}",
        "\u{1d15f}\u{1d16d}\u{1d165}",
    ] {
        let mut ids = Vec::new();
        t.encode(s, usize::MAX, &mut ids);
        assert_eq!(ids, r.encode(s), "{s:?}");
    }
}

#[test]
fn bad_vocabularies_get_clear_errors() {
    let err = |v: &[u8]| Tokenizer::from_vocab_txt(v).err().unwrap().to_string();
    assert_eq!(
        err(b"[CLS]\n[SEP]\n\xff\n"),
        "vocab.txt is not UTF-8 (line 3, first bad byte at offset 12)"
    );
    assert_eq!(err(b"[CLS]\n[SEP]\n"), "vocab.txt has no [UNK] token");
    assert_eq!(
        err(b"[CLS]\n[SEP]\n[UNK]\nab\nab\n"),
        "vocab.txt repeats the token \"ab\" on line 5 (first on line 4)"
    );
    assert_eq!(
        err(b"[CLS]\n[SEP]\n[UNK]\nab \nab\r\n"),
        "vocab.txt repeats the token \"ab\" on line 5 (first on line 4)"
    );
    assert_eq!(
        err(b"[CLS]\n\n[SEP]\n"),
        "vocab.txt line 2 is empty (one token per line)"
    );
    let long = format!("[CLS]\n{}\n", "x".repeat(5000));
    assert_eq!(
        err(long.as_bytes()),
        "vocab.txt line 2 is 5000 bytes long (at most 1024)"
    );
    assert_eq!(err(b""), "vocab.txt has no [CLS] token");
    // CRLF files read like LF ones.
    let crlf = SMALL_VOCAB.replace('\n', "\r\n");
    let a = Tokenizer::from_vocab_txt(crlf.as_bytes()).unwrap();
    let b = small();
    let (mut x, mut y) = (Vec::new(), Vec::new());
    a.encode("hello unaffable world", 64, &mut x);
    b.encode("hello unaffable world", 64, &mut y);
    assert_eq!(x, y);
    assert_eq!(a.vocab_size(), b.vocab_size());
}

#[test]
fn too_many_lines_are_refused() {
    let mut v = String::from("[CLS]\n[SEP]\n[UNK]\n");
    for i in 0..MAX_TOKENS {
        v.push_str(&format!("{i}\n"));
    }
    assert_eq!(
        Tokenizer::from_vocab_txt(v.as_bytes()).err(),
        Some(TokenizerError::TooManyTokens)
    );
}
