#!/usr/bin/env python3
"""Token ids from Hugging Face `tokenizers` for the tokenizer's comparison test.

usage: hf_reference.py MODEL_DIR OUT

Loads MODEL_DIR/tokenizer.json (the model's own), sets truncation to 256 (sentence-transformers'
max_seq_length; the file says 128) and no padding (the file pads to 128), and encodes:
  - corpus.py's sentences;
  - one probe per Unicode scalar value, "C eCe": C alone and inside a word (what clean_text,
    NFD, accent stripping, lower-casing, CJK and punctuation splitting do with it).
Writes OUT: one line per text, `category TAB utf-8 hex TAB ids (space separated)`, after a
header line naming the versions. Also checks, and fails otherwise, that vocab.txt holds the
same tokens with the same ids as tokenizer.json, and that sentence-transformers' `.strip()`
of each text changes no ids (so matching `tokenizers` is matching sentence-transformers).
"""
import os
import sys
import unicodedata

import tokenizers

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import corpus  # noqa: E402

MAX_LEN = 256


def main():
    model, out = sys.argv[1], sys.argv[2]
    tok = tokenizers.Tokenizer.from_file(os.path.join(model, "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(MAX_LEN)

    vocab_txt = {}
    with open(os.path.join(model, "vocab.txt"), encoding="utf-8", newline="\n") as f:
        for i, line in enumerate(f):
            vocab_txt[line.rstrip()] = i
    if vocab_txt != tok.get_vocab(with_added_tokens=True):
        sys.exit("hf_reference: vocab.txt and tokenizer.json's vocabulary differ")

    texts = corpus.sentences()
    probes = [("code-point", f"{chr(cp)} e{chr(cp)}e") for cp in range(0x110000)
              if not 0xD800 <= cp < 0xE000]
    rows = texts + probes
    encs = tok.encode_batch([t for _, t in rows], add_special_tokens=True)
    stripped = tok.encode_batch([t.strip() for _, t in texts], add_special_tokens=True)
    for (cat, t), a, b in zip(texts, encs, stripped):
        if a.ids != b.ids:
            sys.exit(f"hf_reference: .strip() changes the ids of {t!r} ({cat})")

    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"# tokenizers {tokenizers.__version__}, python unicodedata "
                f"{unicodedata.unidata_version}, max_len {MAX_LEN}, {len(texts)} sentences, "
                f"{len(probes)} code points\n")
        for (cat, t), e in zip(rows, encs):
            f.write(f"{cat}\t{t.encode('utf-8').hex()}\t{' '.join(map(str, e.ids))}\n")
    os.replace(tmp, out)
    print(f"hf_reference: {len(texts)} sentences and {len(probes)} code points -> {out}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
