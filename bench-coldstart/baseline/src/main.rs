//! The cold-start floor (issue 2's reference): connect to the Runtime API, send one
//! `GET /next`, then wait. No parsing, no allocation beyond the request line: whatever a
//! real runtime costs on top of this is its own overhead. It never answers an event, so
//! bench-coldstart measures it with `--init-only`.
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Ok(api) = std::env::var("AWS_LAMBDA_RUNTIME_API") else {
        eprintln!("bench-baseline: AWS_LAMBDA_RUNTIME_API is not set");
        return ExitCode::FAILURE;
    };
    let mut stream = match TcpStream::connect(api.as_str()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("bench-baseline: connect {api:?}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let request =
        format!("GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: {api}\r\n\r\n");
    if let Err(e) = stream.write_all(request.as_bytes()) {
        eprintln!("bench-baseline: send GET /next: {e}");
        return ExitCode::FAILURE;
    }
    // Wait (until killed, or until the server closes) without doing anything else.
    let mut buf = [0u8; 512];
    while let Ok(n) = stream.read(&mut buf) {
        if n == 0 {
            break;
        }
    }
    ExitCode::SUCCESS
}
