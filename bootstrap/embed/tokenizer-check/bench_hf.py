#!/usr/bin/env python3
"""HF tokenizers on the texts of benches/tokenizer.rs, one thread, for scale: median of
interleaved rounds of Tokenizer.from_file (tokenizer.json; HF's own cold-start path),
WordPiece.from_file(vocab.txt) and encode per text. usage: bench_hf.py MODEL_DIR"""
import os
import statistics
import sys
import time

os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"
import tokenizers  # noqa: E402

model = sys.argv[1]
TEXTS = {
    "short-16tok": "The weather is lovely today, isn't it? Let's go out.",
    "sentence-128tok": ("Rayo runs sentence embeddings on AWS Lambda: a custom runtime in Rust, "
                        "a hand-rolled HTTP client, SIMD kernels and a BERT encoder. ") * 4,
    "long-truncated": "Internationalization of tokenizers, résumé café naïve. " * 200,
    "accents": "Crème brûlée à Øresund, Dvořák in Łódź; Tiếng Việt Nguyễn. " * 4,
    "cjk": "自然语言处理是人工智能的一个分支。日本語のテキストも。한국어 문장" * 3,
}


def timed(f, n):
    t = time.perf_counter_ns()
    for _ in range(n):
        f()
    return (time.perf_counter_ns() - t) / n / 1000


tok = tokenizers.Tokenizer.from_file(os.path.join(model, "tokenizer.json"))
tok.no_padding()
tok.enable_truncation(256)
cases = {
    "from_file(tokenizer.json)": (lambda: tokenizers.Tokenizer.from_file(os.path.join(model, "tokenizer.json")), 20),
    "WordPiece.from_file(vocab.txt)": (lambda: tokenizers.models.WordPiece.from_file(os.path.join(model, "vocab.txt")), 20),
}
for name, text in TEXTS.items():
    cases[f"encode/{name}"] = ((lambda t=text: tok.encode(t)), 2000)
rounds = {k: [] for k in cases}
for _ in range(7):
    for k, (f, n) in cases.items():
        rounds[k].append(timed(f, n))
print(f"# tokenizers {tokenizers.__version__}, load {os.getloadavg()}")
for k, v in rounds.items():
    print(f"{k:32} {statistics.median(v):10.2f} us (median of 7)")
