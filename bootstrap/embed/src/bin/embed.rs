//! The embedding function: all-MiniLM-L6-v2 on Lambda. Init maps the weight file beside the
//! bootstrap (or in a layer under /opt), checks it and loads the vocabulary; a bad file is
//! an init error naming the file and the problem. The request and response formats are in
//! bootstrap/embed/README.md.

use std::cell::RefCell;
use std::time::Instant;

use rayo_embed::{Model, Verify, Weights, Workspace};
use rayo_runtime::{Context, Diagnostic, Runtime};

thread_local! {
    // One per worker thread: every worker shares the model and reuses its own buffers.
    static WORKSPACE: RefCell<Workspace> = RefCell::new(Workspace::default());
}

fn load() -> Result<&'static Model<'static>, rayo_embed::Error> {
    let t0 = Instant::now();
    let path = Weights::locate()?;
    // The mapping lives as long as the process: leaked once, shared by every worker.
    let verify = Verify::from_env()?;
    let weights: &'static Weights = Box::leak(Box::new(Weights::open(&path, verify)?));
    let model = Model::load(weights)?;
    let t = weights.times;
    let f16 = weights
        .header()
        .tensors
        .iter()
        .any(|t| t.dtype == rayo_embed::format::Dtype::F16);
    // Microseconds as integers: float formatting would add ~8 KB to the binary.
    let us = |d: std::time::Duration| d.as_micros();
    eprintln!(
        "rayo-embed: {} ({} layers, {} dims, {}) from {}, init {} us: map {} us, header {} us, \
         checksums {} us ({}), vocabulary {} us",
        model.config().model_id,
        model.config().layers,
        model.config().hidden,
        if f16 { "f16" } else { "f32" },
        weights.path(),
        us(t0.elapsed()),
        us(t.map),
        us(t.header),
        us(t.verify),
        if verify == Verify::Full {
            "all tensors"
        } else {
            "header only"
        },
        us(model.vocab_time),
    );
    Ok(Box::leak(Box::new(model)))
}

fn main() -> Result<(), rayo_runtime::Error> {
    let rt = Runtime::from_env()?;
    let model = match load() {
        Ok(m) => m,
        Err(e) => rt.fail_init(Diagnostic::new(e.error_type(), e.to_string())),
    };
    let handler = move |event: &[u8], _ctx: &Context| -> Result<Vec<u8>, Diagnostic> {
        WORKSPACE
            .with(|ws| model.handle(event, &mut ws.borrow_mut()))
            .map_err(|e| Diagnostic::new(e.error_type(), e.to_string()))
    };
    #[cfg(feature = "managed-instances")]
    return rt.run_concurrent(handler);
    #[cfg(not(feature = "managed-instances"))]
    rt.run(handler)
}
