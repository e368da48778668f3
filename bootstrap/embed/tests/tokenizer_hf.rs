//! Token ids identical to Hugging Face `tokenizers` (the model's own tokenizer.json, truncation
//! 256) on tokenizer-check/corpus.py's sentences and on one probe per Unicode scalar value.
//! tokenizer-check/reference.sh makes the reference (a venv under target/ with the pinned
//! tokenizers, the model from fetch-model.sh); if it cannot, this test fails.

use rayo_embed::tokenizer::{Tokenizer, MAX_SEQ_LEN};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

fn run(script: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(script);
    let out = Command::new(&path)
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", path.display()));
    assert!(
        out.status.success(),
        "{} failed ({}), so there is no reference to compare with:\n{}",
        path.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

#[test]
fn ids_match_hugging_face_tokenizers() {
    let model = run("fetch-model.sh");
    let reference = run("tokenizer-check/reference.sh");
    let vocab = std::fs::read(Path::new(&model).join("vocab.txt")).unwrap();
    let tok = Tokenizer::from_vocab_txt(&vocab).unwrap();
    let text = std::fs::read_to_string(&reference).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    eprintln!("reference: {reference}\n  {header}");

    let name = |ids: &[u32]| -> Vec<String> {
        ids.iter()
            .map(|&i| tok.token(i).unwrap_or("?").to_string())
            .collect()
    };
    let mut per_category: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    let mut first_mismatch = None;
    let mut ids = Vec::new();
    for line in lines {
        let mut f = line.split('\t');
        let (cat, hex, want) = (f.next().unwrap(), f.next().unwrap(), f.next().unwrap());
        let bytes = unhex(hex);
        let input = std::str::from_utf8(&bytes).unwrap();
        let want: Vec<u32> = want.split(' ').map(|x| x.parse().unwrap()).collect();
        ids.clear();
        let truncated = tok.encode(input, MAX_SEQ_LEN, &mut ids);
        let e = per_category.entry(cat).or_default();
        e.0 += 1;
        e.2 += truncated as usize;
        if ids != want {
            e.1 += 1;
            if first_mismatch.is_none() {
                let at = ids.iter().zip(&want).take_while(|(a, b)| a == b).count();
                let lo = at.saturating_sub(5);
                first_mismatch = Some(format!(
                    "first mismatch ({cat}): {input:?}\n  at token {at}\n  rayo: {:?}\n  HF:   {:?}\n  (tokens {lo}.., {} vs {} ids)",
                    name(&ids[lo..(at + 5).min(ids.len())]),
                    name(&want[lo..(at + 5).min(want.len())]),
                    ids.len(),
                    want.len()
                ));
            }
        }
    }
    let mut sentences = 0;
    for (cat, (n, bad, cut)) in &per_category {
        eprintln!("  {cat:20} {n:8} texts, {bad} mismatches, {cut} truncated");
        if *cat != "code-point" {
            sentences += n;
        }
    }
    assert!(
        sentences >= 2000,
        "only {sentences} sentences in the reference"
    );
    assert!(
        per_category["over-256"].2 > 0,
        "no text was over 256 tokens"
    );
    if let Some(m) = first_mismatch {
        panic!("{m}");
    }
}
