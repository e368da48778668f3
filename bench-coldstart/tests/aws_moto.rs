//! AWS mode's control-plane calls against a moto server on loopback.
//!
//! moto does not run function code: with `use_docker: false` its Invoke echoes the payload
//! and sends no log tail. So this checks what can be checked there: forcing a cold start
//! (the environment update merges, lands and is waited for), the invoke round trip, and
//! that a missing REPORT is a clear error from the library and from the CLI, not a panic.
use rayo_bench::aws::{self, LambdaApi, COLD_VAR};
use rayo_bench::cli::AwsArgs;
use rayo_deploy::{CreateFunction, Credentials, IamClient, LambdaClient};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A moto_server child on 127.0.0.1, killed and reaped on drop.
struct Moto {
    child: Child,
    url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn raw_post(port: u16, path: &str, body: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect moto");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

fn start_moto() -> Moto {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = match Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => panic!(
            "cannot start moto_server ({e}): this test needs it on PATH; install it with \
             scripts/deps.sh test (into target/venv) and put target/venv/bin on PATH"
        ),
    };
    let mut moto = Moto {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        if let Ok(Some(status)) = moto.child.try_wait() {
            panic!("moto_server exited before listening: {status}");
        }
        assert!(
            Instant::now() < deadline,
            "moto_server did not listen on {port} within 60 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let answer = raw_post(
        port,
        "/moto-api/config",
        r#"{"lambda":{"use_docker":false}}"#,
    );
    assert!(
        answer.starts_with("HTTP/1.1 20") && answer.contains(r#""lambda": {"use_docker": false}"#),
        "moto did not take the config: {answer}"
    );
    moto
}

/// An empty but valid zip (just the end-of-central-directory record).
const EMPTY_ZIP: [u8; 22] = [
    0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];

fn creds() -> Credentials {
    Credentials::new("testing", "testing", None)
}

fn env_of(client: &LambdaClient, f: &str) -> Vec<(String, String)> {
    client
        .configuration(f)
        .expect("GetFunctionConfiguration")
        .environment
}

#[test]
fn cold_start_forcing_and_invoke_against_moto() {
    let moto = start_moto();
    let iam = IamClient::new(creds(), Some(&moto.url)).expect("IAM client");
    let role = iam
        .ensure_lambda_role("bench-coldstart-test")
        .expect("CreateRole on moto");
    let client = LambdaClient::new("us-east-1", creds(), Some(&moto.url)).expect("Lambda client");
    let f = "bench-coldstart-fn";
    let created = client
        .create_function(&CreateFunction {
            function_name: f,
            role: &role,
            zip: &EMPTY_ZIP,
            architecture: "x86_64",
            runtime: "provided.al2023",
            handler: "bootstrap",
            memory_size: Some(128),
            timeout: Some(3),
            environment: vec![("KEEP".into(), "me".into())],
            description: None,
            publish: false,
        })
        .expect("CreateFunction on moto");
    assert_eq!(created.function_name, f);

    // Two forced cold starts: the nonce is replaced, the function's own variable survives.
    for nonce in ["n-1", "n-2"] {
        aws::force_cold(&client, f, nonce, Duration::from_secs(30)).expect("force_cold");
        let env = env_of(&client, f);
        assert!(env.contains(&("KEEP".into(), "me".into())), "{env:?}");
        let cold: Vec<_> = env.iter().filter(|(k, _)| k == COLD_VAR).collect();
        assert_eq!(
            cold,
            [&(COLD_VAR.to_string(), nonce.to_string())],
            "{env:?}"
        );
    }

    // moto's Invoke echoes the payload and has no log tail.
    let out = client
        .invoke_tail(f, br#"{"ping":1}"#)
        .expect("Invoke on moto");
    assert_eq!(out.status, 200);
    assert_eq!(out.payload, br#"{"ping":1}"#);
    assert_eq!(out.log_result, None);

    let args = AwsArgs {
        functions: vec![f.into()],
        runs: 1,
        invokes: 0,
        event: b"{}".to_vec(),
        update_wait: Duration::from_secs(30),
        ..AwsArgs::default()
    };
    let err = aws::measure_once(&client, f, &args, 1, "n-3")
        .unwrap_err()
        .to_string();
    assert!(err.contains("no log tail"), "{err}");
    assert!(
        env_of(&client, f).contains(&(COLD_VAR.into(), "n-3".into())),
        "the run still forced a cold start first"
    );

    // A function that does not exist is named in the error.
    let err = aws::force_cold(&client, "no-such-fn", "x", Duration::from_secs(5))
        .unwrap_err()
        .to_string();
    assert!(err.contains("no-such-fn"), "{err}");

    // The CLI end to end: credentials and region from the environment, the same clear error.
    let out = Command::new(env!("CARGO_BIN_EXE_bench-coldstart"))
        .args([
            "aws",
            "--function",
            f,
            "--runs",
            "1",
            "--endpoint-url",
            &moto.url,
        ])
        .env_clear()
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("HOME", "/nonexistent")
        .output()
        .expect("run bench-coldstart");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "must fail without a REPORT line");
    assert!(
        stderr.contains("no log tail") && stderr.contains(f),
        "{stderr}"
    );
}
