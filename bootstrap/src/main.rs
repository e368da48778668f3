//! rayo's Lambda function: the kernels as a compute service. The request and response
//! formats are in bootstrap/README.md.

use runtime_api::{Context, Diagnostic};

fn main() -> Result<(), runtime_api::Error> {
    // One worker, or AWS_LAMBDA_MAX_CONCURRENCY of them on Lambda Managed Instances: the
    // compute service keeps no state between invocations, so it is shareable as it is.
    #[cfg(feature = "managed-instances")]
    return runtime_api::run_concurrent(handle);
    #[cfg(not(feature = "managed-instances"))]
    runtime_api::run(handle)
}

fn handle(event: &[u8], _ctx: &Context) -> Result<Vec<u8>, Diagnostic> {
    bootstrap::compute::handle(event).map_err(|e| Diagnostic::new(e.error_type(), e.to_string()))
}
