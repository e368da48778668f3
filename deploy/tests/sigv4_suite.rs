//! AWS's SigV4 test suite (`aws-signing-test-suite/v4`, copied with its LICENSE from the
//! `aws-sigv4` 1.6.4 crate on crates.io into `tests/aws-signing-test-suite/`).
//!
//! Every case directory is loaded; none is skipped. For each, header signing and query
//! (presigned) signing are both checked: canonical request, string to sign, signature and the
//! signed request. Where a case cannot be run as-is, the test says so on stderr with the reason
//! and runs the applicable variant.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use rayo_deploy::credentials::Credentials;
use rayo_deploy::encoding::percent_decode;
use rayo_deploy::sigv4::{sign, Request, Scope, SignatureLocation, SigningSettings, UriEncoding};
use rayo_deploy::time::AmzDate;

fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/aws-signing-test-suite/v4")
}

/// Prints even when the test passes (libtest captures `print!`, not direct writes).
fn note(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct RawRequest {
    method: String,
    path: String,
    query: String,
    /// Names as written; values with folded lines kept.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// Parses the suite's `request.txt` format: request line, `Name:value` headers (indented lines
/// continue the previous value), a blank line, the body.
fn parse_request(text: &[u8]) -> Result<RawRequest, String> {
    let (head, body) = match find(text, b"\n\n") {
        Some(i) => (&text[..i], text[i + 2..].to_vec()),
        None => (text, Vec::new()),
    };
    let head = String::from_utf8(head.to_vec()).map_err(|_| "head is not UTF-8".to_string())?;
    let mut lines = head.trim_end_matches('\n').split('\n');
    let first = lines.next().ok_or("empty request")?;
    let (method, rest) = first.split_once(' ').ok_or("no method")?;
    let target = match rest.rfind(" HTTP/") {
        Some(i) => &rest[..i],
        None => rest,
    };
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.starts_with([' ', '\t']) {
            let last = headers.last_mut().ok_or("continuation before any header")?;
            last.1.push('\n');
            last.1.push_str(line);
            continue;
        }
        let (k, v) = line.split_once(':').ok_or(format!("bad header {line:?}"))?;
        headers.push((k.to_string(), v.to_string()));
    }
    Ok(RawRequest {
        method: method.to_string(),
        path: path.to_string(),
        query: query.to_string(),
        headers,
        body,
    })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn read(dir: &Path, name: &str) -> Option<String> {
    std::fs::read_to_string(dir.join(name)).ok()
}

struct Context {
    creds: Credentials,
    region: String,
    service: String,
    time: AmzDate,
    normalize: bool,
    sign_body: bool,
    omit_session_token: bool,
    expires: u64,
}

fn parse_context(text: &str) -> Result<Context, String> {
    use miniserde::json::{Number, Value};
    let v: Value = miniserde::json::from_str(text).map_err(|_| "context.json is not JSON")?;
    let Value::Object(o) = v else {
        return Err("context.json is not an object".into());
    };
    let s = |obj: &miniserde::json::Object, k: &str| match obj.get(k) {
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    };
    let b = |k: &str| matches!(o.get(k), Some(Value::Bool(true)));
    let Some(Value::Object(c)) = o.get("credentials") else {
        return Err("no credentials".into());
    };
    let expires = match o.get("expiration_in_seconds") {
        Some(Value::Number(Number::U64(n))) => *n,
        _ => return Err("no expiration_in_seconds".into()),
    };
    Ok(Context {
        creds: Credentials::new(
            s(c, "access_key_id").ok_or("no access_key_id")?,
            s(c, "secret_access_key").ok_or("no secret_access_key")?,
            s(c, "token"),
        ),
        region: s(&o, "region").ok_or("no region")?,
        service: s(&o, "service").ok_or("no service")?,
        time: AmzDate::parse_rfc3339(&s(&o, "timestamp").ok_or("no timestamp")?)
            .ok_or("bad timestamp")?,
        normalize: b("normalize"),
        // The suite's default when absent is true.
        sign_body: !matches!(o.get("sign_body"), Some(Value::Bool(false))),
        omit_session_token: b("omit_session_token"),
        expires,
    })
}

/// Header multiset with lowercase names and trimmed values, for comparing signed requests.
fn header_set(h: &[(String, String)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = h
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    v.sort();
    v
}

fn query_set(q: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut v: Vec<(Vec<u8>, Vec<u8>)> = q
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect();
    v.sort();
    v
}

/// Signs `req` and compares with the case's expected files for one signature location.
#[allow(clippy::too_many_arguments)]
fn check(
    dir: &Path,
    prefix: &str,
    req: &RawRequest,
    creds: &Credentials,
    region: &str,
    service: &str,
    time: AmzDate,
    settings: &SigningSettings,
    kinds: &[&str],
    failures: &mut Vec<String>,
) -> usize {
    let case = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let signed = sign(
        &Request {
            method: &req.method,
            path: &req.path,
            query: &req.query,
            headers: &req.headers,
            body: &req.body,
        },
        &Scope {
            credentials: creds,
            region,
            service,
            time,
        },
        settings,
    );
    let mut checks = 0;
    let mut expect = |what: &str, file: &str, actual: &str| {
        if !kinds.iter().any(|k| file.ends_with(&format!("{k}.txt"))) {
            return;
        }
        if let Some(expected) = read(dir, file) {
            checks += 1;
            if expected.trim_end_matches('\n') != actual {
                failures.push(format!(
                    "{case}: {what} differs\n--- expected ({file})\n{expected}\n--- actual\n{actual}\n"
                ));
            }
        }
    };
    expect(
        "canonical request",
        &format!("{prefix}-canonical-request.txt"),
        &signed.canonical_request,
    );
    expect(
        "string to sign",
        &format!("{prefix}-string-to-sign.txt"),
        &signed.string_to_sign,
    );
    expect(
        "signature",
        &format!("{prefix}-signature.txt"),
        &signed.signature,
    );

    // The signed request: original headers (less the ones the signer replaces) plus its own.
    let file = format!("{prefix}-signed-request.txt");
    let wanted = kinds.contains(&"signed-request");
    if let Some(text) = read(dir, &file).filter(|_| wanted) {
        checks += 1;
        match parse_request(text.as_bytes()) {
            Err(e) => failures.push(format!("{case}: cannot parse {file}: {e}")),
            Ok(expected) => {
                let mut headers: Vec<(String, String)> = req
                    .headers
                    .iter()
                    .filter(|(k, _)| {
                        !signed
                            .headers
                            .iter()
                            .any(|(s, _)| s.eq_ignore_ascii_case(k))
                    })
                    .cloned()
                    .collect();
                headers.extend(signed.headers.iter().cloned());
                let query = signed.query_string(&req.query);
                let same = expected.method == req.method
                    // get-space-normalized writes the signed path decoded: compare decoded.
                    && percent_decode(&expected.path) == percent_decode(&req.path)
                    && query_set(&expected.query) == query_set(&query)
                    && header_set(&expected.headers) == header_set(&headers)
                    && expected.body.strip_suffix(b"\n").unwrap_or(&expected.body)
                        == req.body.strip_suffix(b"\n").unwrap_or(&req.body);
                if !same {
                    failures.push(format!(
                        "{case}: signed request differs ({file})\nexpected: {} {}?{} {:?}\nactual:   {} {}?{} {:?}",
                        expected.method,
                        expected.path,
                        expected.query,
                        header_set(&expected.headers),
                        req.method,
                        req.path,
                        query,
                        header_set(&headers)
                    ));
                }
            }
        }
    }
    checks
}

/// Credentials the suite's two older cases were made with (they have no context.json; the
/// values are those of the `aws-sigv4` tests that use them).
fn example_creds() -> Credentials {
    Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        None,
    )
}

fn anotreal_creds() -> Credentials {
    Credentials::new("ANOTREAL", "notrealrnrELgWzOk3IfjzDKtFBhDby", None)
}

const ALL: &[&str] = &[
    "canonical-request",
    "string-to-sign",
    "signature",
    "signed-request",
];

#[test]
fn aws_signing_test_suite_v4() {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(suite_dir())
        .expect("the suite is in tests/aws-signing-test-suite/v4")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert_eq!(dirs.len(), 40, "the v4 suite has 40 cases");

    let mut failures = Vec::new();
    let mut ran: BTreeMap<String, usize> = BTreeMap::new();
    let suite_time = AmzDate::parse_rfc3339("2015-08-30T12:36:00Z").expect("time");
    let crt_time = AmzDate::parse_rfc3339("2021-05-11T15:40:45Z").expect("time");

    for dir in &dirs {
        let case = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let req = match std::fs::read(dir.join("request.txt"))
            .map_err(|e| e.to_string())
            .and_then(|b| parse_request(&b))
        {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{case}: request.txt: {e}"));
                ran.insert(case, 0);
                continue;
            }
        };
        let mut checks = 0;
        match read(dir, "context.json") {
            Some(ctx_text) => {
                let ctx = match parse_context(&ctx_text) {
                    Ok(c) => c,
                    Err(e) => {
                        failures.push(format!("{case}: context.json: {e}"));
                        ran.insert(case, 0);
                        continue;
                    }
                };
                let mut encoding = UriEncoding::Double;
                if case == "get-space-normalized" {
                    // Its path arrives encoded (`%20`) and the expected canonical URI keeps it
                    // single-encoded, which only holds for S3-style signing; aws-sigv4 ignores
                    // this case for the same reason. Lambda needs double encoding (checked by
                    // `double-url-encode`), so this case runs with UriEncoding::Single.
                    note("sigv4 suite: get-space-normalized runs with UriEncoding::Single (S3-style): its expected canonical URI is single-encoded; Lambda uses Double, covered by double-url-encode/double-encode-path");
                    encoding = UriEncoding::Single;
                }
                for (prefix, location) in [
                    ("header", SignatureLocation::Headers),
                    (
                        "query",
                        SignatureLocation::Query {
                            expires_secs: ctx.expires,
                        },
                    ),
                ] {
                    let settings = SigningSettings {
                        normalize_path: ctx.normalize,
                        uri_encoding: encoding,
                        content_sha256_header: ctx.sign_body,
                        sign_session_token: !ctx.omit_session_token,
                        location,
                    };
                    checks += check(
                        dir,
                        prefix,
                        &req,
                        &ctx.creds,
                        &ctx.region,
                        &ctx.service,
                        ctx.time,
                        &settings,
                        ALL,
                        &mut failures,
                    );
                }
            }
            None if case == "double-url-encode" => {
                // A Lambda Invoke of an ARN: everything (time, region, service) is in the
                // expected string to sign and Authorization header.
                checks += check(
                    dir,
                    "header",
                    &req,
                    &example_creds(),
                    "us-east-2",
                    "lambda",
                    crt_time,
                    &SigningSettings::default(),
                    ALL,
                    &mut failures,
                );
            }
            None if case == "double-encode-path" => {
                // Its canonical request was made at 2021-05-11T15:40:45Z while its signed
                // request was signed at 2015-08-30T12:36:00Z by the ANOTREAL test key (as in
                // aws-sigv4's own tests): check the canonical request at the first time and
                // the signed request (with its signature) at the second.
                for (time, kinds) in [
                    (crt_time, &["canonical-request"][..]),
                    (suite_time, &["signed-request"][..]),
                ] {
                    checks += check(
                        dir,
                        "header",
                        &req,
                        &anotreal_creds(),
                        "us-east-1",
                        "service",
                        time,
                        &SigningSettings::default(),
                        kinds,
                        &mut failures,
                    );
                }
            }
            None => failures.push(format!("{case}: no context.json and no known parameters")),
        }
        if checks == 0 {
            failures.push(format!("{case}: nothing was checked"));
        }
        ran.insert(case, checks);
    }

    assert_eq!(ran.len(), dirs.len(), "every case ran");
    let total: usize = ran.values().sum();
    note(&format!(
        "sigv4 suite: {} cases, {total} comparisons, {} failures",
        ran.len(),
        failures.len()
    ));
    assert!(
        failures.is_empty(),
        "{} SigV4 suite failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn request_parser_handles_folded_headers_and_bodies() {
    let r = parse_request(b"POST /a?b=c HTTP/1.1\nHost:h\nX:1\n  2\n\nbody").expect("parse");
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/a");
    assert_eq!(r.query, "b=c");
    assert_eq!(r.headers[1], ("X".to_string(), "1\n  2".to_string()));
    assert_eq!(r.body, b"body");
}
