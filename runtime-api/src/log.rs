//! Logging the way Lambda's advanced logging controls expect it, with five macros and no
//! logging framework.
//!
//! ```no_run
//! rayo_runtime::info!("model loaded: {} rows", 42);
//! rayo_runtime::warn!("slow request: {} ms", 900);
//! ```
//!
//! - `AWS_LAMBDA_LOG_FORMAT=JSON`: one JSON object per line,
//!   `{"timestamp":"2026-11-24T06:52:40.123Z","level":"INFO","requestId":"…","message":"…"}`;
//!   `requestId` is the invocation the calling thread is serving (absent during init), so it
//!   stays right with several workers (`run_concurrent`).
//! - Otherwise plain text, Lambda's tab-separated layout:
//!   `2026-11-24T06:52:40.123Z\t<request id or ->\tINFO\tmessage`, with newlines inside the
//!   message turned into `\r` so that a record stays one CloudWatch event.
//! - `AWS_LAMBDA_LOG_LEVEL` (TRACE, DEBUG, INFO, WARN, ERROR, FATAL; default INFO) drops
//!   records below it, in both formats.
//!
//! Records go to stderr in a single `write`, so lines from concurrent workers never
//! interleave. The settings are read from the environment on the first record: a function
//! that never logs pays nothing, not even that.

use std::fmt::{self, Write as _};
use std::io::Write as _;
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::write_json_string;

/// A record's severity, in Lambda's names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// `TRACE`: the most detailed.
    Trace,
    /// `DEBUG`
    Debug,
    /// `INFO`, the default threshold.
    Info,
    /// `WARN`
    Warn,
    /// `ERROR`
    Error,
    /// `FATAL`: the least detailed.
    Fatal,
}

impl Level {
    /// The level's name as Lambda writes it (`INFO`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Trace => "TRACE",
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
            Level::Fatal => "FATAL",
        }
    }

    /// Lambda's spelling, any case (`info` and `INFO` alike).
    pub fn parse(s: &str) -> Option<Level> {
        [
            Level::Trace,
            Level::Debug,
            Level::Info,
            Level::Warn,
            Level::Error,
            Level::Fatal,
        ]
        .into_iter()
        .find(|l| l.as_str().eq_ignore_ascii_case(s))
    }
}

/// How records are written: the format and the lowest level kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    /// JSON records (`AWS_LAMBDA_LOG_FORMAT=JSON`) rather than Lambda's text layout.
    pub json: bool,
    /// Records below this level are dropped (`AWS_LAMBDA_LOG_LEVEL`).
    pub min_level: Level,
}

impl Settings {
    /// From `AWS_LAMBDA_LOG_FORMAT` and `AWS_LAMBDA_LOG_LEVEL`. A value it does not know
    /// is named in `warnings` and replaced by the default (text, INFO): logging must not
    /// stop a function.
    pub fn from_values(
        format: Option<&str>,
        level: Option<&str>,
        warnings: &mut Vec<String>,
    ) -> Settings {
        let json = match format.map(str::trim) {
            None | Some("") => false,
            Some(f) if f.eq_ignore_ascii_case("json") => true,
            Some(f) if f.eq_ignore_ascii_case("text") => false,
            Some(f) => {
                warnings.push(format!(
                    "AWS_LAMBDA_LOG_FORMAT={f:?} is neither JSON nor Text; writing text"
                ));
                false
            }
        };
        let min_level = match level.map(str::trim) {
            None | Some("") => Level::Info,
            Some(l) => Level::parse(l).unwrap_or_else(|| {
                warnings.push(format!(
                    "AWS_LAMBDA_LOG_LEVEL={l:?} is not one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL; using INFO"
                ));
                Level::Info
            }),
        };
        Settings { json, min_level }
    }
}

fn settings() -> &'static Settings {
    static SETTINGS: OnceLock<Settings> = OnceLock::new();
    SETTINGS.get_or_init(|| {
        let format = std::env::var("AWS_LAMBDA_LOG_FORMAT").ok();
        let level = std::env::var("AWS_LAMBDA_LOG_LEVEL").ok();
        let mut warnings = Vec::new();
        let s = Settings::from_values(format.as_deref(), level.as_deref(), &mut warnings);
        for w in warnings {
            // Not eprintln!: it panics when stderr is gone, and logging must not.
            let _ = writeln!(std::io::stderr(), "rayo: {w}");
        }
        s
    })
}

/// Whether a record at `level` would be written: skip building costly messages.
pub fn enabled(level: Level) -> bool {
    level >= settings().min_level
}

/// Writes one record (the macros call this). Errors writing to stderr are ignored: there
/// is nowhere left to report them.
pub fn write(level: Level, args: fmt::Arguments<'_>) {
    let s = settings();
    if level < s.min_level {
        return;
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let line = crate::panic::with_in_flight(|id| format_record(s, now, level, id, args));
    let _ = std::io::stderr().lock().write_all(&line);
}

/// One record as bytes, newline included. `request_id` "" means "not in an invocation".
pub fn format_record(
    s: &Settings,
    epoch_ms: u64,
    level: Level,
    request_id: &str,
    args: fmt::Arguments<'_>,
) -> Vec<u8> {
    let mut message = String::new();
    let _ = message.write_fmt(args);
    let mut ts = [0u8; 24];
    rfc3339_ms(epoch_ms, &mut ts);
    let mut out = Vec::with_capacity(96 + request_id.len() + message.len());
    if s.json {
        out.extend_from_slice(b"{\"timestamp\":\"");
        out.extend_from_slice(&ts);
        out.extend_from_slice(b"\",\"level\":\"");
        out.extend_from_slice(level.as_str().as_bytes());
        out.push(b'"');
        if !request_id.is_empty() {
            out.extend_from_slice(b",\"requestId\":");
            write_json_string(&mut out, request_id);
        }
        out.extend_from_slice(b",\"message\":");
        write_json_string(&mut out, &message);
        out.extend_from_slice(b"}\n");
    } else {
        out.extend_from_slice(&ts);
        out.push(b'\t');
        out.extend_from_slice(
            if request_id.is_empty() {
                "-"
            } else {
                request_id
            }
            .as_bytes(),
        );
        out.push(b'\t');
        out.extend_from_slice(level.as_str().as_bytes());
        out.push(b'\t');
        // CloudWatch splits stdout/stderr on '\n': '\r' keeps a multi-line record whole
        // (what Lambda's own runtimes do).
        out.extend(message.bytes().map(|b| if b == b'\n' { b'\r' } else { b }));
        out.push(b'\n');
    }
    out
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC) for milliseconds since the epoch, written by hand
/// (proleptic Gregorian calendar, rayo-wire's civil-from-days).
pub fn rfc3339_ms(epoch_ms: u64, out: &mut [u8; 24]) {
    let ms = epoch_ms % 1000;
    let secs = epoch_ms / 1000;
    let rem = secs % 86_400;
    let (hour, min, sec) = (rem / 3600, rem % 3600 / 60, rem % 60);
    // u64 milliseconds / 86,400,000 always fits in an i64, and is never negative.
    let (year, month, day) = rayo_wire::date::civil_from_days((secs / 86_400) as i64);
    let mut i = 0;
    let mut put = |v: u64, width: u32, sep: u8| {
        for k in (0..width).rev() {
            out[i] = b'0' + (v / 10u64.pow(k) % 10) as u8;
            i += 1;
        }
        out[i] = sep;
        i += 1;
    };
    put((year as u64).min(9999), 4, b'-');
    put(u64::from(month), 2, b'-');
    put(u64::from(day), 2, b'T');
    put(hour, 2, b':');
    put(min, 2, b':');
    put(sec, 2, b'.');
    put(ms, 3, b'Z');
}

/// Sends the `log` crate's records (`log::info!` in a dependency) through this logger:
/// the same format, level filter and request id. Returns false when another logger was
/// installed first. Feature `log-facade`.
#[cfg(feature = "log-facade")]
pub fn install_log_facade() -> bool {
    struct Facade;
    fn level(l: ::log::Level) -> Level {
        match l {
            ::log::Level::Error => Level::Error,
            ::log::Level::Warn => Level::Warn,
            ::log::Level::Info => Level::Info,
            ::log::Level::Debug => Level::Debug,
            ::log::Level::Trace => Level::Trace,
        }
    }
    impl ::log::Log for Facade {
        fn enabled(&self, m: &::log::Metadata<'_>) -> bool {
            enabled(level(m.level()))
        }
        fn log(&self, r: &::log::Record<'_>) {
            write(level(r.level()), *r.args());
        }
        fn flush(&self) {}
    }
    static FACADE: Facade = Facade;
    if ::log::set_logger(&FACADE).is_err() {
        return false;
    }
    // The facade's own filter lets everything the settings keep through.
    ::log::set_max_level(match settings().min_level {
        Level::Trace => ::log::LevelFilter::Trace,
        Level::Debug => ::log::LevelFilter::Debug,
        Level::Info => ::log::LevelFilter::Info,
        Level::Warn => ::log::LevelFilter::Warn,
        Level::Error | Level::Fatal => ::log::LevelFilter::Error,
    });
    true
}

/// Shared by the level macros.
#[doc(hidden)]
#[macro_export]
macro_rules! __rayo_log {
    ($level:expr, $($arg:tt)+) => {
        $crate::log::write($level, ::core::format_args!($($arg)+))
    };
}

/// Logs at TRACE: `rayo_runtime::trace!("x = {x}")`.
#[macro_export]
macro_rules! trace {
    ($($arg:tt)+) => { $crate::__rayo_log!($crate::log::Level::Trace, $($arg)+) };
}

/// Logs at DEBUG.
#[macro_export]
macro_rules! debug {
    ($($arg:tt)+) => { $crate::__rayo_log!($crate::log::Level::Debug, $($arg)+) };
}

/// Logs at INFO.
#[macro_export]
macro_rules! info {
    ($($arg:tt)+) => { $crate::__rayo_log!($crate::log::Level::Info, $($arg)+) };
}

/// Logs at WARN.
#[macro_export]
macro_rules! warn {
    ($($arg:tt)+) => { $crate::__rayo_log!($crate::log::Level::Warn, $($arg)+) };
}

/// Logs at ERROR.
#[macro_export]
macro_rules! error {
    ($($arg:tt)+) => { $crate::__rayo_log!($crate::log::Level::Error, $($arg)+) };
}

/// Logs at FATAL.
#[macro_export]
macro_rules! fatal {
    ($($arg:tt)+) => { $crate::__rayo_log!($crate::log::Level::Fatal, $($arg)+) };
}

#[cfg(test)]
mod tests {
    use super::*;

    const JSON: Settings = Settings {
        json: true,
        min_level: Level::Info,
    };
    const TEXT: Settings = Settings {
        json: false,
        min_level: Level::Info,
    };

    fn ts(ms: u64) -> String {
        let mut b = [0u8; 24];
        rfc3339_ms(ms, &mut b);
        String::from_utf8(b.to_vec()).unwrap()
    }

    /// Days since the epoch by counting, the slow obvious way: the reference.
    fn reference_date(mut days: u64) -> (u64, u64, u64) {
        let leap = |y: u64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let mut year = 1970;
        loop {
            let len = if leap(year) { 366 } else { 365 };
            if days < len {
                break;
            }
            days -= len;
            year += 1;
        }
        let months = [
            31,
            if leap(year) { 29 } else { 28 },
            31,
            30,
            31,
            30,
            31,
            31,
            30,
            31,
            30,
            31,
        ];
        let mut month = 0;
        while days >= months[month] {
            days -= months[month];
            month += 1;
        }
        (year, month as u64 + 1, days + 1)
    }

    #[test]
    fn timestamps_known_values() {
        assert_eq!(ts(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(ts(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(ts(1_709_251_199_999), "2024-02-29T23:59:59.999Z");
        assert_eq!(ts(1_795_502_960_123), "2026-11-24T06:49:20.123Z");
        assert_eq!(ts(4_107_542_400_000), "2100-03-01T00:00:00.000Z");
    }

    #[test]
    fn timestamps_match_a_day_by_day_count() {
        // Every day from 1970 to 2200, at a varying time of day.
        for day in 0..84_000u64 {
            let ms = day * 86_400_000 + (day * 7_919_993) % 86_400_000;
            let (y, m, d) = reference_date(day);
            let rem = ms % 86_400_000;
            let want = format!(
                "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
                rem / 3_600_000,
                rem / 60_000 % 60,
                rem / 1000 % 60,
                rem % 1000
            );
            assert_eq!(ts(ms), want, "day {day}");
        }
    }

    #[test]
    fn json_record_has_the_four_fields_and_escapes_the_message() {
        let line = format_record(
            &JSON,
            1_795_502_960_123,
            Level::Warn,
            "8476a536-e9f4",
            format_args!("quote \" backslash \\ newline\n tab\t nul\u{0} é {}", 7),
        );
        let text = String::from_utf8(line).unwrap();
        assert_eq!(
            text,
            "{\"timestamp\":\"2026-11-24T06:49:20.123Z\",\"level\":\"WARN\",\
             \"requestId\":\"8476a536-e9f4\",\
             \"message\":\"quote \\\" backslash \\\\ newline\\n tab\\t nul\\u0000 é 7\"}\n"
        );
        // A JSON parser agrees about every field.
        #[derive(miniserde::Deserialize)]
        struct Rec {
            timestamp: String,
            level: String,
            #[serde(rename = "requestId")]
            request_id: String,
            message: String,
        }
        let r: Rec = miniserde::json::from_str(text.trim_end()).unwrap();
        assert_eq!(r.timestamp, "2026-11-24T06:49:20.123Z");
        assert_eq!(r.level, "WARN");
        assert_eq!(r.request_id, "8476a536-e9f4");
        assert_eq!(
            r.message,
            "quote \" backslash \\ newline\n tab\t nul\u{0} é 7"
        );
    }

    #[test]
    fn json_record_outside_an_invocation_has_no_request_id() {
        let line = format_record(&JSON, 0, Level::Info, "", format_args!("init"));
        assert_eq!(
            line,
            b"{\"timestamp\":\"1970-01-01T00:00:00.000Z\",\"level\":\"INFO\",\"message\":\"init\"}\n"
        );
    }

    #[test]
    fn text_record_is_tab_separated_and_one_line() {
        let line = format_record(&TEXT, 0, Level::Error, "req-1", format_args!("a\nb"));
        assert_eq!(line, b"1970-01-01T00:00:00.000Z\treq-1\tERROR\ta\rb\n");
        let line = format_record(&TEXT, 0, Level::Info, "", format_args!("init"));
        assert_eq!(line, b"1970-01-01T00:00:00.000Z\t-\tINFO\tinit\n");
    }

    #[test]
    fn settings_from_the_environment_values() {
        let mut w = Vec::new();
        let s = Settings::from_values(Some("JSON"), Some("debug"), &mut w);
        assert_eq!(
            s,
            Settings {
                json: true,
                min_level: Level::Debug
            }
        );
        assert!(w.is_empty());
        assert_eq!(Settings::from_values(None, None, &mut w), TEXT);
        assert_eq!(Settings::from_values(Some("Text"), Some(""), &mut w), TEXT);
        assert!(w.is_empty());
        let s = Settings::from_values(Some("xml"), Some("LOUD"), &mut w);
        assert_eq!(s, TEXT);
        assert_eq!(w.len(), 2);
        assert!(w[0].contains("\"xml\""), "{w:?}");
        assert!(w[1].contains("\"LOUD\""), "{w:?}");
    }

    #[test]
    fn levels_order_and_parse() {
        assert!(Level::Trace < Level::Debug && Level::Error < Level::Fatal);
        for l in ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"] {
            assert_eq!(Level::parse(l).unwrap().as_str(), l);
        }
        assert_eq!(Level::parse("warning"), None);
    }
}
