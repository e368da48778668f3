//! BERT's uncased WordPiece tokenizer, loaded from `vocab.txt`.
//!
//! Interface the encoder codes against; the full normalisation (control characters, accents,
//! CJK, punctuation) is being written to match Hugging Face `tokenizers` exactly. Until then
//! this splits on ASCII whitespace and lower-cases, then runs greedy longest-match WordPiece.

use std::collections::HashMap;
use std::fmt;

/// Why a vocabulary could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenizerError {
    /// `vocab.txt` is not UTF-8; the byte offset of the first bad byte.
    NotUtf8 { offset: usize },
    /// A special token the model needs is missing from the vocabulary.
    MissingToken(&'static str),
    /// The same token on two lines (1-based).
    Duplicate { line: usize },
}

impl fmt::Display for TokenizerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenizerError::NotUtf8 { offset } => {
                write!(
                    f,
                    "vocab.txt is not UTF-8 (first bad byte at offset {offset})"
                )
            }
            TokenizerError::MissingToken(t) => write!(f, "vocab.txt has no {t} token"),
            TokenizerError::Duplicate { line } => {
                write!(f, "vocab.txt repeats a token on line {line}")
            }
        }
    }
}

impl std::error::Error for TokenizerError {}

/// A loaded vocabulary.
pub struct Tokenizer {
    ids: HashMap<String, u32>,
    cls: u32,
    sep: u32,
    unk: u32,
}

/// Words longer than this many characters become `[UNK]`, as in `tokenizer.json`.
pub const MAX_WORD_CHARS: usize = 100;

impl Tokenizer {
    /// Reads `vocab.txt`: one token per line, its id the line number from 0.
    pub fn from_vocab_txt(bytes: &[u8]) -> Result<Tokenizer, TokenizerError> {
        let text = std::str::from_utf8(bytes).map_err(|e| TokenizerError::NotUtf8 {
            offset: e.valid_up_to(),
        })?;
        let mut ids = HashMap::new();
        for (line, token) in text.lines().enumerate() {
            if ids.insert(token.to_string(), line as u32).is_some() {
                return Err(TokenizerError::Duplicate { line: line + 1 });
            }
        }
        let get = |t: &'static str| ids.get(t).copied().ok_or(TokenizerError::MissingToken(t));
        let (cls, sep, unk) = (get("[CLS]")?, get("[SEP]")?, get("[UNK]")?);
        Ok(Tokenizer { ids, cls, sep, unk })
    }

    /// Appends `[CLS]`, the WordPiece ids of `text` and `[SEP]` to `ids`, at most `max_len`
    /// ids in all (`max_len >= 2`; `[SEP]` is always last). Returns whether tokens were cut.
    pub fn encode(&self, text: &str, max_len: usize, ids: &mut Vec<u32>) -> bool {
        let start = ids.len();
        ids.push(self.cls);
        let mut truncated = false;
        for word in text.split_ascii_whitespace() {
            let word = word.to_lowercase();
            self.word_pieces(&word, ids);
            if ids.len() - start > max_len - 1 {
                ids.truncate(start + max_len - 1);
                truncated = true;
                break;
            }
        }
        ids.push(self.sep);
        truncated
    }

    fn word_pieces(&self, word: &str, ids: &mut Vec<u32>) {
        if word.chars().count() > MAX_WORD_CHARS {
            ids.push(self.unk);
            return;
        }
        let before = ids.len();
        let mut rest = word;
        let mut first = true;
        while !rest.is_empty() {
            let mut end = rest.len();
            let found = loop {
                let piece = &rest[..end];
                let id = if first {
                    self.ids.get(piece).copied()
                } else {
                    self.ids.get(&format!("##{piece}")).copied()
                };
                if let Some(id) = id {
                    break Some(id);
                }
                match rest[..end].char_indices().next_back() {
                    Some((i, _)) if i > 0 => end = i,
                    _ => break None,
                }
            };
            match found {
                Some(id) => {
                    ids.push(id);
                    rest = &rest[end..];
                    first = false;
                }
                None => {
                    ids.truncate(before);
                    ids.push(self.unk);
                    return;
                }
            }
        }
    }
}
