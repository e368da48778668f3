//! The BERT encoder over the weights in place: embeddings, `layers` post-LayerNorm
//! transformer blocks, mean pooling, optional L2 normalisation.
//!
//! A batch is every sentence's tokens concatenated, no padding: each linear layer is one
//! gemm over all the tokens of a chunk, attention runs within each sentence. Chunks hold at
//! most [`CHUNK_TOKENS`] tokens, which bounds the scratch memory whatever the request.

use std::time::{Duration, Instant};

use crate::error::Error;
use crate::format::{Dtype, Header, Layout, ModelConfig, TensorInfo};
use crate::mmap::{as_f32s, as_u16s};
use crate::ops::{self, Linear, Mat, OpScratch};
use rayo_kernels::{PackedB, Rhs};

/// Tokens per forward pass: ~15 KB of scratch per token at all-MiniLM-L6-v2's sizes, so
/// ~15 MiB at most; far past the size where gemm stops getting faster with more rows.
pub const CHUNK_TOKENS: usize = 1024;

/// The names of the tensors a v1 BERT file holds (README, "Tensors").
pub mod names {
    pub const VOCAB: &str = "vocab.txt";
    pub const WORD: &str = "embeddings.word";
    pub const POSITION: &str = "embeddings.position";
    pub const TOKEN_TYPE: &str = "embeddings.token_type";
    pub const NORM_WEIGHT: &str = "embeddings.norm.weight";
    pub const NORM_BIAS: &str = "embeddings.norm.bias";
    /// The per-layer tensors, after `layers.{i}.`.
    pub const LAYER: [&str; 12] = [
        "attention.qkv.weight",
        "attention.qkv.bias",
        "attention.out.weight",
        "attention.out.bias",
        "attention.norm.weight",
        "attention.norm.bias",
        "ffn.up.weight",
        "ffn.up.bias",
        "ffn.down.weight",
        "ffn.down.bias",
        "ffn.norm.weight",
        "ffn.norm.bias",
    ];

    pub fn layer(i: usize, part: &str) -> String {
        format!("layers.{i}.{part}")
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Norm<'a> {
    pub gamma: &'a [f32],
    pub beta: &'a [f32],
}

#[derive(Clone, Copy, Debug)]
pub struct Layer<'a> {
    pub qkv: Linear<'a>,
    pub out: Linear<'a>,
    pub norm1: Norm<'a>,
    pub up: Linear<'a>,
    pub down: Linear<'a>,
    pub norm2: Norm<'a>,
}

/// The encoder: views into the weight file, checked against its configuration.
pub struct Bert<'a> {
    pub config: ModelConfig,
    word: Mat<'a>,
    position: Mat<'a>,
    token_type: Mat<'a>,
    norm: Norm<'a>,
    layers: Vec<Layer<'a>>,
}

/// Where a forward pass spends its time (the per-stage profile).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Embedding lookup (word + position + type) and its LayerNorm.
    Embed,
    /// The fused Q/K/V projection (tokens x 3·hidden x hidden).
    Qkv,
    /// Q·Kᵀ, softmax, ·V per sentence and head.
    Attention,
    /// Attention output projection (hidden x hidden).
    AttnOut,
    /// Residual add and LayerNorm after attention.
    Norm1,
    /// FFN up-projection (ffn x hidden).
    Up,
    /// Exact GELU over tokens x ffn.
    Gelu,
    /// FFN down-projection (hidden x ffn).
    Down,
    /// Residual add and LayerNorm after the FFN.
    Norm2,
    /// Mean pooling and L2 normalisation.
    Pool,
}

impl Stage {
    pub const ALL: [Stage; 10] = [
        Stage::Embed,
        Stage::Qkv,
        Stage::Attention,
        Stage::AttnOut,
        Stage::Norm1,
        Stage::Up,
        Stage::Gelu,
        Stage::Down,
        Stage::Norm2,
        Stage::Pool,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Stage::Embed => "embed+norm",
            Stage::Qkv => "qkv gemm",
            Stage::Attention => "attention",
            Stage::AttnOut => "attn-out gemm",
            Stage::Norm1 => "add+norm 1",
            Stage::Up => "ffn-up gemm",
            Stage::Gelu => "gelu",
            Stage::Down => "ffn-down gemm",
            Stage::Norm2 => "add+norm 2",
            Stage::Pool => "pool+normalize",
        }
    }
}

/// Accumulated time and floating-point operations per [`Stage`].
#[derive(Clone, Debug, Default)]
pub struct Profile {
    pub time: [Duration; 10],
    pub flops: [f64; 10],
}

impl Profile {
    fn add(&mut self, s: Stage, since: Instant, flops: f64) -> Instant {
        let now = Instant::now();
        let i = Stage::ALL.iter().position(|&x| x == s).unwrap_or(0);
        self.time[i] += now - since;
        self.flops[i] += flops;
        now
    }
}

/// A stopwatch that does nothing without a profile (no clock reads in the function).
struct Clock<'p> {
    profile: Option<&'p mut Profile>,
    last: Option<Instant>,
}

impl Clock<'_> {
    fn lap(&mut self, s: Stage, flops: f64) {
        if let (Some(p), Some(t)) = (self.profile.as_deref_mut(), self.last) {
            self.last = Some(p.add(s, t, flops));
        }
    }
}

/// Buffers a forward pass needs, grown to the largest chunk seen and then reused: after the
/// first request of a given size, a forward pass allocates nothing.
#[derive(Default)]
pub struct Scratch {
    x: Vec<f32>,
    qkv: Vec<f32>,
    ctx: Vec<f32>,
    tmp: Vec<f32>,
    ffn: Vec<f32>,
    act: Vec<f32>,
    ops: OpScratch,
}

fn grow(v: &mut Vec<f32>, n: usize) -> &mut [f32] {
    if v.len() < n {
        v.resize(n, 0.0);
    }
    &mut v[..n]
}

fn tensor<'a>(h: &'a Header, name: &str) -> Result<&'a TensorInfo, String> {
    h.tensor(name)
        .ok_or_else(|| format!("tensor {name:?} is missing"))
}

fn check_shape(t: &TensorInfo, want: &[usize]) -> Result<(), String> {
    if t.shape != want {
        return Err(format!(
            "tensor {:?} has shape {:?}, the configuration needs {want:?}",
            t.name, t.shape
        ));
    }
    Ok(())
}

fn vector<'a>(h: &Header, file: &'a [u8], name: &str, len: usize) -> Result<&'a [f32], String> {
    let t = tensor(h, name)?;
    check_shape(t, &[len])?;
    if t.dtype != Dtype::F32 {
        return Err(format!(
            "tensor {name:?} is {}; vectors (biases, norms) are f32",
            t.dtype.name()
        ));
    }
    as_f32s(&file[t.offset..t.offset + t.len])
        .ok_or_else(|| format!("tensor {name:?} is not 4-byte aligned in memory"))
}

/// A `rows x cols` f32 or f16 matrix of `h`: its info and bytes in `file`.
fn matrix_bytes<'a, 'h>(
    h: &'h Header,
    file: &'a [u8],
    name: &str,
    rows: usize,
    cols: usize,
) -> Result<(&'h TensorInfo, &'a [u8]), String> {
    let t = tensor(h, name)?;
    check_shape(t, &[rows, cols])?;
    if t.dtype == Dtype::U8 {
        return Err(format!("tensor {name:?} is u8; matrices are f32 or f16"));
    }
    Ok((t, &file[t.offset..t.offset + t.len]))
}

fn unaligned(name: &str) -> String {
    format!("tensor {name:?} is not aligned in memory")
}

/// An embedding table: row-major, rows looked up one by one.
fn table<'a>(
    h: &Header,
    file: &'a [u8],
    name: &str,
    rows: usize,
    cols: usize,
) -> Result<Mat<'a>, String> {
    let (t, bytes) = matrix_bytes(h, file, name, rows, cols)?;
    if t.layout != Layout::RowMajor {
        return Err(format!(
            "tensor {name:?} is in layout {}; embedding tables are rowmajor",
            t.layout.name()
        ));
    }
    match t.dtype {
        Dtype::F32 => as_f32s(bytes).map(Mat::F32),
        _ => as_u16s(bytes).map(Mat::F16),
    }
    .ok_or_else(|| unaligned(name))
}

/// A Linear weight `n x k` as the gemm's B operand: row-major (`out x in`, transposed by
/// each product as it goes) or the kernels' packed panels, read in place.
fn weight<'a>(
    h: &Header,
    file: &'a [u8],
    name: &str,
    n: usize,
    k: usize,
) -> Result<Rhs<'a>, String> {
    let (t, bytes) = matrix_bytes(h, file, name, n, k)?;
    let nk = rayo_kernels::Layout::NxK;
    match (t.layout, t.dtype) {
        (Layout::RowMajor, Dtype::F32) => as_f32s(bytes)
            .map(|w| Rhs::F32(rayo_kernels::Mat::new(w, n, k), nk))
            .ok_or_else(|| unaligned(name)),
        (Layout::RowMajor, _) => as_u16s(bytes)
            .map(|w| Rhs::F16(rayo_kernels::Mat::new(w, n, k), nk))
            .ok_or_else(|| unaligned(name)),
        (Layout::Panels, dtype) => {
            let packed = if dtype == Dtype::F32 {
                PackedB::from_bytes::<f32>(bytes, k, n)
            } else {
                PackedB::from_bytes::<u16>(bytes, k, n)
            };
            packed
                .map(Rhs::Packed)
                .map_err(|e| format!("tensor {name:?}: {e}"))
        }
    }
}

impl<'a> Bert<'a> {
    /// Builds the encoder's views from a parsed header and the file's bytes (the range of
    /// every tensor in `h` already checked against `file`). Every tensor the network needs
    /// must be there with the configuration's shape, and nothing else but the vocabulary.
    pub fn new(h: &Header, file: &'a [u8]) -> Result<Bert<'a>, String> {
        let c = &h.config;
        let (hd, f) = (c.hidden, c.ffn);
        let linear =
            |name: String, n: usize, k: usize, bias: String| -> Result<Linear<'a>, String> {
                Ok(Linear {
                    w: weight(h, file, &name, n, k)?,
                    b: vector(h, file, &bias, n)?,
                    n,
                    k,
                })
            };
        let norm = |w: &str, b: &str| -> Result<Norm<'a>, String> {
            Ok(Norm {
                gamma: vector(h, file, w, hd)?,
                beta: vector(h, file, b, hd)?,
            })
        };
        let mut layers = Vec::with_capacity(c.layers);
        for i in 0..c.layers {
            let n = |p: usize| names::layer(i, names::LAYER[p]);
            layers.push(Layer {
                qkv: linear(n(0), 3 * hd, hd, n(1))?,
                out: linear(n(2), hd, hd, n(3))?,
                norm1: norm(&n(4), &n(5))?,
                up: linear(n(6), f, hd, n(7))?,
                down: linear(n(8), hd, f, n(9))?,
                norm2: norm(&n(10), &n(11))?,
            });
        }
        let expected = 6 + 12 * c.layers;
        if h.tensors.len() != expected {
            // Every needed tensor was found, so the others are extra.
            let extra = h
                .tensors
                .iter()
                .find(|t| !is_known(&t.name, c.layers))
                .map_or(String::new(), |t| {
                    format!(" ({:?} is not part of it)", t.name)
                });
            return Err(format!(
                "{} tensors, a {}-layer BERT has {expected}{extra}",
                h.tensors.len(),
                c.layers
            ));
        }
        let vocab = tensor(h, names::VOCAB)?;
        if vocab.dtype != Dtype::U8 || vocab.shape.len() != 1 {
            return Err(format!(
                "tensor {:?} must be a 1-dimensional u8 tensor (the vocab.txt bytes)",
                names::VOCAB
            ));
        }
        Ok(Bert {
            word: table(h, file, names::WORD, c.vocab, hd)?,
            position: table(h, file, names::POSITION, c.max_positions, hd)?,
            token_type: table(h, file, names::TOKEN_TYPE, c.type_vocab, hd)?,
            norm: norm(names::NORM_WEIGHT, names::NORM_BIAS)?,
            layers,
            config: c.clone(),
        })
    }

    /// The floating-point operations of one forward pass over sentences of these lengths
    /// (multiply-adds count two; the softmax, GELU and norms, a few per element, are
    /// left out: under 1% of the total).
    pub fn flops(&self, lens: &[usize]) -> f64 {
        let c = &self.config;
        let (h, f) = (c.hidden as f64, c.ffn as f64);
        let t: f64 = lens.iter().map(|&l| l as f64).sum();
        let attn: f64 = lens.iter().map(|&l| 4.0 * (l * l) as f64 * h).sum();
        c.layers as f64 * (2.0 * t * (3.0 * h * h + h * h + 2.0 * h * f) + attn)
    }

    /// Embeds sentences given as token ids: `ids` is every sentence's ids concatenated,
    /// `lens` their lengths (each 1 to `max_tokens`, ids below `vocab`). Writes one row of
    /// `hidden` per sentence to `out` (resized to `lens.len() * hidden`).
    pub fn embed_ids(
        &self,
        ids: &[u32],
        lens: &[usize],
        normalize: bool,
        scratch: &mut Scratch,
        out: &mut Vec<f32>,
        profile: Option<&mut Profile>,
    ) -> Result<(), Error> {
        let c = &self.config;
        let total: usize = lens.iter().sum();
        if total != ids.len() {
            return Err(Error::Input(format!(
                "the sentence lengths add up to {total}, but {} ids were given",
                ids.len()
            )));
        }
        if let Some((i, &l)) = lens
            .iter()
            .enumerate()
            .find(|&(_, &l)| l == 0 || l > c.max_tokens)
        {
            return Err(Error::Input(format!(
                "sentence {i} has {l} tokens, expected 1 to {}",
                c.max_tokens
            )));
        }
        if let Some((i, &id)) = ids
            .iter()
            .enumerate()
            .find(|&(_, &id)| id as usize >= c.vocab)
        {
            return Err(Error::Input(format!(
                "token id {id} (position {i}) is outside the vocabulary of {}",
                c.vocab
            )));
        }
        out.clear();
        out.resize(lens.len() * c.hidden, 0.0);
        let mut clock = Clock {
            last: profile.as_ref().map(|_| Instant::now()),
            profile,
        };
        // Whole sentences per chunk, up to CHUNK_TOKENS tokens (a longer sentence alone).
        let (mut s0, mut t0) = (0, 0);
        while s0 < lens.len() {
            let (mut s1, mut t1) = (s0, t0);
            while s1 < lens.len() && (s1 == s0 || t1 - t0 + lens[s1] <= CHUNK_TOKENS) {
                t1 += lens[s1];
                s1 += 1;
            }
            self.forward(
                &ids[t0..t1],
                &lens[s0..s1],
                normalize,
                scratch,
                &mut out[s0 * c.hidden..s1 * c.hidden],
                &mut clock,
            );
            (s0, t0) = (s1, t1);
        }
        Ok(())
    }

    fn forward(
        &self,
        ids: &[u32],
        lens: &[usize],
        normalize: bool,
        s: &mut Scratch,
        out: &mut [f32],
        clock: &mut Clock,
    ) {
        let c = &self.config;
        let (h, f, t) = (c.hidden, c.ffn, ids.len());
        let head_dim = h / c.heads;
        let x = grow(&mut s.x, t * h);
        let qkv = grow(&mut s.qkv, t * 3 * h);
        let ctx = grow(&mut s.ctx, t * h);
        let tmp = grow(&mut s.tmp, t * h);
        let ffn = grow(&mut s.ffn, t * f);
        let act = grow(&mut s.act, t * f);
        let ops = &mut s.ops;

        // Embeddings: word + position (from 0 in each sentence) + token type 0, normalised.
        let mut row = 0;
        for &len in lens {
            for p in 0..len {
                let r = &mut x[row * h..(row + 1) * h];
                r.fill(0.0);
                self.word.add_row_to(ids[row] as usize, r);
                self.position.add_row_to(p, r);
                self.token_type.add_row_to(0, r);
                row += 1;
            }
        }
        ops::layer_norm(x, self.norm.gamma, self.norm.beta, c.layer_norm_eps);
        clock.lap(Stage::Embed, 0.0);

        let tf = t as f64;
        let (hf, ff) = (h as f64, f as f64);
        let attn_flops: f64 = lens.iter().map(|&l| 4.0 * (l * l) as f64 * hf).sum();
        for layer in &self.layers {
            ops::linear(x, t, &layer.qkv, qkv);
            clock.lap(Stage::Qkv, 2.0 * tf * 3.0 * hf * hf);
            let mut start = 0;
            for &len in lens {
                ops::attention(
                    &qkv[start * 3 * h..(start + len) * 3 * h],
                    len,
                    c.heads,
                    head_dim,
                    &mut ctx[start * h..(start + len) * h],
                    ops,
                );
                start += len;
            }
            clock.lap(Stage::Attention, attn_flops);
            ops::linear(ctx, t, &layer.out, tmp);
            clock.lap(Stage::AttnOut, 2.0 * tf * hf * hf);
            ops::add_layer_norm(
                x,
                tmp,
                layer.norm1.gamma,
                layer.norm1.beta,
                c.layer_norm_eps,
            );
            clock.lap(Stage::Norm1, 0.0);
            ops::linear(x, t, &layer.up, ffn);
            clock.lap(Stage::Up, 2.0 * tf * hf * ff);
            ops::gelu(ffn, act);
            clock.lap(Stage::Gelu, 0.0);
            ops::linear(act, t, &layer.down, tmp);
            clock.lap(Stage::Down, 2.0 * tf * hf * ff);
            ops::add_layer_norm(
                x,
                tmp,
                layer.norm2.gamma,
                layer.norm2.beta,
                c.layer_norm_eps,
            );
            clock.lap(Stage::Norm2, 0.0);
        }

        let mut start = 0;
        for (i, &len) in lens.iter().enumerate() {
            let o = &mut out[i * h..(i + 1) * h];
            ops::mean_rows(&x[start * h..(start + len) * h], o, ops);
            if normalize {
                ops::normalize_l2(o);
            }
            start += len;
        }
        clock.lap(Stage::Pool, 0.0);
    }
}

fn is_known(name: &str, layers: usize) -> bool {
    [
        names::VOCAB,
        names::WORD,
        names::POSITION,
        names::TOKEN_TYPE,
        names::NORM_WEIGHT,
        names::NORM_BIAS,
    ]
    .contains(&name)
        || (0..layers).any(|i| names::LAYER.iter().any(|p| names::layer(i, p) == name))
}
