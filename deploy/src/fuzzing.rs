//! The entry point for the `deploy_config` fuzz target in `fuzz/` and for the corpus replay
//! test. Built only with the non-default `fuzzing` feature.

use std::path::Path;

use crate::credentials::{parse_shared_file, resolve_region_from, FileKind};
use crate::Credentials;

/// The shared credentials/config file parser, and what deploy does with its sections. The
/// first byte picks the file kind; the rest is the file (lossily UTF-8, as any text file
/// could hold anything).
pub fn config_file(data: &[u8]) {
    let Some((&kind, text)) = data.split_first() else {
        return;
    };
    let kind = if kind % 2 == 0 {
        FileKind::Credentials
    } else {
        FileKind::Config
    };
    let text = String::from_utf8_lossy(text);
    let path = Path::new("/fuzz/shared-file");
    let sections = match parse_shared_file(&text, kind, path) {
        Ok(s) => s,
        Err(e) => {
            assert!(e.to_string().contains("/fuzz/shared-file"), "{e}");
            return;
        }
    };
    let lines = text.lines().count();
    let no_env = |_: &str| None::<String>;
    for s in &sections {
        assert!(!s.name.is_empty());
        assert!(s.line >= 1 && s.line <= lines, "line {} of {lines}", s.line);
        for (key, _) in &s.entries {
            assert_eq!(key, &key.to_ascii_lowercase());
            assert_eq!(key, key.trim());
        }
        if let Some(region) = s.get("region") {
            // A region becomes part of a host name: whatever passes must be harmless there.
            if let Ok(r) = resolve_region_from(Some(region), None, &no_env) {
                assert!(r
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
            }
        }
        if let (Some(id), Some(secret)) =
            (s.get("aws_access_key_id"), s.get("aws_secret_access_key"))
        {
            // Debug must not depend on the secret or the token, only on whether a token is set.
            let token = s.get("aws_session_token");
            let real = Credentials::new(id, secret, token.map(String::from));
            let other = Credentials::new(
                id,
                "S",
                token.map(|t| if t.is_empty() { "" } else { "T" }.to_string()),
            );
            assert_eq!(
                format!("{real:?}"),
                format!("{other:?}"),
                "Debug shows a secret"
            );
        }
    }
}
