//! Sentence embeddings with all-MiniLM-L6-v2 on rayo.
//!
//! - [`tokenizer`]: BERT's uncased WordPiece, as the model's `tokenizer.json` describes it,
//!   loaded from `vocab.txt`.

pub mod tokenizer;
