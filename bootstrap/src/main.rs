//! rayo's Lambda function. Until the compute API lands this serves events as the echo
//! function does.

use runtime_api::{Context, Diagnostic};

fn main() -> Result<(), runtime_api::Error> {
    runtime_api::run(
        |event: &[u8], _ctx: &Context| -> Result<Vec<u8>, Diagnostic> { Ok(event.to_vec()) },
    )
}
