#!/usr/bin/env python3
"""The independent reference for rayo-embed's encoder (test-only; shares no code with it).

usage: reference.py MODEL_DIR OUT.json [--count N] [--seed S]

Generates N sentences (default 210; seeded, so the same every run) whose token counts span
2 ([CLS] [SEP] only) to 256 (truncated, as sentence-transformers truncates at its
max_seq_length), plus the model card's three sentences; tokenizes them with Hugging Face
`tokenizers` from the model's own tokenizer.json (truncation at 256, no padding); runs
all-MiniLM-L6-v2 in float64 NumPy straight from model.safetensors (the header parsed here,
Hugging Face tensor names, separate Q/K/V, scipy's erf for the exact GELU); mean-pools and
L2-normalises. Writes {"sentences": [{"text", "ids", "embedding"}...], "similarities": ...}.
"""

import json
import math
import random
import struct
import sys

import numpy as np
import scipy.special
from tokenizers import Tokenizer

MODEL_CARD = ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."]
MAX_SEQ = 256


def load_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    data = raw[8 + n :]
    out = {}
    for name, info in header.items():
        if name == "__metadata__" or info["dtype"] != "F32":
            continue
        a, b = info["data_offsets"]
        out[name] = np.frombuffer(data[a:b], dtype="<f4").reshape(info["shape"]).astype(np.float64)
    return out


def layer_norm(x, w, b, eps):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


def encode(W, cfg, batch):
    """All sentences at once: every token's rows stacked for the linear layers (one BLAS call
    each), attention per sentence. Returns one normalised embedding per sentence."""
    H = cfg["hidden_size"]
    heads = cfg["num_attention_heads"]
    d = H // heads
    eps = cfg["layer_norm_eps"]
    ids = np.concatenate([np.array(b, dtype=np.int64) for b in batch])
    pos = np.concatenate([np.arange(len(b)) for b in batch])
    bounds = np.cumsum([0] + [len(b) for b in batch])
    x = (
        W["embeddings.word_embeddings.weight"][ids]
        + W["embeddings.position_embeddings.weight"][pos]
        + W["embeddings.token_type_embeddings.weight"][0]
    )
    x = layer_norm(x, W["embeddings.LayerNorm.weight"], W["embeddings.LayerNorm.bias"], eps)
    for i in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{i}."

        def lin(v, name):
            return v @ W[p + name + ".weight"].T + W[p + name + ".bias"]

        q_all = lin(x, "attention.self.query")
        k_all = lin(x, "attention.self.key")
        v_all = lin(x, "attention.self.value")
        ctx = np.empty_like(x)
        for a, b in zip(bounds[:-1], bounds[1:]):
            L = b - a
            q = q_all[a:b].reshape(L, heads, d).transpose(1, 0, 2)
            k = k_all[a:b].reshape(L, heads, d).transpose(1, 0, 2)
            v = v_all[a:b].reshape(L, heads, d).transpose(1, 0, 2)
            s = q @ k.transpose(0, 2, 1) / math.sqrt(d)
            s = np.exp(s - s.max(-1, keepdims=True))
            s /= s.sum(-1, keepdims=True)
            ctx[a:b] = (s @ v).transpose(1, 0, 2).reshape(L, H)
        x = layer_norm(
            lin(ctx, "attention.output.dense") + x,
            W[p + "attention.output.LayerNorm.weight"],
            W[p + "attention.output.LayerNorm.bias"],
            eps,
        )
        h = lin(x, "intermediate.dense")
        h = 0.5 * h * (1.0 + scipy.special.erf(h / math.sqrt(2.0)))
        x = layer_norm(
            lin(h, "output.dense") + x,
            W[p + "output.LayerNorm.weight"],
            W[p + "output.LayerNorm.bias"],
            eps,
        )
    out = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        e = x[a:b].mean(0)
        out.append(e / max(np.linalg.norm(e), 1e-12))
    return out


def sentences(vocab, count, seed):
    """Natural-ish text: vocabulary words, mixed case, punctuation, numbers, accents."""
    rng = random.Random(seed)
    words = [w for w in vocab if w.isalpha() and w.isascii() and len(w) > 1]
    extras = ["café", "naïve", "Zürich", "2026", "3.14", "—", "(", ")", ",", ".", "!", "?", "'s", "e-mail"]
    out = ["", "a", "Hello!"] + MODEL_CARD
    while len(out) < count:
        # Word counts spread so that token counts cover 2..256 and some run past it.
        n = int(rng.random() ** 2 * 280)
        ws = []
        for _ in range(n):
            w = rng.choice(extras) if rng.random() < 0.08 else rng.choice(words)
            r = rng.random()
            ws.append(w.upper() if r < 0.03 else w.capitalize() if r < 0.15 else w)
        out.append(" ".join(ws))
    return out


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    model_dir, out_path = argv[1], argv[2]
    count = int(argv[argv.index("--count") + 1]) if "--count" in argv else 210
    seed = int(argv[argv.index("--seed") + 1]) if "--seed" in argv else 17
    with open(f"{model_dir}/config.json") as f:
        cfg = json.load(f)
    with open(f"{model_dir}/vocab.txt", encoding="utf-8") as f:
        vocab = f.read().splitlines()
    tok = Tokenizer.from_file(f"{model_dir}/tokenizer.json")
    tok.no_padding()
    tok.enable_truncation(MAX_SEQ)
    W = load_safetensors(f"{model_dir}/model.safetensors")
    texts = sentences(vocab, count, seed)
    batch = [tok.encode(t).ids for t in texts]
    embs = encode(W, cfg, batch)
    items = [
        {"text": t, "ids": ids, "embedding": [float(v) for v in e]} for t, ids, e in zip(texts, batch, embs)
    ]
    lens = [len(i["ids"]) for i in items]
    emb = {i["text"]: np.array(i["embedding"]) for i in items}
    sims = []
    for a in range(3):
        for b in range(a + 1, 3):
            sims.append([a, b, float(emb[MODEL_CARD[a]] @ emb[MODEL_CARD[b]])])
    with open(out_path, "w") as f:
        json.dump({"sentences": items, "similarities": sims}, f)
    print(
        f"reference: {len(items)} sentences, {min(lens)}-{max(lens)} tokens "
        f"({sum(1 for n in lens if n == MAX_SEQ)} truncated at {MAX_SEQ}, {sum(lens)} in all); "
        f"model card similarities (float64): " + ", ".join(f"{s[2]:.4f}" for s in sims)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
