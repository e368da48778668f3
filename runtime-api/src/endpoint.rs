//! `AWS_LAMBDA_RUNTIME_API`: `host:port` on Lambda, `http://host:port/prefix` in some
//! local emulators (cargo-lambda's among them).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use crate::Error;

const VAR: &str = "AWS_LAMBDA_RUNTIME_API";

#[derive(Clone, Debug, PartialEq, Eq)]
/// Where the Runtime API is: `AWS_LAMBDA_RUNTIME_API` parsed into an address and a path prefix.
pub struct Endpoint {
    /// What `TcpStream::connect` gets, and the `Host` header: `host:port`.
    pub authority: String,
    /// Prepended to every request path; empty or `/something` without a trailing slash.
    pub prefix: String,
    /// The address to connect to, when the host is an IP literal or `localhost`. `None`
    /// means a host name resolved at connect time (the `dns` feature).
    pub addr: Option<SocketAddr>,
}

impl Endpoint {
    /// Parses `host:port` (as Lambda sets it) or `http://host:port/prefix` (as some emulators do).
    pub fn parse(value: &str) -> Result<Endpoint, Error> {
        let bad = |reason| Error::Env {
            var: VAR,
            value: Some(value.to_string()),
            reason,
        };
        let rest = if let Some(r) = value.strip_prefix("http://") {
            r
        } else if value.as_bytes().windows(3).any(|w| w == b"://") {
            return Err(bad("only plain http:// is spoken to the Runtime API"));
        } else {
            value
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if authority.is_empty() {
            return Err(bad("expected host:port"));
        }
        if authority
            .bytes()
            .any(|b| b <= b' ' || b == 0x7f || b == b'@' || b == b'?' || b == b'#')
        {
            return Err(bad("the host:port has a character that cannot be in one"));
        }
        // The port is what follows the last ':' outside IPv6 brackets.
        let port = match authority.rfind(':') {
            Some(i) if !authority[i..].contains(']') => &authority[i + 1..],
            _ => return Err(bad("expected host:port, the port is missing")),
        };
        if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("the port is not a number"));
        }
        let Ok(port_number) = port.parse::<u16>() else {
            return Err(bad("the port is above 65535"));
        };
        let host = &authority[..authority.len() - port.len() - 1];
        let addr = match host {
            "localhost" => Some(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port_number)),
            _ => match authority.parse::<SocketAddr>() {
                Ok(a) => Some(a),
                Err(_) if host.starts_with('[') => return Err(bad("bad IPv6 address")),
                // Resolving names links the C resolver (about 10 KB): Lambda and its
                // emulators give an IP address, so only the `dns` feature pays for it.
                Err(_) if cfg!(feature = "dns") => None,
                Err(_) => {
                    return Err(bad(
                        "host names other than localhost need runtime-api's `dns` feature; use an IP address",
                    ))
                }
            },
        };
        if path
            .bytes()
            .any(|b| b <= b' ' || b == 0x7f || b == b'?' || b == b'#')
        {
            return Err(bad(
                "the path prefix has a character that cannot be in a path",
            ));
        }
        Ok(Endpoint {
            authority: authority.to_string(),
            prefix: path.trim_end_matches('/').to_string(),
            addr,
        })
    }

    /// Reads and parses `AWS_LAMBDA_RUNTIME_API`.
    pub fn from_env() -> Result<Endpoint, Error> {
        match std::env::var(VAR) {
            Ok(v) => Endpoint::parse(&v),
            Err(std::env::VarError::NotPresent) => Err(Error::Env {
                var: VAR,
                value: None,
                reason: "this program is a Lambda bootstrap: run it on Lambda or under an emulator",
            }),
            Err(std::env::VarError::NotUnicode(v)) => Err(Error::Env {
                var: VAR,
                value: Some(v.to_string_lossy().into_owned()),
                reason: "not valid UTF-8",
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(v: &str, authority: &str, prefix: &str) {
        let e = Endpoint::parse(v).unwrap_or_else(|e| panic!("{v}: {e}"));
        assert_eq!(e.authority, authority, "{v}");
        assert_eq!(e.prefix, prefix, "{v}");
    }

    #[test]
    fn accepts_lambda_and_emulator_forms() {
        ok("127.0.0.1:9001", "127.0.0.1:9001", "");
        ok("localhost:9001", "localhost:9001", "");
        assert_eq!(
            Endpoint::parse("localhost:9001").unwrap().addr,
            Some("127.0.0.1:9001".parse().unwrap())
        );
        assert_eq!(
            Endpoint::parse("[::1]:9001").unwrap().addr,
            Some("[::1]:9001".parse().unwrap())
        );
        ok("[::1]:9001", "[::1]:9001", "");
        ok("http://127.0.0.1:9000", "127.0.0.1:9000", "");
        ok("http://127.0.0.1:9000/", "127.0.0.1:9000", "");
        ok(
            "http://127.0.0.1:9000/.rt/fn/x/",
            "127.0.0.1:9000",
            "/.rt/fn/x",
        );
    }

    #[test]
    fn host_names_need_the_dns_feature() {
        let r = Endpoint::parse("runtime.internal:9001");
        if cfg!(feature = "dns") {
            assert_eq!(r.unwrap().addr, None);
        } else {
            assert!(r.unwrap_err().to_string().contains("`dns` feature"));
        }
    }

    #[test]
    fn refuses_with_the_value_in_the_message() {
        for bad in [
            "",
            "127.0.0.1",
            "127.0.0.1:",
            "127.0.0.1:port",
            "127.0.0.1:99999",
            "https://127.0.0.1:9001",
            "http://",
            "http:///x",
            "[::1]",
            "a b:1",
            "127.0.0.1:1/pre fix",
            "127.0.0.1:1/x?y",
            "user@h:1",
            "[::zz]:1",
        ]
        .into_iter()
        // A host name is refused only without the `dns` feature, which resolves it.
        .chain((!cfg!(feature = "dns")).then_some("a:1"))
        {
            let err = Endpoint::parse(bad).expect_err(bad).to_string();
            assert!(err.contains("AWS_LAMBDA_RUNTIME_API"), "{err}");
            assert!(err.contains(&format!("{bad:?}")), "{err}");
        }
    }
}
