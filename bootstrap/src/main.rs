//! rayo's Lambda function: the kernels as a compute service. The request and response
//! formats are in bootstrap/README.md.

use runtime_api::{Context, Diagnostic};

fn main() -> Result<(), runtime_api::Error> {
    runtime_api::run(|event: &[u8], _ctx: &Context| {
        bootstrap::compute::handle(event)
            .map_err(|e| Diagnostic::new(e.error_type(), e.to_string()))
    })
}
