//! rayo-wire's base64 against the `base64` crate, which shares no code with it.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use rayo_wire::base64::{decode, encode, Rules};

/// Bytes from a fixed xorshift, so every run checks the same inputs.
fn bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[test]
fn encodes_as_the_base64_crate_does() {
    for len in 0..300 {
        let data = bytes(len as u64, len);
        let mut ours = Vec::new();
        encode(&data, &mut ours);
        assert_eq!(ours, STANDARD.encode(&data).into_bytes(), "length {len}");
    }
}

#[test]
fn canonical_decoding_agrees_with_the_base64_crate() {
    // The crate's strict engine with padding optional is the same rule set as Canonical.
    let strict = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let mut cases: Vec<Vec<u8>> = Vec::new();
    for len in 0..40 {
        let mut text = Vec::new();
        encode(&bytes(len as u64 + 7, len), &mut text);
        cases.push(text.clone());
        // Every one-byte corruption of the text: a foreign byte, padding, a changed symbol.
        for at in 0..text.len() {
            for b in [b'!', b'=', b'A', b'/', b'-', b' '] {
                let mut bad = text.clone();
                bad[at] = b;
                cases.push(bad);
            }
        }
        let bare: Vec<u8> = text.iter().copied().filter(|&c| c != b'=').collect();
        cases.push(bare);
    }
    for text in cases {
        let mut ours = Vec::new();
        let ours = decode(&text, Rules::Canonical, &mut ours).map(|()| ours);
        let theirs = strict.decode(&text);
        assert_eq!(
            ours.is_ok(),
            theirs.is_ok(),
            "{:?}: ours {ours:?}, theirs {theirs:?}",
            String::from_utf8_lossy(&text)
        );
        if let (Ok(a), Ok(b)) = (ours, theirs) {
            assert_eq!(a, b);
        }
    }
}
