//! Property tests: encode never panics, respects max_len, and agrees with the plain reference
//! implementation (tokenizer::fuzzing) on any text, with the small vocabulary and with random
//! vocabularies.

use proptest::prelude::*;
use rayo_embed::tokenizer::fuzzing::{check, SMALL_VOCAB};
use rayo_embed::tokenizer::Tokenizer;

/// Characters that exercise every rule: ASCII, controls, marks of several classes, CJK,
/// Hangul, punctuation, specials' brackets, anything.
fn text() -> impl Strategy<Value = String> {
    let interesting = prop_oneof![
        Just('a'),
        Just('H'),
        Just(' '),
        Just('\t'),
        Just('\n'),
        Just('\u{0}'),
        Just('\u{85}'),
        Just('\u{301}'),
        Just('\u{b56}'),
        Just('\u{1d165}'),
        Just('\u{1d16d}'),
        Just('\u{8d4}'),
        Just('\u{200b}'),
        Just('\u{fffd}'),
        Just('中'),
        Just('한'),
        Just('σ'),
        Just('Σ'),
        Just('.'),
        Just('['),
        Just(']'),
        Just('#'),
        Just('\u{130}'),
        Just('\u{f900}'),
        any::<char>(),
    ];
    let specials = prop_oneof![
        Just("[CLS]"),
        Just("[SEP]"),
        Just("[MASK]"),
        Just("hello"),
        Just("unaffable")
    ];
    prop::collection::vec(
        prop_oneof![4 => interesting.prop_map(String::from), 1 => specials.prop_map(String::from)],
        0..120,
    )
    .prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn small_vocab(t in text(), max_len in 0usize..300) {
        let tok = Tokenizer::from_vocab_txt(SMALL_VOCAB.as_bytes()).unwrap();
        check(&tok, SMALL_VOCAB.as_bytes(), &t, max_len);
    }

    #[test]
    fn random_vocab(extra in prop::collection::vec("[a-z#\u{301}中]{1,6}", 0..40), t in text(), max_len in 0usize..40) {
        let mut v = String::from("[CLS]\n[SEP]\n[UNK]\n");
        let mut seen = std::collections::HashSet::new();
        for e in extra {
            if seen.insert(e.clone()) && !["[CLS]", "[SEP]", "[UNK]"].contains(&e.as_str()) {
                v.push_str(&e);
                v.push('\n');
            }
        }
        let tok = Tokenizer::from_vocab_txt(v.as_bytes()).unwrap();
        check(&tok, v.as_bytes(), &t, max_len);
    }

    #[test]
    fn any_vocab_bytes_never_panic(v in prop::collection::vec(any::<u8>(), 0..400), t in ".{0,80}") {
        if let Ok(tok) = Tokenizer::from_vocab_txt(&v) {
            check(&tok, &v, &t, 16);
        }
    }
}
