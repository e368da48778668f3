//! all-MiniLM-L6-v2 sentence embeddings on candle, as a Lambda function on the official
//! `lambda_runtime`: the Rust peer of rayo's embedding function in bench-coldstart/embed-peers.sh.
//!
//! Written the way candle's BERT example and lambda_runtime's README show, with two choices
//! made for a like-for-like comparison: one thread of compute (`#[tokio::main(flavor =
//! "current_thread")]`, and candle's gemm and rayon pool sized by `RAYON_NUM_THREADS`, which
//! the benchmark sets to 1), and sentence-transformers' pipeline (truncation at 256 tokens,
//! mean pooling over the attention mask, L2 normalisation).
//!
//! Request `{"inputs": ["sentence", ...]}`, response
//! `{"model": "all-MiniLM-L6-v2", "dims": 384, "embeddings": [[...], ...]}`: rayo's shape.
//! The model folder (config.json, tokenizer.json, model.safetensors) is `MODEL_DIR`, else
//! `LAMBDA_TASK_ROOT`, as the function would find its files in a deployment package.
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config, DTYPE};
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use tokenizers::{PaddingParams, Tokenizer, TruncationParams};

/// sentence-transformers' `max_seq_length` for this model (sentence_bert_config.json).
const MAX_TOKENS: usize = 256;

#[derive(Deserialize)]
struct Request {
    inputs: Vec<String>,
}

#[derive(Serialize)]
struct Response {
    model: &'static str,
    dims: usize,
    embeddings: Vec<Vec<f32>>,
}

struct Model {
    bert: BertModel,
    tokenizer: Tokenizer,
    dims: usize,
}

fn model_dir() -> Result<PathBuf, Error> {
    std::env::var_os("MODEL_DIR")
        .or_else(|| std::env::var_os("LAMBDA_TASK_ROOT"))
        .map(PathBuf::from)
        .ok_or_else(|| "neither MODEL_DIR nor LAMBDA_TASK_ROOT is set".into())
}

fn load() -> Result<Model, Error> {
    let dir = model_dir()?;
    let read = |name: &str| {
        std::fs::read(dir.join(name)).map_err(|e| format!("{}: {e}", dir.join(name).display()))
    };
    let config: Config = serde_json::from_slice(&read("config.json")?)?;
    let mut tokenizer = Tokenizer::from_bytes(read("tokenizer.json")?)?;
    tokenizer
        .with_truncation(Some(TruncationParams {
            max_length: MAX_TOKENS,
            ..Default::default()
        }))?
        .with_padding(Some(PaddingParams::default()));
    let weights = dir.join("model.safetensors");
    // SAFETY: the weight file is part of the deployment package and nothing writes to it
    // while it is mapped (candle's documented contract for this constructor).
    let vb = unsafe { VarBuilder::from_mmaped_safetensors(&[weights], DTYPE, &Device::Cpu)? };
    let bert = BertModel::load(vb, &config)?;
    Ok(Model {
        bert,
        tokenizer,
        dims: config.hidden_size,
    })
}

impl Model {
    fn embed(&self, inputs: Vec<String>) -> Result<Vec<Vec<f32>>, Error> {
        if inputs.is_empty() {
            return Err("inputs: an empty list".into());
        }
        let encodings = self.tokenizer.encode_batch(inputs, true)?;
        let (n, len) = (encodings.len(), encodings[0].get_ids().len());
        let flat = |f: fn(&tokenizers::Encoding) -> &[u32]| -> Vec<u32> {
            encodings.iter().flat_map(|e| f(e).iter().copied()).collect()
        };
        let ids = Tensor::from_vec(flat(|e| e.get_ids()), (n, len), &Device::Cpu)?;
        let types = Tensor::from_vec(flat(|e| e.get_type_ids()), (n, len), &Device::Cpu)?;
        let mask = Tensor::from_vec(flat(|e| e.get_attention_mask()), (n, len), &Device::Cpu)?;
        let hidden = self.bert.forward(&ids, &types, Some(&mask))?; // (n, len, dims)
        // Mean over the real tokens only, as sentence-transformers' Pooling(mean) does.
        let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?; // (n, len, 1)
        let summed = hidden.broadcast_mul(&mask)?.sum(1)?; // (n, dims)
        let counts = mask.sum(1)?.clamp(1e-9, f64::MAX)?; // (n, 1)
        let pooled = summed.broadcast_div(&counts)?;
        let norms = pooled.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12, f64::MAX)?;
        Ok(pooled.broadcast_div(&norms)?.to_vec2::<f32>()?)
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let model = load()?;
    let model = &model;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Request>| async move {
        let embeddings = model.embed(event.payload.inputs)?;
        Ok::<_, Error>(Response {
            model: "all-MiniLM-L6-v2",
            dims: model.dims,
            embeddings,
        })
    }))
    .await
}
