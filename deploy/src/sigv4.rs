//! AWS Signature Version 4, written over `hmac` and `sha2`.
//!
//! [`sign`] takes a request as it will go on the wire and returns the canonical request, the
//! string to sign, the signature and the headers (or query parameters) to add. It is checked
//! against AWS's published `aws-signing-test-suite/v4` in `tests/sigv4_suite.rs`.
//!
//! What it deliberately does not do: SigV4a (ECDSA), chunked/streaming payload signing, S3's
//! special cases beyond [`UriEncoding::Single`].

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use crate::credentials::Credentials;
use crate::encoding::{hex, percent_decode, uri_encode};
use crate::time::AmzDate;

const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// How the request path becomes the canonical URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UriEncoding {
    /// Every service but S3: the wire path (already percent-encoded once) is encoded again, so
    /// `arn%3Aaws` becomes `arn%253Aaws`. Lambda needs this for ARNs in the path.
    Double,
    /// S3: the wire path is taken as already encoded; only bytes that were never encoded are.
    Single,
}

/// Where the signature goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureLocation {
    /// An `Authorization` header (what this crate's clients use).
    Headers,
    /// A presigned URL valid for `expires_secs`.
    Query {
        /// How long the URL stays valid, in seconds.
        expires_secs: u64,
    },
}

/// Signing options; the defaults are what Lambda and IAM expect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SigningSettings {
    /// Remove `.`/`..` segments and empty segments from the path before encoding.
    pub normalize_path: bool,
    /// Single (S3) or double (every other service) percent-encoding of the path.
    pub uri_encoding: UriEncoding,
    /// Add and sign `x-amz-content-sha256` (header signing only).
    pub content_sha256_header: bool,
    /// Sign the session token; when false it is added after signing (some services want that).
    pub sign_session_token: bool,
    /// Header or query signing.
    pub location: SignatureLocation,
}

impl Default for SigningSettings {
    fn default() -> Self {
        SigningSettings {
            normalize_path: true,
            uri_encoding: UriEncoding::Double,
            content_sha256_header: false,
            sign_session_token: true,
            location: SignatureLocation::Headers,
        }
    }
}

/// A request as it goes on the wire. `path` and `query` are exactly what follows the method on
/// the request line (split at `?`); `headers` must include `host`.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// `GET`, `POST`, ...
    pub method: &'a str,
    /// The path, as sent.
    pub path: &'a str,
    /// The query string, as sent (without `?`).
    pub query: &'a str,
    /// The headers, `host` included.
    pub headers: &'a [(String, String)],
    /// The body.
    pub body: &'a [u8],
}

/// Who, where and when.
#[derive(Clone, Copy)]
pub struct Scope<'a> {
    /// Who signs.
    pub credentials: &'a Credentials,
    /// The region, e.g. `eu-west-1`.
    pub region: &'a str,
    /// The service, e.g. `lambda`.
    pub service: &'a str,
    /// When (the signature is valid for 15 minutes around it).
    pub time: AmzDate,
}

/// The result of signing. `headers` replace any same-named request headers (`x-amz-date` in
/// particular); `query_params` (decoded) are appended to the query string.
#[derive(Clone)]
pub struct Signed {
    /// SigV4's canonical request (for tests against the published suite).
    pub canonical_request: String,
    /// SigV4's string to sign.
    pub string_to_sign: String,
    /// The hex signature.
    pub signature: String,
    /// Headers to set on the request.
    pub headers: Vec<(String, String)>,
    /// Query parameters to append (presigned URLs).
    pub query_params: Vec<(String, String)>,
}

// The output carries the session token in a header; keep it out of debug prints.
impl std::fmt::Debug for Signed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signed")
            .field("signature", &self.signature)
            .field(
                "headers",
                &self.headers.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl Signed {
    /// The query string to send: the original plus any signing parameters, encoded.
    pub fn query_string(&self, original: &str) -> String {
        let mut out = original.to_string();
        for (k, v) in &self.query_params {
            if !out.is_empty() {
                out.push('&');
            }
            out.push_str(&uri_encode(k.as_bytes(), false));
            out.push('=');
            out.push_str(&uri_encode(v.as_bytes(), false));
        }
        out
    }
}

/// Lowercase hex SHA-256, the payload hash SigV4 uses.
pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(m) => m,
        // HMAC takes keys of any length (long ones are hashed), so this cannot happen.
        Err(_) => unreachable!("HMAC-SHA256 accepts keys of any length"),
    };
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// The derived signing key for one day, region and service.
fn signing_key(secret: &str, date_stamp: &str, region: &str, service: &str) -> [u8; 32] {
    let mut k_secret = Vec::with_capacity(4 + secret.len());
    k_secret.extend_from_slice(b"AWS4");
    k_secret.extend_from_slice(secret.as_bytes());
    let k_date = hmac_sha256(&k_secret, date_stamp.as_bytes());
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    hmac_sha256(&k_service, b"aws4_request")
}

/// Removes empty, `.` and `..` segments; keeps a trailing slash.
fn normalize_path(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let trailing = path.ends_with('/') || path.ends_with("/.") || path.ends_with("/..");
    let mut out = String::with_capacity(path.len());
    for s in &segments {
        out.push('/');
        out.push_str(s);
    }
    if out.is_empty() || trailing {
        out.push('/');
    }
    out
}

fn canonical_uri(path: &str, settings: &SigningSettings) -> String {
    let path = if path.is_empty() { "/" } else { path };
    let path = if settings.normalize_path {
        normalize_path(path)
    } else {
        path.to_string()
    };
    match settings.uri_encoding {
        UriEncoding::Double => uri_encode(path.as_bytes(), true),
        UriEncoding::Single => {
            // Already-encoded `%XX` stays; anything never encoded gets encoded.
            let mut out = String::with_capacity(path.len());
            for part in path.split('%').enumerate() {
                let (i, text) = part;
                if i > 0 {
                    out.push('%');
                }
                out.push_str(&uri_encode(text.as_bytes(), true));
            }
            out
        }
    }
}

fn canonical_query(query: &str, extra: &[(String, String)]) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                uri_encode(&percent_decode(k), false),
                uri_encode(&percent_decode(v), false),
            )
        })
        .collect();
    for (k, v) in extra {
        pairs.push((
            uri_encode(k.as_bytes(), false),
            uri_encode(v.as_bytes(), false),
        ));
    }
    pairs.sort();
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// Trims and collapses runs of whitespace (including folded-line breaks) to one space.
fn canonical_header_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for word in value
        .split([' ', '\t', '\r', '\n'])
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Sorted `name:value` block and the `;`-joined signed header list.
fn canonical_headers(headers: &[(String, String)]) -> (String, String) {
    // Stable sort keeps repeated headers in their original order, as the suite requires.
    let mut lower: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), canonical_header_value(v)))
        .collect();
    lower.sort_by(|a, b| a.0.cmp(&b.0));
    let mut block = String::new();
    let mut names = String::new();
    let mut i = 0;
    while i < lower.len() {
        let name = &lower[i].0;
        let mut values = vec![lower[i].1.as_str()];
        let mut j = i + 1;
        while j < lower.len() && lower[j].0 == *name {
            values.push(&lower[j].1);
            j += 1;
        }
        block.push_str(name);
        block.push(':');
        block.push_str(&values.join(","));
        block.push('\n');
        if !names.is_empty() {
            names.push(';');
        }
        names.push_str(name);
        i = j;
    }
    (block, names)
}

/// Signs `req`. Existing `x-amz-date`, `x-amz-security-token` and `authorization` headers are
/// ignored: the signer sets them.
pub fn sign(req: &Request<'_>, scope: &Scope<'_>, settings: &SigningSettings) -> Signed {
    let amz_date = scope.time.amz_date();
    let date_stamp = scope.time.date_stamp();
    let credential_scope = format!(
        "{date_stamp}/{}/{}/aws4_request",
        scope.region, scope.service
    );
    let payload_hash = sha256_hex(req.body);
    let token = scope.credentials.session_token();

    let mut to_sign: Vec<(String, String)> = req
        .headers
        .iter()
        .filter(|(k, _)| {
            !k.eq_ignore_ascii_case("x-amz-date")
                && !k.eq_ignore_ascii_case("x-amz-security-token")
                && !k.eq_ignore_ascii_case("authorization")
        })
        .cloned()
        .collect();
    let mut add_headers: Vec<(String, String)> = Vec::new();
    let mut add_query: Vec<(String, String)> = Vec::new();

    let (canonical_request, signed_names) = match settings.location {
        SignatureLocation::Headers => {
            add_headers.push(("X-Amz-Date".into(), amz_date.clone()));
            if let Some(t) = token {
                add_headers.push(("X-Amz-Security-Token".into(), t.to_string()));
            }
            if settings.content_sha256_header {
                add_headers.push(("x-amz-content-sha256".into(), payload_hash.clone()));
            }
            for (k, v) in &add_headers {
                let unsigned_token =
                    k.eq_ignore_ascii_case("x-amz-security-token") && !settings.sign_session_token;
                if !unsigned_token {
                    to_sign.push((k.clone(), v.clone()));
                }
            }
            let (block, names) = canonical_headers(&to_sign);
            let creq = format!(
                "{}\n{}\n{}\n{}\n{}\n{}",
                req.method,
                canonical_uri(req.path, settings),
                canonical_query(req.query, &[]),
                block,
                names,
                payload_hash
            );
            (creq, names)
        }
        SignatureLocation::Query { expires_secs } => {
            let (block, names) = canonical_headers(&to_sign);
            add_query.push(("X-Amz-Algorithm".into(), ALGORITHM.into()));
            add_query.push((
                "X-Amz-Credential".into(),
                format!("{}/{credential_scope}", scope.credentials.access_key_id()),
            ));
            add_query.push(("X-Amz-Date".into(), amz_date.clone()));
            add_query.push(("X-Amz-Expires".into(), expires_secs.to_string()));
            add_query.push(("X-Amz-SignedHeaders".into(), names.clone()));
            if let (Some(t), true) = (token, settings.sign_session_token) {
                add_query.push(("X-Amz-Security-Token".into(), t.to_string()));
            }
            let creq = format!(
                "{}\n{}\n{}\n{}\n{}\n{}",
                req.method,
                canonical_uri(req.path, settings),
                canonical_query(req.query, &add_query),
                block,
                names,
                payload_hash
            );
            (creq, names)
        }
    };

    let string_to_sign = format!(
        "{ALGORITHM}\n{amz_date}\n{credential_scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    );
    let key = signing_key(
        scope.credentials.secret_access_key(),
        &date_stamp,
        scope.region,
        scope.service,
    );
    let signature = hex(&hmac_sha256(&key, string_to_sign.as_bytes()));

    match settings.location {
        SignatureLocation::Headers => add_headers.push((
            "Authorization".into(),
            format!(
                "{ALGORITHM} Credential={}/{credential_scope}, SignedHeaders={signed_names}, Signature={signature}",
                scope.credentials.access_key_id()
            ),
        )),
        SignatureLocation::Query { .. } => {
            add_query.push(("X-Amz-Signature".into(), signature.clone()));
            if let (Some(t), false) = (token, settings.sign_session_token) {
                add_query.push(("X-Amz-Security-Token".into(), t.to_string()));
            }
        }
    }

    Signed {
        canonical_request,
        string_to_sign,
        signature,
        headers: add_headers,
        query_params: add_query,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_dot_and_empty_segments() {
        assert_eq!(normalize_path("//example//"), "/example/");
        assert_eq!(normalize_path("/example1/example2/../.."), "/");
        assert_eq!(normalize_path("/./example"), "/example");
        assert_eq!(normalize_path("/a/b/.."), "/a/");
        assert_eq!(normalize_path("/"), "/");
    }

    #[test]
    fn header_values_are_trimmed_and_collapsed() {
        assert_eq!(canonical_header_value("  a   b \n  c "), "a b c");
    }

    #[test]
    fn repeated_headers_keep_their_order() {
        let h = vec![
            ("B".to_string(), "2".to_string()),
            ("a".to_string(), "z".to_string()),
            ("b".to_string(), "1".to_string()),
        ];
        let (block, names) = canonical_headers(&h);
        assert_eq!(block, "a:z\nb:2,1\n");
        assert_eq!(names, "a;b");
    }
}
