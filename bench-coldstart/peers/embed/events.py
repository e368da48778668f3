"""Writes the events of the embedding comparison, with token counts checked by the model's
own tokenizer (HF `tokenizers` on tokenizer.json, truncation off, [CLS] and [SEP] counted).

usage: events.py TOKENIZER_JSON OUT_DIR      (run with a python that has `tokenizers`)

Writes, each as {"inputs": [...]} (rayo's request shape):
  short.json    one sentence of exactly 16 tokens (cold start, warm latency)
  long.json     one sentence of exactly 128 tokens (warm latency, peak RSS)
  batch32.json  32 different sentences of 14-18 tokens, 16 on average (warm latency)
  verify.json   the model card's three sentences, the 16- and 128-token ones and four of the
                batch's (the peers' answers are compared on these)
and events.json describing them (token counts per sentence).

The sentences are cut from the text below at word boundaries, so they read as English and
vary (a benchmark that sends one repeated string could be served from a cache).
"""

import json
import os
import sys

from tokenizers import Tokenizer

TEXT = """
A small function that starts quickly can answer a request before a larger one has finished
loading its libraries. Search engines turn every sentence into a vector of numbers, and two
sentences that mean nearly the same thing end up with vectors that point the same way. The
model used here reads up to two hundred and fifty six word pieces, passes them through six
layers of attention, and averages what comes out into three hundred and eighty four numbers.
Each layer multiplies the tokens by a few large matrices, so almost all of the time goes into
those products. When a request arrives at a cold environment, the runtime must first map the
weights, build its tokenizer from a vocabulary of thirty thousand entries, and only then read
the event. Fishermen on the northern coast mend their nets in the early morning while the
harbour is still quiet. The library on the hill opens at nine, closes for lunch, and keeps its
rare maps in a cool room at the back. Heavy rain is expected over the mountains tonight, with
snow above two thousand metres and strong winds along the valley roads. She planted tomatoes,
beans and a row of sunflowers, then watered everything twice because the soil was so dry. The
committee postponed its decision until the engineers had measured how the old bridge behaved
under the weight of loaded trucks. Our neighbour's dog waits by the gate every afternoon for
the children to come home from school. A good bread needs flour, water, salt, patience and an
oven that is hotter than most kitchens allow. The orchestra tuned for a long minute before the
conductor raised her hands and the hall fell silent. Trains between the two cities run every
half hour during the week and every hour on Sundays and public holidays.
"""

WORDS = TEXT.split()


def count(tok, text):
    return len(tok.encode(text).ids)


def cut(tok, start, target):
    """The shortest run of words from WORDS[start:] with exactly `target` tokens, or None."""
    for end in range(start + 1, len(WORDS) + 1):
        text = " ".join(WORDS[start:end])
        n = count(tok, text)
        if n == target:
            return text
        if n > target:
            return None
    return None


def exact(tok, target, skip=0):
    found = 0
    for start in range(len(WORDS)):
        s = cut(tok, start, target)
        if s is not None:
            if found == skip:
                return s
            found += 1
    sys.exit(f"events: no run of words has exactly {target} tokens")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.split("\n\n")[1])
    tok = Tokenizer.from_file(sys.argv[1])
    tok.no_truncation()
    tok.no_padding()
    out = sys.argv[2]
    os.makedirs(out, exist_ok=True)

    short = exact(tok, 16)
    # 128 tokens: the text is long enough; take the first run that lands on it exactly.
    long = exact(tok, 128)
    # 32 distinct sentences, 14..18 tokens in a fixed cycle that averages 16.
    targets = [14, 15, 16, 17, 18, 16, 15, 17] * 4
    batch, start = [], 0
    for t in targets:
        while True:
            if start >= len(WORDS):
                sys.exit("events: the text ran out before 32 batch sentences were cut")
            s = cut(tok, start, t)
            start += 1
            if s is not None and s not in batch:
                batch.append(s)
                start += 8  # the next sentence starts a few words on: less overlap
                break
    card = ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."]
    events = {
        "short": [short],
        "long": [long],
        "batch32": batch,
        "verify": card + [short, long] + batch[:4],
    }
    for name, inputs in events.items():
        with open(os.path.join(out, f"{name}.json"), "w") as f:
            json.dump({"inputs": inputs}, f)
    meta = {name: {"sentences": len(v), "tokens": [count(tok, s) for s in v]} for name, v in events.items()}
    assert meta["short"]["tokens"] == [16] and meta["long"]["tokens"] == [128], meta
    assert len(set(batch)) == 32 and sum(meta["batch32"]["tokens"]) == 32 * 16, meta["batch32"]
    with open(os.path.join(out, "events.json"), "w") as f:
        json.dump(meta, f, indent=1)
    for name, m in meta.items():
        print(f"events: {name}: {m['sentences']} sentence(s), tokens {m['tokens']}", file=sys.stderr)


if __name__ == "__main__":
    main()
