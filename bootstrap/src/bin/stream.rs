//! The streaming echo function: answers each event through a `ResponseStream`, for the
//! streaming integration tests and for measuring what streaming costs in bytes (compare its
//! size with `echo`'s). A few events ask for particular streams:
//!
//! | event (exact bytes)        | answer                                                     |
//! |----------------------------|------------------------------------------------------------|
//! | `"rayo:stream-error"`      | `partial output`, flushed, then a `StreamError` (trailers)  |
//! | `"rayo:early-error"`       | an `EarlyError` before any byte (a plain `/error` post)     |
//! | `"rayo:panic"`             | `partial`, flushed, then a panic                            |
//! | `"rayo:url"`               | a Function URL response: status 201, a header, a cookie     |
//! | `"rayo:many"`              | 100,000 writes of 10 bytes (gathered into few chunks)       |
//! | `"rayo:slow"`              | `first`, flushed, 300 ms, `second`                          |
//! | anything else              | the event, in two flushed halves                            |
//!
//! Built with the `http-events` feature, an API Gateway v2 / Function URL request is answered
//! as a Function URL streamed response: status 200, its method and path, then its body.

use std::io::Write;
use std::time::Duration;

use rayo_runtime::{Context, Diagnostic, HttpResponseHead, ResponseStream};

fn main() -> Result<(), rayo_runtime::Error> {
    rayo_runtime::run_streaming(handle)
}

fn handle(event: &[u8], _ctx: &Context, out: &mut ResponseStream) -> Result<(), Diagnostic> {
    match event {
        b"\"rayo:stream-error\"" => {
            out.write_all(b"partial output")?;
            out.flush()?;
            Err(Diagnostic::new(
                "StreamError",
                "the stream broke after 14 bytes",
            ))
        }
        b"\"rayo:early-error\"" => Err(Diagnostic::new("EarlyError", "nothing was written")),
        b"\"rayo:panic\"" => {
            out.write_all(b"partial")?;
            out.flush()?;
            panic!("the stream function was asked to panic")
        }
        b"\"rayo:url\"" => {
            let head = HttpResponseHead::new(201)
                .header("content-type", "text/csv")
                .cookie("session=abc; Secure");
            out.start_http_response(&head)?;
            out.write_all(b"a,b\n1,2\n")?;
            Ok(())
        }
        b"\"rayo:many\"" => {
            for _ in 0..100_000 {
                out.write_all(b"0123456789")?;
            }
            Ok(())
        }
        b"\"rayo:slow\"" => {
            out.set_content_type("text/plain")?;
            out.write_all(b"first")?;
            out.flush()?;
            std::thread::sleep(Duration::from_millis(300));
            out.write_all(b"second")?;
            Ok(())
        }
        #[cfg(feature = "http-events")]
        _ if event.windows(16).any(|w| w == b"\"requestContext\"") => {
            rayo_runtime::stream_fn(http)(event, _ctx, out)
        }
        _ => {
            let (a, b) = event.split_at(event.len() / 2);
            out.write_all(a)?;
            out.flush()?;
            out.write_all(b)?;
            Ok(())
        }
    }
}

#[cfg(feature = "http-events")]
fn http(
    e: rayo_runtime::LambdaEvent<rayo_runtime::events::ApiGatewayV2httpRequest>,
    out: &mut ResponseStream,
) -> Result<(), Diagnostic> {
    let req = e.payload;
    let head = HttpResponseHead::new(200).header("content-type", "text/plain");
    out.start_http_response(&head)?;
    writeln!(out, "{} {}", req.method(), req.path())?;
    out.flush()?;
    out.write_all(&req.body_bytes()?)?;
    Ok(())
}
