//! What a handler is: the traits the runtime calls ([`Handler`], [`SharedHandler`] for
//! several workers, `StreamHandler` for streamed answers) and the adapters that turn a typed
//! function into one ([`service_fn`], [`shared_service_fn`], `stream_fn`).

#[cfg(feature = "streaming")]
use crate::ResponseStream;
use crate::{Context, Diagnostic};

/// An event handler: the event's bytes and its context in, the response's bytes out.
/// Every `FnMut(&[u8], &Context) -> Result<Vec<u8>, Diagnostic>` is one.
pub trait Handler {
    /// Handles one event: the response's bytes, or the error Lambda reports to the caller.
    fn call(&mut self, event: &[u8], ctx: &Context) -> Result<Vec<u8>, Diagnostic>;
}

impl<F> Handler for F
where
    F: FnMut(&[u8], &Context) -> Result<Vec<u8>, Diagnostic>,
{
    fn call(&mut self, event: &[u8], ctx: &Context) -> Result<Vec<u8>, Diagnostic> {
        self(event, ctx)
    }
}

/// A decoded event and its context, the argument of a [`service_fn`] handler.
#[derive(Clone, Debug)]
pub struct LambdaEvent<T> {
    /// The event, decoded from JSON.
    pub payload: T,
    /// The invocation's context.
    pub context: Context,
}

/// Wraps a typed handler: the event is decoded from JSON with miniserde (a bad event is
/// answered with an `InvalidEvent` error naming the type, where in the event the problem
/// is and what it is) and the result encoded back to JSON.
///
/// ```
/// use rayo_runtime::miniserde::{self, Deserialize, Serialize};
/// use rayo_runtime::{service_fn, Context, Diagnostic, Handler, LambdaEvent};
///
/// #[derive(Deserialize)]
/// struct Request { times: u32 }
/// #[derive(Serialize)]
/// struct Response { doubled: u32 }
///
/// let mut handler = service_fn(|e: LambdaEvent<Request>| {
///     Ok::<_, Diagnostic>(Response { doubled: 2 * e.payload.times })
/// });
/// let ctx = Context::for_test();
/// assert_eq!(handler.call(br#"{"times":2}"#, &ctx).unwrap(), br#"{"doubled":4}"#);
/// let bad = handler.call(br#"{"times":"two"}"#, &ctx).unwrap_err();
/// assert_eq!(bad.error_type, "InvalidEvent");
/// assert!(bad.error_message.ends_with(r#"at $.times: expected a whole number, got the string "two""#));
/// ```
pub fn service_fn<T, R, F>(mut f: F) -> impl FnMut(&[u8], &Context) -> Result<Vec<u8>, Diagnostic>
where
    T: miniserde::Deserialize,
    R: miniserde::Serialize,
    F: FnMut(LambdaEvent<T>) -> Result<R, Diagnostic>,
{
    move |event: &[u8], ctx: &Context| crate::typed::call_typed(&mut f, event, ctx)
}

/// A handler several workers can call at once: every
/// `Fn(&[u8], &Context) -> Result<Vec<u8>, Diagnostic> + Send + Sync + 'static` is one.
/// State shared across invocations needs its own synchronisation (an atomic, a `Mutex`,
/// a `OnceLock`), as in any multi-threaded Rust.
pub trait SharedHandler: Send + Sync + 'static {
    /// Handles one event; may be called from several workers at once.
    fn call(&self, event: &[u8], ctx: &Context) -> Result<Vec<u8>, Diagnostic>;
}

impl<F> SharedHandler for F
where
    F: Fn(&[u8], &Context) -> Result<Vec<u8>, Diagnostic> + Send + Sync + 'static,
{
    fn call(&self, event: &[u8], ctx: &Context) -> Result<Vec<u8>, Diagnostic> {
        self(event, ctx)
    }
}

/// [`service_fn`](crate::service_fn) for [`run_concurrent`]: a typed handler that several
/// workers share (`Fn` rather than `FnMut`).
///
/// ```no_run
/// use rayo_runtime::miniserde::{self, Deserialize, Serialize};
/// use rayo_runtime::{shared_service_fn, Diagnostic, LambdaEvent};
///
/// #[derive(Deserialize)]
/// struct Request { name: String }
/// #[derive(Serialize)]
/// struct Response { greeting: String }
///
/// fn main() -> Result<(), rayo_runtime::Error> {
///     rayo_runtime::run_concurrent(shared_service_fn(|e: LambdaEvent<Request>| {
///         Ok::<_, Diagnostic>(Response { greeting: format!("hello, {}", e.payload.name) })
///     }))
/// }
/// ```
pub fn shared_service_fn<T, R, F>(
    f: F,
) -> impl Fn(&[u8], &Context) -> Result<Vec<u8>, Diagnostic> + Send + Sync + 'static
where
    T: miniserde::Deserialize,
    R: miniserde::Serialize,
    F: Fn(LambdaEvent<T>) -> Result<R, Diagnostic> + Send + Sync + 'static,
{
    move |event: &[u8], ctx: &Context| crate::typed::call_typed(&f, event, ctx)
}

#[cfg(feature = "streaming")]
/// A streaming handler: the event and its context in, the answer written to `out`.
/// Every `FnMut(&[u8], &Context, &mut ResponseStream) -> Result<(), Diagnostic>` is one.
pub trait StreamHandler {
    /// Handles one event, writing the response to `out` as it goes.
    fn call(
        &mut self,
        event: &[u8],
        ctx: &Context,
        out: &mut ResponseStream,
    ) -> Result<(), Diagnostic>;
}

#[cfg(feature = "streaming")]
impl<F> StreamHandler for F
where
    F: FnMut(&[u8], &Context, &mut ResponseStream) -> Result<(), Diagnostic>,
{
    fn call(
        &mut self,
        event: &[u8],
        ctx: &Context,
        out: &mut ResponseStream,
    ) -> Result<(), Diagnostic> {
        self(event, ctx, out)
    }
}

#[cfg(feature = "streaming")]
/// Wraps a typed streaming handler: the event is decoded from JSON with miniserde (a bad
/// event is answered with an `InvalidEvent` error, before any byte is streamed), then the
/// handler writes its answer to the stream.
///
/// ```no_run
/// use std::io::Write;
/// use rayo_runtime::{stream_fn, Diagnostic, LambdaEvent, ResponseStream};
///
/// #[derive(miniserde::Deserialize)]
/// struct Request { lines: u32 }
///
/// fn count(e: LambdaEvent<Request>, out: &mut ResponseStream) -> Result<(), Diagnostic> {
///     for i in 0..e.payload.lines {
///         writeln!(out, "line {i}")?;
///     }
///     Ok(())
/// }
///
/// fn main() -> Result<(), rayo_runtime::Error> {
///     rayo_runtime::run_streaming(stream_fn(count))
/// }
/// ```
pub fn stream_fn<T, F, S>(
    mut f: F,
) -> impl FnMut(&[u8], &Context, &mut ResponseStream<S>) -> Result<(), Diagnostic>
where
    T: miniserde::Deserialize,
    F: FnMut(LambdaEvent<T>, &mut ResponseStream<S>) -> Result<(), Diagnostic>,
{
    move |event: &[u8], ctx: &Context, out: &mut ResponseStream<S>| {
        f(crate::typed::event(event, ctx)?, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(miniserde::Deserialize)]
    struct Req {
        name: String,
        times: u32,
    }

    #[derive(miniserde::Serialize)]
    struct Resp {
        greeting: String,
        request_id: String,
    }

    fn ctx() -> Context {
        Context::for_test().with_request_id("req-1")
    }

    fn typed() -> impl FnMut(&[u8], &Context) -> Result<Vec<u8>, Diagnostic> {
        service_fn(|e: LambdaEvent<Req>| {
            if e.payload.times == 0 {
                return Err(Diagnostic::new("ZeroTimes", "times must be at least 1"));
            }
            Ok(Resp {
                greeting: e.payload.name.repeat(e.payload.times as usize),
                request_id: e.context.request_id,
            })
        })
    }

    #[test]
    fn service_fn_decodes_calls_and_encodes() {
        let mut h = typed();
        let out = h.call(br#"{"name":"ab","times":2}"#, &ctx()).unwrap();
        assert_eq!(out, br#"{"greeting":"abab","request_id":"req-1"}"#);
    }

    #[test]
    fn service_fn_reports_bad_events_and_handler_errors() {
        let mut h = typed();
        let e = h.call(br#"{"name":"ab"}"#, &ctx()).unwrap_err();
        assert_eq!(e.error_type, "InvalidEvent");
        let e = h.call(b"\xff\xfe", &ctx()).unwrap_err();
        assert_eq!(e.error_type, "InvalidEvent");
        assert!(e.error_message.contains("not UTF-8"), "{e}");
        let e = h.call(br#"{"name":"ab","times":0}"#, &ctx()).unwrap_err();
        assert_eq!(e, Diagnostic::new("ZeroTimes", "times must be at least 1"));
    }
}

#[cfg(test)]
mod shared_tests {
    use super::*;

    #[derive(miniserde::Deserialize)]
    struct Req {
        n: u32,
    }

    #[derive(miniserde::Serialize)]
    struct Resp {
        double: u32,
        id: String,
    }

    #[test]
    fn shared_service_fn_is_callable_from_several_threads_at_once() {
        let h = shared_service_fn(|e: LambdaEvent<Req>| {
            if e.payload.n == 0 {
                return Err(Diagnostic::new("Zero", "n must not be 0"));
            }
            Ok(Resp {
                double: e.payload.n * 2,
                id: e.context.request_id,
            })
        });
        std::thread::scope(|s| {
            for i in 1..=4u32 {
                let h = &h;
                s.spawn(move || {
                    let ctx = Context::for_test().with_request_id(format!("r{i}"));
                    let out = SharedHandler::call(h, format!("{{\"n\":{i}}}").as_bytes(), &ctx);
                    let want = format!("{{\"double\":{},\"id\":\"r{i}\"}}", i * 2);
                    assert_eq!(out.unwrap(), want.as_bytes());
                });
            }
        });
        let ctx = Context::for_test().with_request_id("r0");
        assert_eq!(
            SharedHandler::call(&h, b"{\"n\":0}", &ctx)
                .unwrap_err()
                .error_type,
            "Zero"
        );
        let bad = SharedHandler::call(&h, b"{}", &ctx).unwrap_err();
        assert_eq!(bad.error_type, "InvalidEvent");
    }
}
