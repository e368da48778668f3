"""Checks that every row of the embedding comparison computes the same thing.

usage: verify.py EVENT.json NAME=RESPONSE.json ...      exit 0 agree, 1 they do not

Each RESPONSE.json is the function's answer to EVENT.json ({"inputs": [...]}), taken through
the emulator. Checks, with the bounds fixed here before anything is measured:
- each answer has "dims" 384 and one 384-number vector per input, every vector of unit
  length (|norm - 1| <= 1e-4);
- for every pair of rows and every sentence, cosine(a, b) >= 0.9999 (float32 pipelines of
  the same network differ by rounding only; a wrong pooling, mask, truncation or weight
  shows up as 0.99 or less);
- when the event starts with the model card's three sentences, their cosine similarities
  round to the card's values (0.666, 0.105, 0.141 at 3 decimals; the card gives 0.6660,
  0.1046, 0.1411).
Prints a Markdown table of the smallest cosine per pair. Uses no third-party package.
"""

import json
import math
import sys

CARD = [
    ("The weather is lovely today.", "It's so sunny outside!", 0.6660),
    ("The weather is lovely today.", "He drove to the stadium.", 0.1046),
    ("It's so sunny outside!", "He drove to the stadium.", 0.1411),
]
MIN_COSINE = 0.9999
NORM_TOL = 1e-4


def cosine(a, b):
    dot = sum(x * y for x, y in zip(a, b))
    return dot / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__.split("\n\n")[1])
    inputs = json.load(open(sys.argv[1]))["inputs"]
    rows, failures = {}, []
    for arg in sys.argv[2:]:
        name, _, path = arg.partition("=")
        try:
            with open(path) as f:
                answer = json.loads(f.read().strip().splitlines()[-1])
        except (OSError, ValueError, IndexError) as e:
            failures.append(f"{name}: no JSON answer in {path}: {e}")
            continue
        vectors = answer.get("embeddings") if isinstance(answer, dict) else None
        if answer.get("dims") != 384 or not isinstance(vectors, list) or len(vectors) != len(inputs):
            failures.append(f"{name}: expected dims 384 and {len(inputs)} vectors, got "
                            f"{json.dumps(answer)[:200]}")
            continue
        for i, v in enumerate(vectors):
            norm = math.sqrt(sum(x * x for x in v))
            if len(v) != 384 or abs(norm - 1) > NORM_TOL:
                failures.append(f"{name}: vector {i} has {len(v)} numbers and norm {norm}")
        rows[name] = vectors
        if inputs[:3] == [CARD[0][0], CARD[0][1], CARD[1][1]]:
            for a, b, want in CARD:
                got = cosine(vectors[inputs.index(a)], vectors[inputs.index(b)])
                if round(got, 3) != round(want, 3):
                    failures.append(f"{name}: similarity of {a!r} and {b!r} is {got:.4f}, "
                                    f"the model card says {want}")
    names = list(rows)
    print("| rows | smallest cosine | largest 1 − cosine | largest abs difference of a component | sentences |")
    print("|---|---|---|---|---|")
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            cos = [cosine(x, y) for x, y in zip(rows[a], rows[b])]
            worst = min(cos)
            diff = max(abs(x - y) for u, v in zip(rows[a], rows[b]) for x, y in zip(u, v))
            print(f"| {a} vs {b} | {worst:.7f} | {1 - worst:.1e} | {diff:.1e} | {len(cos)} |")
            if worst < MIN_COSINE:
                failures.append(f"{a} vs {b}: cosine {worst:.6f} < {MIN_COSINE} on sentence "
                                f"{cos.index(worst)} ({inputs[cos.index(worst)][:60]!r})")
    if len(rows) < 2 and not failures:
        print("verify: only one row answered: nothing to compare it with", file=sys.stderr)
    for f in failures:
        print(f"verify: FAIL: {f}", file=sys.stderr)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
