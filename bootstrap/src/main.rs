//! rayo's Lambda function: the kernels as a compute service. The request and response
//! formats are in bootstrap/README.md.
#![forbid(unsafe_code)]

use rayo_runtime::{Context, Diagnostic};

fn main() -> Result<(), rayo_runtime::Error> {
    // One worker, or AWS_LAMBDA_MAX_CONCURRENCY of them on Lambda Managed Instances: the
    // compute service keeps no state between invocations, so it is shareable as it is.
    #[cfg(feature = "managed-instances")]
    return rayo_runtime::run_concurrent(handle);
    #[cfg(not(feature = "managed-instances"))]
    rayo_runtime::run(handle)
}

fn handle(event: &[u8], _ctx: &Context) -> Result<Vec<u8>, Diagnostic> {
    rayo_bootstrap::compute::handle(event)
        .map_err(|e| Diagnostic::new(e.error_type(), e.to_string()))
}
