//! Fuzz and test support (feature `fuzzing`, never in the Lambda binary): the weight-file
//! reader's fuzz entry point, and a tiny random BERT to test with.

use crate::bert::names;
use crate::format::{self, Dtype, Layout, ModelConfig, TensorData};
use crate::half::f32_to_f16;
use crate::{Model, Verify, Weights, Workspace};

/// The fuzz target `weight_file`: any bytes as a weight file, checked (header only, then
/// fully), loaded and, if that succeeds, run on a few tokens; then the same bytes with their
/// checksums recomputed, so mutations reach the checks behind them. Must never panic.
pub fn weight_file(data: &[u8]) {
    exercise(data);
    let mut sealed = data.to_vec();
    format::reseal(&mut sealed);
    exercise(&sealed);
}

fn exercise(data: &[u8]) {
    let _ = Weights::from_bytes(data, "fuzz", Verify::Header);
    let Ok(w) = Weights::from_bytes(data, "fuzz", Verify::Full) else {
        return;
    };
    let Ok(model) = Model::load(&w) else {
        return;
    };
    let mut ws = Workspace::default();
    let c = model.config();
    let n = c.max_tokens.min(6);
    let ids: Vec<u32> = (0..n).map(|i| (i % c.vocab) as u32).collect();
    let lens = [n, 1];
    let ids2: Vec<u32> = ids.iter().copied().chain([0]).collect();
    let _ = model
        .bert
        .embed_ids(&ids2, &lens, true, &mut ws.scratch, &mut ws.vectors, None);
    let _ = model.handle(
        br#"{"inputs":["hello world","a"],"encoding":"b64"}"#,
        &mut ws,
    );
}

/// The committed seeds of the `weight_file` target (fuzz/seeds/weight_file/), each under
/// libFuzzer's 8 KB input cap: a valid 1-layer f16 file and an f32 one, then the f16 file
/// with a flipped data bit, with version 2, and cut in half. `tests/fuzz_replay.rs` checks
/// that the committed files are exactly these (`RAYO_BLESS_SEEDS=1` rewrites them).
pub fn weight_file_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let f16 = tiny_model_with(7, true, 1);
    let f32 = tiny_model_with(8, false, 1);
    let mut flipped = f16.clone();
    if let Ok(h) = format::read_header(&f16) {
        if let Some(t) = h.tensor(names::WORD) {
            flipped[t.offset + t.len / 2] ^= 0x04;
        }
    }
    let mut v2 = f16.clone();
    v2[8] = 2;
    let half = f16[..f16.len() / 2].to_vec();
    vec![
        ("seed-00", f16),
        ("seed-01", f32),
        ("seed-02", flipped),
        ("seed-03", v2),
        ("seed-04", half),
    ]
}

/// The vocabulary of [`tiny_model`]: BERT's special tokens and a few words and pieces.
pub const TINY_VOCAB: &str =
    "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\nweather\nis\nlovely\ntoday\n\
it\nso\nsunny\noutside\nhe\ndrove\nto\nstadium\nhello\nworld\na\nb\n##s\n##ing\n##ly\n.\n!\n,\n'\n";

/// A tiny BERT (2 layers, hidden 8, 2 heads, FFN 16, 16 positions, sequences of at most
/// 12 tokens) with deterministic pseudo-random weights, as a weight file.
pub fn tiny_model(seed: u64, f16: bool) -> Vec<u8> {
    tiny_model_with(seed, f16, 2)
}

/// [`tiny_model`] with `layers` layers (1 makes a file under libFuzzer's 8 KB inputs).
pub fn tiny_model_with(seed: u64, f16: bool, layers: usize) -> Vec<u8> {
    tiny_model_in(seed, f16, layers, Layout::Panels)
}

/// [`tiny_model_with`] with the Linear weights in `linear`'s layout: the converter writes
/// [`Layout::Panels`]; [`Layout::RowMajor`] (PyTorch's `out x in`) is read as well. The
/// same seed gives the same weights in either.
pub fn tiny_model_in(seed: u64, f16: bool, layers: usize, linear: Layout) -> Vec<u8> {
    let vocab = TINY_VOCAB.lines().count();
    let config = ModelConfig {
        model_id: "tiny-bert".to_string(),
        layers,
        hidden: 8,
        heads: 2,
        ffn: 16,
        vocab,
        max_positions: 16,
        type_vocab: 2,
        max_tokens: 12,
        layer_norm_eps: 1e-12,
        normalize: true,
    };
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = move |scale: f32| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        ((state >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * scale
    };
    let (h, f) = (config.hidden, config.ffn);
    let mut tensors = vec![TensorData {
        name: names::VOCAB.into(),
        dtype: Dtype::U8,
        layout: Layout::RowMajor,
        shape: vec![TINY_VOCAB.len()],
        data: TINY_VOCAB.as_bytes().to_vec(),
    }];
    let mut vector =
        |name: String, n: usize, base: f32, scale: f32, next: &mut dyn FnMut(f32) -> f32| {
            let v: Vec<f32> = (0..n).map(|_| base + next(scale)).collect();
            tensors.push(TensorData {
                name,
                dtype: Dtype::F32,
                layout: Layout::RowMajor,
                shape: vec![n],
                data: v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            });
        };
    let table = Layout::RowMajor;
    let mut mats: Vec<(String, usize, usize, Layout)> = vec![
        (names::WORD.into(), vocab, h, table),
        (names::POSITION.into(), config.max_positions, h, table),
        (names::TOKEN_TYPE.into(), config.type_vocab, h, table),
    ];
    vector(names::NORM_WEIGHT.into(), h, 1.0, 0.2, &mut next);
    vector(names::NORM_BIAS.into(), h, 0.0, 0.1, &mut next);
    for i in 0..config.layers {
        let n = |p: usize| names::layer(i, names::LAYER[p]);
        mats.push((n(0), 3 * h, h, linear));
        mats.push((n(2), h, h, linear));
        mats.push((n(6), f, h, linear));
        mats.push((n(8), h, f, linear));
        vector(n(1), 3 * h, 0.0, 0.1, &mut next);
        vector(n(3), h, 0.0, 0.1, &mut next);
        vector(n(4), h, 1.0, 0.2, &mut next);
        vector(n(5), h, 0.0, 0.1, &mut next);
        vector(n(7), f, 0.0, 0.1, &mut next);
        vector(n(9), h, 0.0, 0.1, &mut next);
        vector(n(10), h, 1.0, 0.2, &mut next);
        vector(n(11), h, 0.0, 0.1, &mut next);
    }
    for (name, rows, cols, layout) in mats {
        let v: Vec<f32> = (0..rows * cols).map(|_| next(0.5)).collect();
        let (dtype, data): (Dtype, Vec<u8>) = if f16 {
            (
                Dtype::F16,
                v.iter()
                    .flat_map(|&x| f32_to_f16(x).to_le_bytes())
                    .collect(),
            )
        } else {
            (Dtype::F32, v.iter().flat_map(|x| x.to_le_bytes()).collect())
        };
        let data = match layout {
            Layout::RowMajor => data,
            Layout::Panels => format::to_panels(&data, rows, cols, dtype.size()),
        };
        tensors.push(TensorData {
            name,
            dtype,
            layout,
            shape: vec![rows, cols],
            data,
        });
    }
    // Only fails on a bad tensor list, which this function does not make.
    format::write(&config, &tensors).unwrap_or_default()
}
