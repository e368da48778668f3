//! The converter (host side, feature `convert`): a sentence-transformers BERT folder
//! (`model.safetensors`, `config.json`, `vocab.txt`, `sentence_bert_config.json`,
//! `1_Pooling/config.json`, `modules.json`) to rayo's weight file.
//!
//! What it does to the tensors: Q, K and V are stacked into one `[3·hidden, hidden]` matrix
//! (one gemm instead of three), matrices become f16 (default, round to nearest even) or stay
//! f32, vectors (biases, LayerNorm) stay f32, `vocab.txt` goes in as bytes. The pooler and
//! `position_ids` are left out (sentence-transformers does not use them).

use std::collections::BTreeMap;
use std::path::Path;

use miniserde::json::{Number, Value};

use crate::bert::names;
use crate::error::Error;
use crate::format::{self, Dtype, ModelConfig, TensorData};
use crate::half::{f16_to_f32, f32_to_f16};

/// How to store the matrices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    F16,
    F32,
}

#[derive(Clone, Debug)]
pub struct Options {
    pub precision: Precision,
    /// The name responses carry.
    pub model_id: String,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            precision: Precision::F16,
            model_id: "all-MiniLM-L6-v2".to_string(),
        }
    }
}

/// What a conversion did.
#[derive(Clone, Debug)]
pub struct Report {
    pub config: ModelConfig,
    pub tensors: usize,
    pub bytes: usize,
    /// The largest |f32 - f16| over all matrix elements (0 for f32).
    pub max_rounding_error: f32,
    /// Non-zero values that became zero in f16.
    pub flushed_to_zero: usize,
    /// safetensors tensors not used (pooler, position_ids, task heads).
    pub ignored: Vec<String>,
}

fn cerr(msg: impl Into<String>) -> Error {
    Error::Convert(msg.into())
}

/// One safetensors tensor, as f32.
struct StTensor {
    shape: Vec<usize>,
    data: Vec<f32>,
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(Number::U64(n)) => Some(*n as f64),
        Value::Number(Number::I64(n)) => Some(*n as f64),
        Value::Number(Number::F64(n)) => Some(*n),
        _ => None,
    }
}

fn whole(v: &Value) -> Option<usize> {
    match v {
        Value::Number(Number::U64(n)) => usize::try_from(*n).ok(),
        _ => None,
    }
}

/// Parses a safetensors file: an 8-byte little-endian header length, a JSON header naming
/// each tensor's dtype, shape and byte range, then the data. F32 and F16 tensors are read;
/// others only if unused.
fn read_safetensors(bytes: &[u8]) -> Result<BTreeMap<String, StTensor>, Error> {
    let n = bytes
        .get(..8)
        .map(|b| u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
        .ok_or_else(|| cerr("model.safetensors: shorter than its 8-byte header length"))?;
    let end = usize::try_from(n)
        .ok()
        .and_then(|n| n.checked_add(8))
        .filter(|&e| e <= bytes.len())
        .ok_or_else(|| {
            cerr(format!(
                "model.safetensors: header length {n} runs past the file ({} bytes)",
                bytes.len()
            ))
        })?;
    let text = std::str::from_utf8(&bytes[8..end])
        .map_err(|e| cerr(format!("model.safetensors: the header is not UTF-8: {e}")))?;
    let Ok(Value::Object(header)) = miniserde::json::from_str::<Value>(text) else {
        return Err(cerr("model.safetensors: the header is not a JSON object"));
    };
    let data = &bytes[end..];
    let mut out = BTreeMap::new();
    for (name, info) in header.iter() {
        if name == "__metadata__" {
            continue;
        }
        let bad = |what: &str| cerr(format!("model.safetensors: tensor {name:?}: {what}"));
        let Value::Object(info) = info else {
            return Err(bad("not an object"));
        };
        let dtype = match info.get("dtype") {
            Some(Value::String(s)) => s.as_str(),
            _ => return Err(bad("no dtype")),
        };
        let shape: Vec<usize> = match info.get("shape") {
            Some(Value::Array(a)) => a
                .iter()
                .map(whole)
                .collect::<Option<_>>()
                .ok_or_else(|| bad("bad shape"))?,
            _ => return Err(bad("no shape")),
        };
        let (start, stop) = match info.get("data_offsets") {
            Some(Value::Array(a)) if a.len() == 2 => match (whole(&a[0]), whole(&a[1])) {
                (Some(s), Some(e)) if s <= e && e <= data.len() => (s, e),
                _ => return Err(bad("data_offsets outside the file")),
            },
            _ => return Err(bad("no data_offsets")),
        };
        let numel: usize = shape.iter().product();
        let raw = &data[start..stop];
        let values = match dtype {
            "F32" if raw.len() == numel * 4 => raw
                .as_chunks::<4>()
                .0
                .iter()
                .map(|b| f32::from_le_bytes(*b))
                .collect(),
            "F16" if raw.len() == numel * 2 => raw
                .as_chunks::<2>()
                .0
                .iter()
                .map(|b| f16_to_f32(u16::from_le_bytes(*b)))
                .collect(),
            "F32" | "F16" => return Err(bad(&format!("{} bytes for shape {shape:?}", raw.len()))),
            _ => {
                // position_ids (I64) and the like: kept as unusable, reported if needed.
                out.insert(
                    name.clone(),
                    StTensor {
                        shape,
                        data: Vec::new(),
                    },
                );
                continue;
            }
        };
        out.insert(
            name.clone(),
            StTensor {
                shape,
                data: values,
            },
        );
    }
    Ok(out)
}

fn json_object(text: &str, what: &str) -> Result<BTreeMap<String, Value>, Error> {
    match miniserde::json::from_str::<Value>(text) {
        Ok(Value::Object(o)) => Ok(o.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
        _ => Err(cerr(format!("{what} is not a JSON object"))),
    }
}

fn config_usize(c: &BTreeMap<String, Value>, key: &str) -> Result<usize, Error> {
    c.get(key).and_then(whole).ok_or_else(|| {
        cerr(format!(
            "config.json: {key} is missing or not a whole number"
        ))
    })
}

fn config_str<'c>(c: &'c BTreeMap<String, Value>, key: &str) -> Option<&'c str> {
    match c.get(key) {
        Some(Value::String(s)) => Some(s),
        _ => None,
    }
}

/// The files of a sentence-transformers model folder, as text/bytes.
pub struct ModelFiles<'a> {
    pub safetensors: &'a [u8],
    pub config_json: &'a str,
    pub vocab_txt: &'a [u8],
    /// `sentence_bert_config.json` (max_seq_length); without it, max_position_embeddings.
    pub sentence_bert_config: Option<&'a str>,
    /// `1_Pooling/config.json`; without it, mean pooling is assumed.
    pub pooling_config: Option<&'a str>,
    /// `modules.json`; normalisation is on when it lists a Normalize module.
    pub modules: Option<&'a str>,
}

/// Reads the model's configuration and checks that it is a network this build runs.
fn model_config(files: &ModelFiles, opts: &Options) -> Result<ModelConfig, Error> {
    let c = json_object(files.config_json, "config.json")?;
    if let Some(t) = config_str(&c, "model_type") {
        if t != "bert" {
            return Err(cerr(format!(
                "config.json: model_type {t:?}, this converter handles \"bert\""
            )));
        }
    }
    match config_str(&c, "hidden_act") {
        Some("gelu") => {}
        other => {
            return Err(cerr(format!(
                "config.json: hidden_act {other:?}; the encoder implements \"gelu\" (exact, erf)"
            )))
        }
    }
    if let Some(p) = config_str(&c, "position_embedding_type") {
        if p != "absolute" {
            return Err(cerr(format!(
                "config.json: position_embedding_type {p:?}, expected \"absolute\""
            )));
        }
    }
    let eps = c
        .get("layer_norm_eps")
        .and_then(number)
        .ok_or_else(|| cerr("config.json: layer_norm_eps is missing"))?;
    let max_positions = config_usize(&c, "max_position_embeddings")?;
    let max_tokens = match files.sentence_bert_config {
        Some(text) => {
            let s = json_object(text, "sentence_bert_config.json")?;
            s.get("max_seq_length")
                .and_then(whole)
                .ok_or_else(|| cerr("sentence_bert_config.json: max_seq_length is missing"))?
        }
        None => max_positions,
    };
    if let Some(text) = files.pooling_config {
        let p = json_object(text, "1_Pooling/config.json")?;
        for (key, v) in &p {
            let on = matches!(v, Value::Bool(true));
            let want = key == "pooling_mode_mean_tokens";
            if key.starts_with("pooling_mode_") && on != want {
                return Err(cerr(format!(
                    "1_Pooling/config.json: {key} = {on}; the encoder implements mean pooling only"
                )));
            }
        }
    }
    let normalize = files
        .modules
        .is_some_and(|m| m.contains("sentence_transformers.models.Normalize"));
    Ok(ModelConfig {
        model_id: opts.model_id.clone(),
        layers: config_usize(&c, "num_hidden_layers")?,
        hidden: config_usize(&c, "hidden_size")?,
        heads: config_usize(&c, "num_attention_heads")?,
        ffn: config_usize(&c, "intermediate_size")?,
        vocab: config_usize(&c, "vocab_size")?,
        max_positions,
        type_vocab: config_usize(&c, "type_vocab_size")?,
        max_tokens,
        layer_norm_eps: eps as f32,
        normalize,
    })
}

/// Converts a model held in memory; returns the weight file's bytes.
pub fn convert(files: &ModelFiles, opts: &Options) -> Result<(Vec<u8>, Report), Error> {
    let config = model_config(files, opts)?;
    let mut st = read_safetensors(files.safetensors)?;
    // Checkpoints saved from a task model prefix the encoder with `bert.`.
    let keys: Vec<String> = st.keys().cloned().collect();
    for k in keys {
        if let Some(rest) = k.strip_prefix("bert.") {
            if let Some(t) = st.remove(&k) {
                st.insert(rest.to_string(), t);
            }
        }
    }
    let (h, f) = (config.hidden, config.ffn);
    let mut used = Vec::new();
    let mut take = |name: &str, shape: &[usize]| -> Result<Vec<f32>, Error> {
        let t = st
            .get(name)
            .ok_or_else(|| cerr(format!("model.safetensors: tensor {name:?} is missing")))?;
        if t.shape != shape || t.data.len() != shape.iter().product::<usize>() {
            return Err(cerr(format!(
                "model.safetensors: tensor {name:?} has shape {:?} (dtype readable: {}), config.json implies {shape:?}",
                t.shape,
                !t.data.is_empty()
            )));
        }
        used.push(name.to_string());
        Ok(t.data.clone())
    };
    let mut stats = (0f32, 0usize);
    let mut out: Vec<TensorData> = Vec::new();
    let vector = |name: &str, data: Vec<f32>| TensorData {
        name: name.to_string(),
        dtype: Dtype::F32,
        shape: vec![data.len()],
        data: data.iter().flat_map(|v| v.to_le_bytes()).collect(),
    };
    let mut matrix = |name: &str, rows: usize, data: Vec<f32>| -> Result<TensorData, Error> {
        let cols = data.len() / rows;
        let (dtype, bytes) = match opts.precision {
            Precision::F32 => (
                Dtype::F32,
                data.iter().flat_map(|v| v.to_le_bytes()).collect(),
            ),
            Precision::F16 => {
                let mut bytes = Vec::with_capacity(data.len() * 2);
                for (i, &v) in data.iter().enumerate() {
                    let hbits = f32_to_f16(v);
                    let back = f16_to_f32(hbits);
                    if !back.is_finite() && v.is_finite() {
                        return Err(cerr(format!(
                            "tensor {name:?}: element {i} = {v} is beyond f16's range (convert with --f32)"
                        )));
                    }
                    stats.0 = stats.0.max((back - v).abs());
                    stats.1 += usize::from(back == 0.0 && v != 0.0);
                    bytes.extend_from_slice(&hbits.to_le_bytes());
                }
                (Dtype::F16, bytes)
            }
        };
        Ok(TensorData {
            name: name.to_string(),
            dtype,
            shape: vec![rows, cols],
            data: bytes,
        })
    };

    out.push(TensorData {
        name: names::VOCAB.to_string(),
        dtype: Dtype::U8,
        shape: vec![files.vocab_txt.len()],
        data: files.vocab_txt.to_vec(),
    });
    out.push(vector(
        names::NORM_WEIGHT,
        take("embeddings.LayerNorm.weight", &[h])?,
    ));
    out.push(vector(
        names::NORM_BIAS,
        take("embeddings.LayerNorm.bias", &[h])?,
    ));
    let pos = take(
        "embeddings.position_embeddings.weight",
        &[config.max_positions, h],
    )?;
    out.push(matrix(names::POSITION, config.max_positions, pos)?);
    let typ = take(
        "embeddings.token_type_embeddings.weight",
        &[config.type_vocab, h],
    )?;
    out.push(matrix(names::TOKEN_TYPE, config.type_vocab, typ)?);
    for i in 0..config.layers {
        let hf = |s: &str| format!("encoder.layer.{i}.{s}");
        let ours = |p: usize| names::layer(i, names::LAYER[p]);
        let mut qkv_w = Vec::with_capacity(3 * h * h);
        let mut qkv_b = Vec::with_capacity(3 * h);
        for part in ["query", "key", "value"] {
            qkv_w.extend(take(
                &hf(&format!("attention.self.{part}.weight")),
                &[h, h],
            )?);
            qkv_b.extend(take(&hf(&format!("attention.self.{part}.bias")), &[h])?);
        }
        out.push(matrix(&ours(0), 3 * h, qkv_w)?);
        out.push(vector(&ours(1), qkv_b));
        out.push(matrix(
            &ours(2),
            h,
            take(&hf("attention.output.dense.weight"), &[h, h])?,
        )?);
        out.push(vector(
            &ours(3),
            take(&hf("attention.output.dense.bias"), &[h])?,
        ));
        out.push(vector(
            &ours(4),
            take(&hf("attention.output.LayerNorm.weight"), &[h])?,
        ));
        out.push(vector(
            &ours(5),
            take(&hf("attention.output.LayerNorm.bias"), &[h])?,
        ));
        out.push(matrix(
            &ours(6),
            f,
            take(&hf("intermediate.dense.weight"), &[f, h])?,
        )?);
        out.push(vector(
            &ours(7),
            take(&hf("intermediate.dense.bias"), &[f])?,
        ));
        out.push(matrix(
            &ours(8),
            h,
            take(&hf("output.dense.weight"), &[h, f])?,
        )?);
        out.push(vector(&ours(9), take(&hf("output.dense.bias"), &[h])?));
        out.push(vector(
            &ours(10),
            take(&hf("output.LayerNorm.weight"), &[h])?,
        ));
        out.push(vector(&ours(11), take(&hf("output.LayerNorm.bias"), &[h])?));
    }
    // Last: only a few of its rows are read per request.
    let word = take("embeddings.word_embeddings.weight", &[config.vocab, h])?;
    out.push(matrix(names::WORD, config.vocab, word)?);

    let ignored = st.keys().filter(|k| !used.contains(k)).cloned().collect();
    let bytes = format::write(&config, &out).map_err(cerr)?;
    let report = Report {
        config,
        tensors: out.len(),
        bytes: bytes.len(),
        max_rounding_error: stats.0,
        flushed_to_zero: stats.1,
        ignored,
    };
    Ok((bytes, report))
}

/// Converts the model folder `dir` and writes the weight file to `out` (through a temporary
/// file renamed into place, so a failed run never leaves a partial file under that name).
pub fn convert_dir(dir: &Path, out: &Path, opts: &Options) -> Result<Report, Error> {
    let read = |name: &str| {
        let p = dir.join(name);
        std::fs::read(&p).map_err(|source| Error::Io {
            path: p.display().to_string(),
            during: "reading",
            source,
        })
    };
    let optional = |name: &str| -> Result<Option<String>, Error> {
        let p = dir.join(name);
        match std::fs::read_to_string(&p) {
            Ok(s) => Ok(Some(s)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(Error::Io {
                path: p.display().to_string(),
                during: "reading",
                source,
            }),
        }
    };
    let safetensors = read("model.safetensors")?;
    let config_json =
        String::from_utf8(read("config.json")?).map_err(|_| cerr("config.json is not UTF-8"))?;
    let vocab_txt = read("vocab.txt")?;
    let sbert = optional("sentence_bert_config.json")?;
    let pooling = optional("1_Pooling/config.json")?;
    let modules = optional("modules.json")?;
    let files = ModelFiles {
        safetensors: &safetensors,
        config_json: &config_json,
        vocab_txt: &vocab_txt,
        sentence_bert_config: sbert.as_deref(),
        pooling_config: pooling.as_deref(),
        modules: modules.as_deref(),
    };
    let (bytes, report) = convert(&files, opts)?;
    let tmp = out.with_extension("tmp");
    let io = |during, source| Error::Io {
        path: tmp.display().to_string(),
        during,
        source,
    };
    std::fs::write(&tmp, &bytes).map_err(|e| io("writing", e))?;
    std::fs::rename(&tmp, out).map_err(|e| io("renaming into place", e))?;
    Ok(report)
}
