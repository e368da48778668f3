//! Sentence embeddings with all-MiniLM-L6-v2 on rayo.
//!
//! ```no_run
//! use rayo_embed::{Model, Verify, Weights, Workspace};
//!
//! let weights = Weights::open(&Weights::locate()?, Verify::Full)?; // mmap + checks
//! let model = Model::load(&weights)?;                               // views + vocabulary
//! let mut ws = Workspace::default();                                 // reused scratch
//! let response = model.handle(br#"{"inputs": ["The weather is lovely today."]}"#, &mut ws)?;
//! # Ok::<(), rayo_embed::Error>(())
//! ```
//!
//! - [`format`]: rayo's weight file (written by [`convert`], read in place by [`Weights`]).
//! - [`bert`]: the encoder over the mapped weights; [`ops`]: its numeric operations.
//! - [`request`], [`response`]: the function's JSON.
//! - [`tokenizer`]: BERT's uncased WordPiece, as the model's `tokenizer.json` describes it,
//!   loaded from `vocab.txt` (stored inside the weight file).
// Not every public item has its doc comment yet (~110 fields, consts and methods): until
// they do, the workspace's `missing_docs` is off for this crate.
#![allow(missing_docs)]

// The weight file is little-endian and used in place.
#[cfg(not(target_endian = "little"))]
compile_error!(
    "rayo-embed maps little-endian weights in place: big-endian targets are not supported"
);

pub mod bert;
#[cfg(feature = "convert")]
pub mod convert;
mod error;
pub mod format;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod mmap;
pub mod request;
pub mod response;
pub mod tokenizer;
mod weights;

use std::time::{Duration, Instant};

pub use rayo_embed_ops::{checksum, half, ops};

pub use bert::{Bert, Profile, Stage};
pub use error::Error;
pub use format::ModelConfig;
pub use request::{Encoding, Request};
pub use tokenizer::Tokenizer;
pub use weights::{OpenTimes, Verify, Weights, FILE_NAME, PATH_VAR, VERIFY_VAR};

/// A loaded model: the encoder's views into a [`Weights`] and the tokenizer. Shared by every
/// worker (`Sync`); each worker brings its own [`Workspace`].
pub struct Model<'a> {
    pub bert: Bert<'a>,
    pub tokenizer: Tokenizer,
    /// How long loading the vocabulary took (part of init).
    pub vocab_time: Duration,
}

/// A worker's reusable buffers: token ids, activations, outputs.
#[derive(Default)]
pub struct Workspace {
    pub ids: Vec<u32>,
    pub lens: Vec<usize>,
    pub vectors: Vec<f32>,
    pub scratch: bert::Scratch,
}

impl<'a> Model<'a> {
    /// Checks that `weights` hold every tensor a BERT of their configuration needs, with
    /// the right shapes, and loads the vocabulary stored in them.
    pub fn load(weights: &'a Weights) -> Result<Model<'a>, Error> {
        let path = weights.path();
        let header = weights.header();
        let bytes = weights.bytes();
        let bert = Bert::new(header, bytes).map_err(|p| Error::weights(path, p))?;
        let t0 = Instant::now();
        let vocab = header
            .tensor(bert::names::VOCAB)
            .map(|t| &bytes[t.offset..t.offset + t.len])
            .ok_or_else(|| {
                Error::weights(path, "the vocabulary (tensor \"vocab.txt\") is missing")
            })?;
        let tokenizer = Tokenizer::from_vocab_txt(vocab).map_err(|source| Error::Vocab {
            path: path.to_string(),
            source,
        })?;
        // Ids are line numbers: more lines than embedding rows would index past the table.
        // Counted as str::lines counts (a final newline ends the last line).
        let newlines = vocab.iter().filter(|&&b| b == b'\n').count();
        let lines = newlines + usize::from(!vocab.is_empty() && !vocab.ends_with(b"\n"));
        if lines > bert.config.vocab {
            return Err(Error::weights(
                path,
                format!(
                    "vocab.txt has {lines} tokens, the embedding table only {} rows",
                    bert.config.vocab
                ),
            ));
        }
        Ok(Model {
            bert,
            tokenizer,
            vocab_time: t0.elapsed(),
        })
    }

    pub fn config(&self) -> &ModelConfig {
        &self.bert.config
    }

    /// Tokenizes `texts` (truncating each to `max_tokens`) into `ws.ids`/`ws.lens`;
    /// returns how many were truncated.
    pub fn tokenize<S: AsRef<str>>(&self, texts: &[S], ws: &mut Workspace) -> usize {
        ws.ids.clear();
        ws.lens.clear();
        let mut truncated = 0;
        for t in texts {
            let before = ws.ids.len();
            if self
                .tokenizer
                .encode(t.as_ref(), self.config().max_tokens, &mut ws.ids)
            {
                truncated += 1;
            }
            ws.lens.push(ws.ids.len() - before);
        }
        truncated
    }

    /// Embeds `texts` into `ws.vectors` (one row of `hidden` each); returns how many inputs
    /// were truncated.
    pub fn embed<S: AsRef<str>>(
        &self,
        texts: &[S],
        normalize: bool,
        ws: &mut Workspace,
    ) -> Result<usize, Error> {
        let truncated = self.tokenize(texts, ws);
        self.bert.embed_ids(
            &ws.ids,
            &ws.lens,
            normalize,
            &mut ws.scratch,
            &mut ws.vectors,
            None,
        )?;
        Ok(truncated)
    }

    /// The function: a request event in, the response's bytes out.
    pub fn handle(&self, event: &[u8], ws: &mut Workspace) -> Result<Vec<u8>, Error> {
        let req = request::parse(event)?;
        let normalize = req.normalize.unwrap_or(self.config().normalize);
        let truncated = self.embed(&req.inputs, normalize, ws)?;
        response::write(
            &self.config().model_id,
            self.config().hidden,
            &ws.vectors,
            req.encoding,
            truncated,
        )
    }
}
