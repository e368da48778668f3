//! rayo-convert: a sentence-transformers BERT folder -> rayo's weight file.
//!
//! usage: rayo-convert MODEL_DIR OUT [--f32] [--model-id ID]
//! (MODEL_DIR as bootstrap/embed/fetch-model.sh prints it). Exit 0 ok, 1 conversion failed,
//! 2 usage error.

use std::path::PathBuf;
use std::process::ExitCode;

use rayo_embed::convert::{convert_dir, Options, Precision};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut positional = Vec::new();
    let mut opts = Options::default();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--f32" => opts.precision = Precision::F32,
            "--f16" => opts.precision = Precision::F16,
            "--model-id" => match args.next() {
                Some(id) => opts.model_id = id,
                None => return usage("--model-id needs a value"),
            },
            "-h" | "--help" => {
                println!("usage: rayo-convert MODEL_DIR OUT [--f32] [--model-id ID]");
                return ExitCode::SUCCESS;
            }
            s if s.starts_with('-') => return usage(&format!("unknown option {s:?}")),
            _ => positional.push(PathBuf::from(a)),
        }
    }
    let [dir, out] = positional.as_slice() else {
        return usage("expected MODEL_DIR and OUT");
    };
    match convert_dir(dir, out, &opts) {
        Ok(r) => {
            let c = &r.config;
            println!(
                "rayo-convert: {} -> {}: {} ({} layers, hidden {}, heads {}, ffn {}, vocab {}, \
                 {} positions, {} tokens max, normalize {}), {} tensors, {} bytes, {:?}; \
                 f16 rounding: max |error| {:e}, {} values flushed to zero; not used: {}",
                dir.display(),
                out.display(),
                c.model_id,
                c.layers,
                c.hidden,
                c.heads,
                c.ffn,
                c.vocab,
                c.max_positions,
                c.max_tokens,
                c.normalize,
                r.tensors,
                r.bytes,
                opts.precision,
                r.max_rounding_error,
                r.flushed_to_zero,
                if r.ignored.is_empty() {
                    "-".to_string()
                } else {
                    r.ignored.join(", ")
                }
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("rayo-convert: {e}");
            ExitCode::from(1)
        }
    }
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("rayo-convert: {msg}\nusage: rayo-convert MODEL_DIR OUT [--f32] [--model-id ID]");
    ExitCode::from(2)
}
