//! AWS mode end to end through the CLI against a scripted Lambda on 127.0.0.1 that, unlike
//! moto, answers Invoke with a log tail: the signed requests go out through deploy's client,
//! the base64 `x-amz-log-result` is decoded, the REPORT parsed, and the table and JSON made.
//! The fake reports `Init Duration` only on the first invoke after a configuration change,
//! as Lambda does, so the test also shows each run really forced a new environment.
use miniserde::json::{self, Object, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

#[derive(Default)]
struct State {
    env: Vec<(String, String)>,
    /// Set by a configuration update; the next invoke is a cold start.
    cold: bool,
    invokes: usize,
    updates: usize,
}

struct FakeLambda {
    port: u16,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for FakeLambda {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64(data: &[u8]) -> String {
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn config_json(st: &State) -> String {
    let mut vars = Object::new();
    for (k, v) in &st.env {
        vars.insert(k.clone(), Value::String(v.clone()));
    }
    let mut env = Object::new();
    env.insert("Variables".into(), Value::Object(vars));
    let mut o = Object::new();
    for (k, v) in [
        ("FunctionName", "f"),
        (
            "FunctionArn",
            "arn:aws:lambda:us-east-1:123456789012:function:f",
        ),
        ("Runtime", "provided.al2023"),
        ("State", "Active"),
        ("LastUpdateStatus", "Successful"),
    ] {
        o.insert(k.into(), Value::String(v.into()));
    }
    o.insert("CodeSize".into(), Value::Number(json::Number::U64(430_080)));
    o.insert("MemorySize".into(), Value::Number(json::Number::U64(128)));
    o.insert("Environment".into(), Value::Object(env));
    json::to_string(&Value::Object(o))
}

/// Answers one request; the status, extra headers and body.
fn handle(
    st: &Mutex<State>,
    method: &str,
    path: &str,
    body: &[u8],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut st = st.lock().unwrap();
    match (method, path) {
        ("GET", "/2015-03-31/functions/f/configuration") => {
            (200, vec![], config_json(&st).into_bytes())
        }
        ("PUT", "/2015-03-31/functions/f/configuration") => {
            let v: Value = json::from_str(std::str::from_utf8(body).unwrap()).unwrap();
            let Value::Object(o) = v else {
                panic!("not an object")
            };
            let Some(Value::Object(env)) = o.get("Environment") else {
                panic!("no Environment")
            };
            let Some(Value::Object(vars)) = env.get("Variables") else {
                panic!("no Variables")
            };
            st.env = vars
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => (k.clone(), s.clone()),
                    _ => panic!("non-string variable"),
                })
                .collect();
            st.cold = true;
            st.updates += 1;
            (200, vec![], config_json(&st).into_bytes())
        }
        ("POST", "/2015-03-31/functions/f/invocations") => {
            st.invokes += 1;
            let init = if std::mem::take(&mut st.cold) {
                format!("Init Duration: {}.50 ms\t", 10 + st.invokes)
            } else {
                String::new()
            };
            let tail = format!(
                "START RequestId: r{n} Version: $LATEST\nEND RequestId: r{n}\nREPORT RequestId: r{n}\tDuration: 1.25 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 12 MB\t{init}\n",
                n = st.invokes
            );
            let headers = vec![
                ("X-Amz-Log-Result".to_string(), base64(tail.as_bytes())),
                ("X-Amz-Executed-Version".to_string(), "$LATEST".to_string()),
            ];
            (200, headers, body.to_vec())
        }
        _ => (
            404,
            vec![],
            br#"{"Type":"User","Message":"not found"}"#.to_vec(),
        ),
    }
}

fn serve_conn(stream: TcpStream, st: &Mutex<State>, stop: &AtomicBool) {
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    let mut w = stream.try_clone().unwrap();
    let mut r = BufReader::new(stream);
    while !stop.load(Ordering::SeqCst) {
        let mut line = String::new();
        match r.read_line(&mut line) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                continue
            }
            Err(_) => return,
        }
        let mut parts = line.split_whitespace();
        let (method, target) = (
            parts.next().unwrap_or("").to_string(),
            parts.next().unwrap_or("").to_string(),
        );
        let path = target.split('?').next().unwrap_or("").to_string();
        let mut len = 0;
        loop {
            let mut h = String::new();
            if r.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    len = v.trim().parse().unwrap();
                }
            }
        }
        let mut body = vec![0; len];
        r.read_exact(&mut body).unwrap();
        let (status, headers, resp) = handle(st, &method, &path, &body);
        let mut head = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nX-Amzn-RequestId: fake-1\r\nContent-Length: {}\r\n",
            resp.len()
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        if w.write_all(head.as_bytes())
            .and_then(|_| w.write_all(&resp))
            .is_err()
        {
            return;
        }
    }
}

fn start() -> FakeLambda {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let state = Arc::new(Mutex::new(State {
        env: vec![("KEEP".into(), "me".into())],
        ..State::default()
    }));
    let stop = Arc::new(AtomicBool::new(false));
    let (st, sp) = (Arc::clone(&state), Arc::clone(&stop));
    let thread = std::thread::spawn(move || {
        let mut conns = Vec::new();
        while !sp.load(Ordering::SeqCst) {
            match listener.accept() {
                Ok((s, _)) => {
                    s.set_nonblocking(false).unwrap();
                    let (st, sp) = (Arc::clone(&st), Arc::clone(&sp));
                    conns.push(std::thread::spawn(move || serve_conn(s, &st, &sp)));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(5)),
            }
        }
        for c in conns {
            let _ = c.join();
        }
    });
    FakeLambda {
        port,
        state,
        stop,
        thread: Some(thread),
    }
}

#[test]
fn aws_mode_prints_the_table_from_report_lines() {
    let fake = start();
    let dir = std::env::temp_dir().join(format!("bench-aws-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let json_path = dir.join("aws.json");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bench-coldstart"))
        .args([
            "aws",
            "--function",
            "f",
            "--runs",
            "3",
            "--invokes",
            "2",
            "--region",
            "us-east-1",
        ])
        .args(["--endpoint-url", &format!("http://127.0.0.1:{}", fake.port)])
        .arg("--json")
        .arg(&json_path)
        .env_clear()
        .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        .env(
            "AWS_SECRET_ACCESS_KEY",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        )
        .env("HOME", "/nonexistent")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stderr: {stderr}\nstdout: {stdout}");
    {
        let st = fake.state.lock().unwrap();
        assert_eq!(st.updates, 3, "one forced cold start per run");
        assert_eq!(st.invokes, 9, "3 runs x (1 cold + 2 warm)");
        assert!(st.env.contains(&("KEEP".into(), "me".into())));
    }
    // Cold invokes were numbers 1, 4, 7: Init Duration 11.5, 14.5, 17.5 -> median 14.5.
    assert!(stdout.contains("| f | 420 KiB | 14.5 |"), "{stdout}");
    assert!(
        stdout.contains("| f | Init Duration (ms) | 14.5 | 16.9 | 11.5 | 17.5 | 3 | 1.00× |"),
        "{stdout}"
    );
    assert!(
        stdout.contains("| f | Max Memory Used | 12 MB |"),
        "{stdout}"
    );
    assert!(
        stdout.contains("| f | warm Duration p50 (ms) | 1.25 |"),
        "{stdout}"
    );
    assert!(!stderr.contains("warning"), "every run was cold: {stderr}");
    let doc = std::fs::read_to_string(&json_path).unwrap();
    assert!(
        doc.contains(r#""init_ms":11.5"#) && doc.contains(r#""warm_duration_ms":[1.25,1.25]"#),
        "{doc}"
    );
    assert!(doc.contains(r#""code_size_bytes":430080"#), "{doc}");
    std::fs::remove_dir_all(&dir).unwrap();
}
