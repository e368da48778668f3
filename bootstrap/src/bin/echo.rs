//! The echo function: answers each event with its own bytes. It is the baseline that
//! benchmarks compare the compute bootstrap with, and the function the runtime's
//! integration tests drive, so a few events ask it to misbehave on purpose:
//!
//! | event (exact bytes)  | answer                                                        |
//! |----------------------|---------------------------------------------------------------|
//! | `"rayo:panic"`       | panics (reported as `Runtime.Panic`)                          |
//! | `"rayo:error"`       | an `EchoError` invocation error                               |
//! | `"rayo:context"`     | the invocation's Context and `_X_AMZN_TRACE_ID`, as JSON      |
//! | `"rayo:sleep"`       | sleeps 500 ms, then answers the event (a handler still busy)  |
//! | anything else        | the event itself                                              |
//!
//! `RAYO_ECHO_FAIL_INIT=message` makes initialisation fail with `EchoInitError`. Like the
//! compute bootstrap, it serves with `run_concurrent` (feature `managed-instances`).

use rayo_runtime::{write_json_string, Context, Diagnostic, Runtime};

fn main() -> Result<(), rayo_runtime::Error> {
    let rt = Runtime::from_env()?;
    if let Some(message) = std::env::var_os("RAYO_ECHO_FAIL_INIT") {
        rt.fail_init(Diagnostic::new(
            "EchoInitError",
            message.to_string_lossy().into_owned(),
        ));
    }
    #[cfg(feature = "managed-instances")]
    return rt.run_concurrent(handle);
    #[cfg(not(feature = "managed-instances"))]
    rt.run(handle)
}

fn handle(event: &[u8], ctx: &Context) -> Result<Vec<u8>, Diagnostic> {
    match event {
        b"\"rayo:panic\"" => panic!("echo was asked to panic"),
        b"\"rayo:error\"" => Err(Diagnostic::new("EchoError", "echo was asked to fail")),
        b"\"rayo:context\"" => Ok(context_json(ctx)),
        b"\"rayo:sleep\"" => {
            std::thread::sleep(std::time::Duration::from_millis(500));
            Ok(event.to_vec())
        }
        _ => Ok(event.to_vec()),
    }
}

fn context_json(ctx: &Context) -> Vec<u8> {
    let trace_env = std::env::var("_X_AMZN_TRACE_ID").ok();
    let memory = ctx.env_config.memory_size_mb.map(|m| m.to_string());
    let deadline = ctx.deadline_ms.to_string();
    let fields: [(&str, Option<&str>); 13] = [
        ("request_id", Some(&ctx.request_id)),
        ("deadline_ms", Some(&deadline)),
        ("invoked_function_arn", Some(&ctx.invoked_function_arn)),
        ("xray_trace_id", ctx.xray_trace_id.as_deref()),
        ("client_context", ctx.client_context.as_deref()),
        ("identity", ctx.identity.as_deref()),
        ("tenant_id", ctx.tenant_id.as_deref()),
        ("function_name", Some(&ctx.env_config.function_name)),
        ("version", Some(&ctx.env_config.version)),
        ("memory_size_mb", memory.as_deref()),
        ("log_group", Some(&ctx.env_config.log_group)),
        ("log_stream", Some(&ctx.env_config.log_stream)),
        ("trace_env", trace_env.as_deref()),
    ];
    // Every value is a JSON string (or null), so a reader needs no schema.
    let mut out = Vec::with_capacity(512);
    for (i, (key, value)) in fields.iter().enumerate() {
        out.push(if i == 0 { b'{' } else { b',' });
        write_json_string(&mut out, key);
        out.push(b':');
        match value {
            Some(s) => write_json_string(&mut out, s),
            None => out.extend_from_slice(b"null"),
        }
    }
    out.push(b'}');
    out
}
