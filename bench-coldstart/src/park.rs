//! What the bare baseline does, and what the spin probe (bench-coldstart/src/bin/spinprobe.rs,
//! which includes this file) does after its spin: connect to the Runtime API, send one
//! `GET /next`, then wait. No parsing, no allocation beyond the request line.
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;

/// Connects, asks for the next event and waits until killed or until the server closes;
/// errors are reported on stderr as `who: ...`.
pub(crate) fn get_next_and_wait(who: &str) -> ExitCode {
    let Ok(api) = std::env::var("AWS_LAMBDA_RUNTIME_API") else {
        eprintln!("{who}: AWS_LAMBDA_RUNTIME_API is not set");
        return ExitCode::FAILURE;
    };
    let mut stream = match TcpStream::connect(api.as_str()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{who}: connect {api:?}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let request =
        format!("GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: {api}\r\n\r\n");
    if let Err(e) = stream.write_all(request.as_bytes()) {
        eprintln!("{who}: send GET /next: {e}");
        return ExitCode::FAILURE;
    }
    // Wait without doing anything else.
    let mut buf = [0u8; 512];
    while let Ok(n) = stream.read(&mut buf) {
        if n == 0 {
            break;
        }
    }
    ExitCode::SUCCESS
}
