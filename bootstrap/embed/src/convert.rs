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
use crate::format::{self, Dtype, Layout, ModelConfig, TensorData};
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
        // A hostile header's shape may overflow: then it matches no byte length.
        let numel = shape
            .iter()
            .try_fold(1usize, |n, &d| n.checked_mul(d))
            .unwrap_or(usize::MAX);
        let raw = &data[start..stop];
        let values = match dtype {
            "F32" if Some(raw.len()) == numel.checked_mul(4) => raw
                .as_chunks::<4>()
                .0
                .iter()
                .map(|b| f32::from_le_bytes(*b))
                .collect(),
            "F16" if Some(raw.len()) == numel.checked_mul(2) => raw
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
        layout: Layout::RowMajor,
        shape: vec![data.len()],
        data: data.iter().flat_map(|v| v.to_le_bytes()).collect(),
    };
    // A table (embeddings, row-major) or, with `layout` Panels, a Linear weight stored as
    // the gemm kernels' packed panels.
    let mut matrix = |name: &str,
                      rows: usize,
                      data: Vec<f32>,
                      layout: Layout|
     -> Result<TensorData, Error> {
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
        let data = match layout {
            Layout::RowMajor => bytes,
            Layout::Panels => format::to_panels(&bytes, rows, cols, dtype.size()),
        };
        Ok(TensorData {
            name: name.to_string(),
            dtype,
            layout,
            shape: vec![rows, cols],
            data,
        })
    };

    out.push(TensorData {
        name: names::VOCAB.to_string(),
        dtype: Dtype::U8,
        layout: Layout::RowMajor,
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
    out.push(matrix(
        names::POSITION,
        config.max_positions,
        pos,
        Layout::RowMajor,
    )?);
    let typ = take(
        "embeddings.token_type_embeddings.weight",
        &[config.type_vocab, h],
    )?;
    out.push(matrix(
        names::TOKEN_TYPE,
        config.type_vocab,
        typ,
        Layout::RowMajor,
    )?);
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
        out.push(matrix(&ours(0), 3 * h, qkv_w, Layout::Panels)?);
        out.push(vector(&ours(1), qkv_b));
        out.push(matrix(
            &ours(2),
            h,
            take(&hf("attention.output.dense.weight"), &[h, h])?,
            Layout::Panels,
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
            Layout::Panels,
        )?);
        out.push(vector(
            &ours(7),
            take(&hf("intermediate.dense.bias"), &[f])?,
        ));
        out.push(matrix(
            &ours(8),
            h,
            take(&hf("output.dense.weight"), &[h, f])?,
            Layout::Panels,
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
    out.push(matrix(names::WORD, config.vocab, word, Layout::RowMajor)?);

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::read_header;

    /// A safetensors file of F32 tensors (HF names), written the way the format says: an
    /// 8-byte header length, the JSON header, the data.
    fn safetensors(tensors: &[(String, Vec<usize>, Vec<f32>)]) -> Vec<u8> {
        let mut header = String::from("{\"__metadata__\":{\"format\":\"pt\"}");
        let mut data = Vec::new();
        for (name, shape, values) in tensors {
            let start = data.len();
            data.extend(values.iter().flat_map(|v| v.to_le_bytes()));
            let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
            header += &format!(
                ",\"{name}\":{{\"dtype\":\"F32\",\"shape\":[{}],\"data_offsets\":[{start},{}]}}",
                dims.join(","),
                data.len()
            );
        }
        header += "}";
        let mut out = (header.len() as u64).to_le_bytes().to_vec();
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(&data);
        out
    }

    const H: usize = 4;
    const F: usize = 8;
    const VOCAB: &str = "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\n";

    /// A 1-layer BERT checkpoint in HF names; every value distinct (its index / 64).
    fn checkpoint() -> Vec<(String, Vec<usize>, Vec<f32>)> {
        let mut next = 0u32;
        let mut t = |name: &str, shape: Vec<usize>| {
            let n: usize = shape.iter().product();
            let v: Vec<f32> = (0..n)
                .map(|_| {
                    next += 1;
                    next as f32 / 64.0
                })
                .collect();
            (name.to_string(), shape, v)
        };
        let l = |s: &str| format!("encoder.layer.0.{s}");
        vec![
            t("embeddings.word_embeddings.weight", vec![5, H]),
            t("embeddings.position_embeddings.weight", vec![8, H]),
            t("embeddings.token_type_embeddings.weight", vec![2, H]),
            t("embeddings.LayerNorm.weight", vec![H]),
            t("embeddings.LayerNorm.bias", vec![H]),
            t(&l("attention.self.query.weight"), vec![H, H]),
            t(&l("attention.self.query.bias"), vec![H]),
            t(&l("attention.self.key.weight"), vec![H, H]),
            t(&l("attention.self.key.bias"), vec![H]),
            t(&l("attention.self.value.weight"), vec![H, H]),
            t(&l("attention.self.value.bias"), vec![H]),
            t(&l("attention.output.dense.weight"), vec![H, H]),
            t(&l("attention.output.dense.bias"), vec![H]),
            t(&l("attention.output.LayerNorm.weight"), vec![H]),
            t(&l("attention.output.LayerNorm.bias"), vec![H]),
            t(&l("intermediate.dense.weight"), vec![F, H]),
            t(&l("intermediate.dense.bias"), vec![F]),
            t(&l("output.dense.weight"), vec![H, F]),
            t(&l("output.dense.bias"), vec![H]),
            t(&l("output.LayerNorm.weight"), vec![H]),
            t(&l("output.LayerNorm.bias"), vec![H]),
            t("pooler.dense.weight", vec![H, H]),
        ]
    }

    const CONFIG: &str = r#"{"model_type":"bert","hidden_act":"gelu","hidden_size":4,
        "num_hidden_layers":1,"num_attention_heads":2,"intermediate_size":8,"vocab_size":5,
        "max_position_embeddings":8,"type_vocab_size":2,"layer_norm_eps":1e-12,
        "position_embedding_type":"absolute"}"#;

    fn run(
        st: &[u8],
        config: &str,
        pooling: Option<&str>,
        p: Precision,
    ) -> Result<Vec<u8>, String> {
        let files = ModelFiles {
            safetensors: st,
            config_json: config,
            vocab_txt: VOCAB.as_bytes(),
            sentence_bert_config: Some(r#"{"max_seq_length": 6, "do_lower_case": false}"#),
            pooling_config: pooling,
            modules: Some(r#"[{"type": "sentence_transformers.models.Normalize"}]"#),
        };
        let opts = Options {
            precision: p,
            ..Options::default()
        };
        convert(&files, &opts)
            .map(|(b, _)| b)
            .map_err(|e| e.to_string())
    }

    /// A tensor's values in row-major order (Linear weights are stored as panels).
    fn tensor_f32(file: &[u8], name: &str) -> Vec<f32> {
        let h = read_header(file).unwrap();
        let t = h.tensor(name).unwrap();
        let values = stored_f32(file, t);
        if t.layout == Layout::RowMajor {
            return values;
        }
        let (n, k) = (t.shape[0], t.shape[1]);
        let at = |j: usize, p: usize| values[(j / 16) * 16 * k + 16 * p + j % 16];
        // Rows past n in the last panel are zero.
        assert!((n..n.div_ceil(16) * 16).all(|j| (0..k).all(|p| at(j, p) == 0.0)));
        (0..n).flat_map(|j| (0..k).map(move |p| at(j, p))).collect()
    }

    fn stored_f32(file: &[u8], t: &format::TensorInfo) -> Vec<f32> {
        match t.dtype {
            Dtype::F32 => file[t.offset..t.offset + t.len]
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
            _ => file[t.offset..t.offset + t.len]
                .chunks_exact(2)
                .map(|b| f16_to_f32(u16::from_le_bytes([b[0], b[1]])))
                .collect(),
        }
    }

    #[test]
    fn converts_a_checkpoint_stacking_qkv_and_keeping_every_value() {
        let ck = checkpoint();
        let st = safetensors(&ck);
        let get = |n: &str| ck.iter().find(|t| t.0 == n).unwrap().2.clone();
        let l = |s: &str| format!("encoder.layer.0.{s}");
        for p in [Precision::F32, Precision::F16] {
            let file = run(&st, CONFIG, None, p).unwrap();
            let h = read_header(&file).unwrap();
            let c = &h.config;
            assert_eq!(
                (c.layers, c.hidden, c.heads, c.ffn, c.vocab),
                (1, H, 2, F, 5)
            );
            assert_eq!((c.max_positions, c.max_tokens, c.normalize), (8, 6, true));
            assert_eq!(c.model_id, "all-MiniLM-L6-v2");
            // Q, K and V stacked row-wise, then their biases.
            let mut want = get(&l("attention.self.query.weight"));
            want.extend(get(&l("attention.self.key.weight")));
            want.extend(get(&l("attention.self.value.weight")));
            let got = tensor_f32(&file, "layers.0.attention.qkv.weight");
            assert_eq!(
                h.tensor("layers.0.attention.qkv.weight").unwrap().shape,
                [3 * H, H]
            );
            // k/64 for k < 2048 is exact in f16 too.
            assert_eq!(got, want, "{p:?}");
            let mut want = get(&l("attention.self.query.bias"));
            want.extend(get(&l("attention.self.key.bias")));
            want.extend(get(&l("attention.self.value.bias")));
            assert_eq!(tensor_f32(&file, "layers.0.attention.qkv.bias"), want);
            assert_eq!(
                tensor_f32(&file, "layers.0.ffn.down.weight"),
                get(&l("output.dense.weight"))
            );
            assert_eq!(
                tensor_f32(&file, "embeddings.word"),
                get("embeddings.word_embeddings.weight")
            );
            let matrix_dtype = h.tensor("layers.0.ffn.up.weight").unwrap().dtype;
            let want_dtype = if p == Precision::F16 {
                Dtype::F16
            } else {
                Dtype::F32
            };
            assert_eq!(matrix_dtype, want_dtype);
            let layout = |n: &str| h.tensor(n).unwrap().layout;
            assert_eq!(layout("layers.0.ffn.up.weight"), Layout::Panels);
            assert_eq!(layout("layers.0.attention.qkv.weight"), Layout::Panels);
            assert_eq!(layout("embeddings.word"), Layout::RowMajor);
            assert_eq!(h.tensor("layers.0.ffn.up.bias").unwrap().dtype, Dtype::F32);
            let v = h.tensor("vocab.txt").unwrap();
            assert_eq!(&file[v.offset..v.offset + v.len], VOCAB.as_bytes());
            assert!(h.tensor("pooler.dense.weight").is_none());
            // What the encoder needs, nothing else: it loads (from a 64-byte aligned copy,
            // as a mapping is: the panels are read in place).
            let w = crate::Weights::from_bytes(&file, "converted", crate::Verify::Full).unwrap();
            crate::Model::load(&w).unwrap();
        }
        // The same input gives the same bytes.
        assert_eq!(
            run(&st, CONFIG, None, Precision::F16),
            run(&st, CONFIG, None, Precision::F16)
        );
    }

    #[test]
    fn refuses_what_it_cannot_convert_naming_the_file_and_the_value() {
        let ck = checkpoint();
        let st = safetensors(&ck);
        let err = |st: &[u8], config: &str, pooling: Option<&str>| {
            run(st, config, pooling, Precision::F16).unwrap_err()
        };
        let e = err(&st[..4], CONFIG, None);
        assert!(e.contains("shorter than its 8-byte header length"), "{e}");
        let e = err(&st[..200], CONFIG, None);
        assert!(e.contains("runs past the file"), "{e}");
        let e = err(&st[..st.len() - 4], CONFIG, None);
        assert!(e.contains("data_offsets outside the file"), "{e}");
        let missing: Vec<_> = ck
            .iter()
            .filter(|t| !t.0.contains("key.bias"))
            .cloned()
            .collect();
        let e = err(&safetensors(&missing), CONFIG, None);
        assert!(
            e.contains("tensor \"encoder.layer.0.attention.self.key.bias\" is missing"),
            "{e}"
        );
        let mut wrong = ck.clone();
        wrong[5].1 = vec![2, 8];
        let e = err(&safetensors(&wrong), CONFIG, None);
        assert!(
            e.contains("has shape [2, 8]") && e.contains("implies [4, 4]"),
            "{e}"
        );
        let e = err(&st, &CONFIG.replace("\"gelu\"", "\"relu\""), None);
        assert!(e.contains("hidden_act Some(\"relu\")"), "{e}");
        let e = err(&st, &CONFIG.replace("\"bert\"", "\"roberta\""), None);
        assert!(e.contains("model_type \"roberta\""), "{e}");
        let e = err(&st, "[1]", None);
        assert!(e.contains("config.json is not a JSON object"), "{e}");
        let cls = r#"{"pooling_mode_cls_token": true, "pooling_mode_mean_tokens": false}"#;
        let e = err(&st, CONFIG, Some(cls));
        assert!(e.contains("pooling_mode_cls_token = true"), "{e}");
        // Vectors (here the embedding LayerNorm's weight) stay f32: no range problem.
        let mut huge = ck.clone();
        huge[3].2[0] = 1e6;
        assert!(run(&safetensors(&huge), CONFIG, None, Precision::F16).is_ok());
        let mut huge = ck;
        huge[0].2[0] = 1e6;
        let e = err(&safetensors(&huge), CONFIG, None);
        assert!(e.contains("beyond f16's range (convert with --f32)"), "{e}");
        // A header whose shape overflows is an error, not a panic.
        let mut bad = st.clone();
        let text = String::from_utf8_lossy(&bad).into_owned();
        let at = text.find("[5,4]").unwrap();
        bad[at..at + 5].copy_from_slice(b"[9,9]");
        assert!(!err(&bad, CONFIG, None).is_empty());
    }
}
