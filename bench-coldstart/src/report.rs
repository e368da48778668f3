//! Parsing the `REPORT` line Lambda writes after every invocation.
//!
//! Two shapes exist: the text line (`REPORT RequestId: ...\tDuration: 1.52 ms\t...`, with
//! optional `Init Duration`, `Restore Duration`/`Billed Restore Duration` under SnapStart,
//! `Status`/`Error Type` on failures, and an `XRAY` line after it when tracing is on), and
//! the `platform.report` JSON record written when the function's log format is JSON.
use crate::error::{Error, Result};
use miniserde::json::{Number, Object, Value};

#[derive(Clone, Debug, Default, PartialEq)]
/// One REPORT line, parsed.
pub struct Report {
    /// `RequestId`.
    pub request_id: String,
    /// `Duration`.
    pub duration_ms: f64,
    /// `Billed Duration`.
    pub billed_duration_ms: f64,
    /// `Memory Size`.
    pub memory_size_mb: u64,
    /// `Max Memory Used`.
    pub max_memory_used_mb: u64,
    /// Present only on the first invocation of a cold execution environment.
    pub init_duration_ms: Option<f64>,
    /// SnapStart: restoring the snapshot replaces init.
    pub restore_duration_ms: Option<f64>,
    /// `Billed Restore Duration` (SnapStart).
    pub billed_restore_duration_ms: Option<f64>,
    /// `timeout`, `error`, ... (absent on success in the text form).
    pub status: Option<String>,
    /// `Error Type`, on failures.
    pub error_type: Option<String>,
}

/// Finds the last REPORT (text or JSON) in a decoded log tail and parses it.
/// `INIT_REPORT` lines are not REPORT lines and are skipped.
pub fn find_report(log_tail: &str) -> Result<Report> {
    for line in log_tail.lines().rev() {
        let t = line.trim_start();
        if t.starts_with("REPORT ") {
            return parse_report_line(t);
        }
        if t.starts_with('{') && t.contains("\"platform.report\"") {
            return parse_platform_report(t);
        }
    }
    Err(Error::NoReport {
        log_tail: log_tail.to_string(),
    })
}

fn bad(line: &str, what: impl Into<String>) -> Error {
    Error::Report {
        line: line.to_string(),
        what: what.into(),
    }
}

/// Parses one text REPORT line. Fields are `Key: value [unit]`, tab-separated on Lambda but
/// space-separated when copied from a console, so this walks words rather than tabs: words
/// accumulate into a key until one ends in `:`, then one value word follows, plus a unit
/// word if it is `ms` or `MB`.
pub fn parse_report_line(line: &str) -> Result<Report> {
    let rest = line
        .trim()
        .strip_prefix("REPORT")
        .ok_or_else(|| bad(line, "does not start with REPORT"))?;
    let mut words = rest.split_whitespace().peekable();
    let mut key = String::new();
    let mut r = Report::default();
    let (mut dur, mut billed, mut mem, mut maxmem) = (None, None, None, None);
    while let Some(w) = words.next() {
        let Some(k) = w.strip_suffix(':') else {
            if !key.is_empty() {
                key.push(' ');
            }
            key.push_str(w);
            continue;
        };
        if !key.is_empty() {
            key.push(' ');
        }
        key.push_str(k);
        let value = words
            .next()
            .ok_or_else(|| bad(line, format!("`{key}` has no value")))?;
        let unit = match words.peek() {
            Some(&u) if u == "ms" || u == "MB" => words.next(),
            _ => None,
        };
        let num = |expect: &str| -> Result<f64> {
            if unit != Some(expect) {
                return Err(bad(
                    line,
                    format!("`{key}` unit is {unit:?}, expected {expect}"),
                ));
            }
            match value.parse::<f64>() {
                Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
                _ => Err(bad(
                    line,
                    format!("`{key}` value {value:?} is not a number"),
                )),
            }
        };
        let mb = |expect: &str| -> Result<u64> {
            let x = num(expect)?;
            if x.fract() != 0.0 {
                return Err(bad(line, format!("`{key}` value {value:?} is not whole")));
            }
            Ok(x as u64)
        };
        match key.as_str() {
            "RequestId" => r.request_id = value.to_string(),
            "Duration" => dur = Some(num("ms")?),
            "Billed Duration" => billed = Some(num("ms")?),
            "Memory Size" => mem = Some(mb("MB")?),
            "Max Memory Used" => maxmem = Some(mb("MB")?),
            "Init Duration" => r.init_duration_ms = Some(num("ms")?),
            "Restore Duration" => r.restore_duration_ms = Some(num("ms")?),
            "Billed Restore Duration" => r.billed_restore_duration_ms = Some(num("ms")?),
            "Status" => r.status = Some(value.to_string()),
            "Error Type" => r.error_type = Some(value.to_string()),
            // Fields Lambda may add later (or XRAY ones on the same line) are not an error.
            _ => {}
        }
        key.clear();
    }
    if r.request_id.is_empty() {
        return Err(bad(line, "no RequestId"));
    }
    r.duration_ms = dur.ok_or_else(|| bad(line, "no Duration"))?;
    r.billed_duration_ms = billed.ok_or_else(|| bad(line, "no Billed Duration"))?;
    r.memory_size_mb = mem.ok_or_else(|| bad(line, "no Memory Size"))?;
    r.max_memory_used_mb = maxmem.ok_or_else(|| bad(line, "no Max Memory Used"))?;
    Ok(r)
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(Number::U64(n)) => Some(*n as f64),
        Value::Number(Number::I64(n)) => Some(*n as f64),
        Value::Number(Number::F64(n)) => Some(*n),
        _ => None,
    }
}

fn object<'a>(o: &'a Object, key: &str) -> Option<&'a Object> {
    match o.get(key) {
        Some(Value::Object(inner)) => Some(inner),
        _ => None,
    }
}

fn string(o: &Object, key: &str) -> Option<String> {
    match o.get(key) {
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    }
}

/// Parses a `{"type":"platform.report","record":{...}}` log record (JSON log format).
pub fn parse_platform_report(line: &str) -> Result<Report> {
    let v: Value = miniserde::json::from_str(line).map_err(|_| bad(line, "not valid JSON"))?;
    let Value::Object(top) = v else {
        return Err(bad(line, "not a JSON object"));
    };
    if string(&top, "type").as_deref() != Some("platform.report") {
        return Err(bad(line, "type is not platform.report"));
    }
    let record = object(&top, "record").ok_or_else(|| bad(line, "no record object"))?;
    let metrics = object(record, "metrics").ok_or_else(|| bad(line, "no record.metrics"))?;
    let metric = |k: &str| metrics.get(k).and_then(number);
    let need = |k: &str| metric(k).ok_or_else(|| bad(line, format!("no numeric metrics.{k}")));
    let status = string(record, "status");
    Ok(Report {
        request_id: string(record, "requestId").ok_or_else(|| bad(line, "no requestId"))?,
        duration_ms: need("durationMs")?,
        billed_duration_ms: need("billedDurationMs")?,
        memory_size_mb: need("memorySizeMB")? as u64,
        max_memory_used_mb: need("maxMemoryUsedMB")? as u64,
        init_duration_ms: metric("initDurationMs"),
        restore_duration_ms: metric("restoreDurationMs"),
        billed_restore_duration_ms: metric("billedRestoreDurationMs"),
        // The text form omits Status on success; keep the two forms alike.
        status: status.filter(|s| s != "success"),
        error_type: string(record, "errorType"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "8f507cfc-1cbc-4bb0-a0c4-a7e4e4f4c7f1";

    #[test]
    fn warm_report_without_init() {
        let line = format!(
            "REPORT RequestId: {ID}\tDuration: 1.52 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 18 MB\t"
        );
        let r = parse_report_line(&line).unwrap();
        assert_eq!(r.request_id, ID);
        assert_eq!(r.duration_ms, 1.52);
        assert_eq!(r.billed_duration_ms, 2.0);
        assert_eq!(r.memory_size_mb, 128);
        assert_eq!(r.max_memory_used_mb, 18);
        assert_eq!(r.init_duration_ms, None);
        assert_eq!(r.status, None);
    }

    #[test]
    fn cold_report_with_init_in_a_full_tail_with_xray() {
        let tail = format!(
            "START RequestId: {ID} Version: $LATEST\n\
             some function log line with REPORT inside it\n\
             END RequestId: {ID}\n\
             REPORT RequestId: {ID}\tDuration: 0.98 ms\tBilled Duration: 12 ms\tMemory Size: 128 MB\tMax Memory Used: 11 MB\tInit Duration: 10.95 ms\t\n\
             XRAY TraceId: 1-5e1b4151-43a0913a12345678901234\tSegmentId: 0d1e2f3a4b5c6d7e\tSampled: true\t\n"
        );
        let r = find_report(&tail).unwrap();
        assert_eq!(r.init_duration_ms, Some(10.95));
        assert_eq!(r.duration_ms, 0.98);
        assert_eq!(r.billed_duration_ms, 12.0);
        assert_eq!(r.max_memory_used_mb, 11);
    }

    #[test]
    fn xray_fields_on_the_same_line_are_ignored() {
        let line = format!(
            "REPORT RequestId: {ID} Duration: 3.10 ms Billed Duration: 4 ms Memory Size: 256 MB Max Memory Used: 30 MB Init Duration: 7.20 ms XRAY TraceId: 1-abc SegmentId: 123 Sampled: true"
        );
        let r = parse_report_line(&line).unwrap();
        assert_eq!(r.init_duration_ms, Some(7.2));
        assert_eq!(r.memory_size_mb, 256);
    }

    #[test]
    fn snapstart_restore_duration() {
        let line = format!(
            "REPORT RequestId: {ID}\tDuration: 20.52 ms\tBilled Duration: 213 ms\tMemory Size: 512 MB\tMax Memory Used: 130 MB\tRestore Duration: 192.55 ms\tBilled Restore Duration: 192 ms\t"
        );
        let r = parse_report_line(&line).unwrap();
        assert_eq!(r.restore_duration_ms, Some(192.55));
        assert_eq!(r.billed_restore_duration_ms, Some(192.0));
        assert_eq!(r.init_duration_ms, None);
    }

    #[test]
    fn timeout_and_error_type() {
        let t = format!(
            "REPORT RequestId: {ID}\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\tInit Duration: 120.31 ms\tStatus: timeout"
        );
        let r = parse_report_line(&t).unwrap();
        assert_eq!(r.status.as_deref(), Some("timeout"));
        assert_eq!(r.error_type, None);
        assert_eq!(r.duration_ms, 3000.0);
        let e = format!(
            "REPORT RequestId: {ID}\tDuration: 5.01 ms\tBilled Duration: 6 ms\tMemory Size: 128 MB\tMax Memory Used: 12 MB\tStatus: error\tError Type: Runtime.ExitError"
        );
        let r = parse_report_line(&e).unwrap();
        assert_eq!(r.status.as_deref(), Some("error"));
        assert_eq!(r.error_type.as_deref(), Some("Runtime.ExitError"));
    }

    #[test]
    fn init_report_is_not_a_report() {
        let tail = "INIT_REPORT Init Duration: 10000.22 ms\tPhase: init\tStatus: timeout\n";
        assert!(matches!(find_report(tail), Err(Error::NoReport { .. })));
        let msg = find_report("").unwrap_err().to_string();
        assert!(msg.contains("no REPORT line"), "{msg}");
    }

    #[test]
    fn json_platform_report() {
        let line = format!(
            r#"{{"time":"2026-11-24T05:00:00.000Z","type":"platform.report","record":{{"requestId":"{ID}","metrics":{{"durationMs":1.52,"billedDurationMs":2,"memorySizeMB":128,"maxMemoryUsedMB":18,"initDurationMs":10.95}},"status":"success"}}}}"#
        );
        let r = find_report(&format!("{{\"type\":\"platform.start\"}}\n{line}\n")).unwrap();
        assert_eq!(r.request_id, ID);
        assert_eq!(r.init_duration_ms, Some(10.95));
        assert_eq!(r.billed_duration_ms, 2.0);
        assert_eq!(r.status, None);
        let err = line.replace(
            r#""status":"success""#,
            r#""status":"error","errorType":"Runtime.ExitError""#,
        );
        let r = parse_platform_report(&err).unwrap();
        assert_eq!(r.status.as_deref(), Some("error"));
        assert_eq!(r.error_type.as_deref(), Some("Runtime.ExitError"));
    }

    #[test]
    fn malformed_lines_name_the_problem() {
        let cases = [
            ("REPORT RequestId: x\tDuration: abc ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 1 MB", "not a number"),
            ("REPORT RequestId: x\tDuration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 1 MB", "no Billed Duration"),
            ("REPORT RequestId: x\tDuration: 1 s\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 1 MB", "unit"),
            ("REPORT Duration: 1 ms", "no RequestId"),
            ("REPORT RequestId:", "has no value"),
            ("REPORT RequestId: x\tDuration: 1 ms\tBilled Duration: 1 ms\tMemory Size: 12.5 MB\tMax Memory Used: 1 MB", "not whole"),
            ("REPORT RequestId: x\tDuration: -1 ms\tBilled Duration: 1 ms\tMemory Size: 12 MB\tMax Memory Used: 1 MB", "not a number"),
        ];
        for (line, want) in cases {
            let msg = parse_report_line(line).unwrap_err().to_string();
            assert!(msg.contains(want), "{line:?} -> {msg}");
        }
        let msg = parse_platform_report(
            r#"{"type":"platform.report","record":{"requestId":"x","metrics":{}}}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(msg.contains("durationMs"), "{msg}");
        assert!(parse_platform_report("{not json").is_err());
    }
}
