//! Base64, for the streaming error trailer and binary HTTP bodies: rayo-wire's, under the
//! names this crate's modules use.

use rayo_wire::base64::encode;
#[cfg(any(feature = "http-events", test))]
use rayo_wire::base64::{decode, Rules};

/// Standard base64 with padding (RFC 4648 section 4).
pub(crate) fn push_base64(out: &mut Vec<u8>, data: &[u8]) {
    encode(data, out);
}

/// Standard base64, padding optional, no whitespace; `None` if it is anything else.
/// Lenient about padding and spare bits: API Gateway is not the only sender.
#[cfg(any(feature = "http-events", test))]
pub(crate) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    decode(text.as_bytes(), Rules::Lenient, &mut out).ok()?;
    Some(out)
}
