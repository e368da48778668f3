#!/usr/bin/env python3
"""Deterministic test corpus for the tokenizer (seeded; no data files). `sentences()` returns
the list; run alone it prints a summary per category.

Categories: plain English in mixed case, accents (precomposed and decomposed, stacked and
out-of-order marks), CJK (every block HF treats as Chinese, the extension blocks, and the
blocks around them it does not), Hangul, Arabic/Hebrew/Devanagari/Thai, emoji with ZWJ,
modifiers, flags and keycaps, punctuation runs, control and format characters, long words
(99/100/101 characters and more, counted after normalisation), numbers, empty and
whitespace-only strings, texts over 256 tokens, special tokens written in the text, marks
whose canonical order matters, characters newer than HF's Unicode tables, random code points.
"""
import random
import unicodedata

SEED = 17

WORDS = ("the quick brown fox jumps over lazy dog embedding search vector lambda function "
         "cold start runtime sentence transformer tokenizer unaffable played playing "
         "international organisation hyperparameter antidisestablishmentarianism naïve "
         "café résumé coöperate façade jalapeño über straße".split())
ACCENTED = ("Crème brûlée à la carte Ångström Øresund Łódź Dvořák Škoda Ærø smörgåsbord "
            "façade São Paulo Ñandú Tiếng Việt Đà Nẵng Nguyễn Hồ Chí Minh İstanbul ǅemal "
            "Ελληνικά Ἀθῆναι ΟΔΥΣΣΕΥΣ Москва Ёлка Україна".split())
MARKS = [0x300, 0x301, 0x302, 0x303, 0x308, 0x30A, 0x323, 0x327, 0x328, 0x331, 0x345,
         0x1DC0, 0x20D0, 0x1D165, 0x1D16D, 0x1D166, 0x8D4, 0x8E3, 0xB56, 0xF71, 0xF72, 0x94D,
         0x93C, 0x5B0, 0x64B, 0x651, 0x0E48, 0x302A, 0x302E, 0x1E944, 0xFE0F, 0x200D, 0x034F]
CJK_RANGES = [(0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
              (0x2B740, 0x2B81F), (0x2B820, 0x2B91F), (0x2B920, 0x2CEAF), (0x2CEB0, 0x2EBEF),
              (0x30000, 0x3134F), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F), (0x3040, 0x30FF),
              (0x2E80, 0x2FDF), (0x3000, 0x303F), (0xFF00, 0xFFEF), (0x3190, 0x31FF)]
SCRIPTS = ["مرحبا بالعالم، كيف حالك؟", "اَلْعَرَبِيَّةُ لُغَةٌ جَمِيلَةٌ", "שָׁלוֹם עוֹלָם",
           "नमस्ते दुनिया", "क़ि ज़्यादा हिन्दी", "ภาษาไทยง่ายนิดเดียว", "สวัสดีครับ",
           "ግዕዝ", "ᐃᓄᒃᑎᑐᑦ", "ພາສາລາວ", "ཀུན་ཏུ་བཟང་པོ", "ꦲꦏ꧀ꦱꦫꦗꦮ", "ᨅᨔ ᨕᨘᨁᨗ"]
EMOJI = ["👍", "👍🏽", "👩‍💻", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇫🇷", "🇯🇵", "1️⃣", "#️⃣", "❤️", "🥰", "🫠",
         "🧑🏿‍🚀", "☺︎", "🀄", "𝄞", "𝕳𝖊𝖑𝖑𝖔", "Ⓐ", "🄰"]
PUNCT = list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~") + list("¡¿«»‹›„“”‘’‚—–‐‑‒…‽⁇⁉、。「」『』【】〈〉《》・·•※†‡§¶°′″‴")
CONTROLS = ["\t", "\r", "\n", "\r\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f", "\x7f",
            "\x00", "\x01", "\x1b", "\x85", "\u2028", "\u2029", "\u200b", "\u200c", "\u200d",
            "\u200e", "\u200f", "\u2060", "\ufeff", "\ufffd", "\u00ad", "\u061c", "\u180e",
            "\ue000", "\U000f0000", "\U00100000", "\U000e0001", "\u00a0", "\u3000", "\u2003",
            "\u1680", "\u202f", "\u205f", "\ufff9"]
NEWER = [0x1C90, 0x1CBA, 0x1CBD, 0xA7C0, 0xA7C4, 0xA7C7, 0xA7D0, 0xA7F5, 0x2C2F, 0x10570,
         0x10580, 0x1E900, 0x16E40, 0x0898, 0x089F, 0x07FD, 0x0C3C, 0x1ABF, 0x1DF7, 0x11938,
         0x061D, 0x09FD, 0x0A76, 0x0890, 0x08E2, 0x110CD, 0x13430, 0x1E030, 0x1F970, 0x1FAF8,
         0x1E4EC, 0x11F00, 0x10EFD, 0x1E08F, 0xA7CB, 0x1E5D0, 0x16D40]
SPECIALS = ["[CLS]", "[SEP]", "[UNK]", "[PAD]", "[MASK]", "[mask]", "[CLS", "CLS]", "[[SEP]]",
            "[SEP][SEP]", "x[MASK]y", "[UNUSED0]", "[unused0]"]


def cjk(r):
    lo, hi = r.choice(CJK_RANGES)
    return chr(r.randint(lo, hi))


def any_char(r):
    while True:
        cp = r.choice([r.randint(0, 0x2FF), r.randint(0x300, 0x2FFF), r.randint(0x3000, 0xFFFF),
                       r.randint(0x10000, 0x1FFFF), r.randint(0x20000, 0x10FFFF)])
        if not 0xD800 <= cp < 0xE000:
            return chr(cp)


def mixed_case(r, w):
    return "".join(c.upper() if r.random() < 0.3 else c for c in w)


def sentence(r, n):
    return " ".join(mixed_case(r, r.choice(WORDS)) for _ in range(n))


def sentences():
    r = random.Random(SEED)
    out = []

    def add(cat, items):
        out.extend((cat, s) for s in items)

    add("plain", [sentence(r, r.randint(1, 20)) + r.choice(["", ".", "!", "?"]) for _ in range(250)])
    add("plain-known", ["The weather is lovely today.", "It's so sunny outside!",
                        "He drove to the stadium.", "Hello, World!", "HELLO world", "hello"])
    acc = []
    for _ in range(250):
        words = [r.choice(ACCENTED) for _ in range(r.randint(1, 8))]
        s = " ".join(words)
        form = r.choice(["NFC", "NFD", "NFKC", "NFKD", None])
        acc.append(unicodedata.normalize(form, s) if form else s)
    add("accents", acc)
    marks = []
    for _ in range(200):
        s = ""
        for _ in range(r.randint(1, 6)):
            s += r.choice("aeiouAEIOUnNcCxyz" + "αωиЖ" + "中한" + " .")
            s += "".join(chr(r.choice(MARKS)) for _ in range(r.randint(0, 5)))
        marks.append(s)
    add("combining-marks", marks)
    add("cjk", ["".join(cjk(r) if r.random() < 0.7 else r.choice(" ab,。") for _ in range(r.randint(1, 40)))
                for _ in range(200)])
    add("hangul", ["".join(chr(r.randint(0xAC00, 0xD7A3)) if r.random() < 0.8 else r.choice(" ,.각")
                           for _ in range(r.randint(1, 30))) for _ in range(100)])
    add("scripts", [" ".join(r.choice(SCRIPTS) for _ in range(r.randint(1, 4))) for _ in range(120)])
    add("emoji", [" ".join(r.choice(EMOJI) + r.choice(["", "ok", "!", "\u200d", "\ufe0f"])
                           for _ in range(r.randint(1, 8))) for _ in range(120)])
    add("punctuation", ["".join(r.choice(PUNCT + [" ", "a", "1"]) for _ in range(r.randint(1, 60)))
                        for _ in range(150)])
    add("controls", ["".join(r.choice(CONTROLS + ["a", "b", "cd", " ", "中", "é"])
                             for _ in range(r.randint(1, 30))) for _ in range(200)])
    longw = []
    for n in (99, 100, 101, 150, 500):
        for ch in ("a", "é", "中", "σ", "ab", "\u0301", "e\u0301", "a\u200b", "👍", "x\U0001d165"):
            w = ch * n if len(ch) == 1 else ch * n
            longw += [w, "start " + w + " end", w[:n]]
    longw += ["x" * 100 + "." + "y" * 100, "a" * 1000, "ab" * 50, "ab" * 50 + "c"]
    add("long-words", longw)
    add("numbers", [r.choice(["", "pi is ", "call "]) + r.choice([
        str(r.randint(0, 10**r.randint(1, 30))), f"{r.random() * 10**r.randint(0, 9):.4f}",
        f"{r.randint(0, 10**9):,}", f"+1 ({r.randint(100, 999)}) {r.randint(100, 999)}-{r.randint(1000, 9999)}",
        "١٢٣٤٥", "１２３", "½ ¼ ²³", "1e-9", "0x1F", "१२३", "3.14159265358979323846"])
        for _ in range(150)])
    add("empty", ["", " ", "  ", "\t", "\n", "\r\n", " \t\n\r ", "\u3000", "\u2028", "\x00",
                  "\u200b", "\ufeff", "\u00a0\u00a0", "\x0b\x0c", "\x85"])
    long_texts = []
    for _ in range(60):
        n = r.randint(200, 900)
        long_texts.append(" ".join(
            r.choice([mixed_case(r, r.choice(WORDS)), r.choice(ACCENTED), cjk(r), r.choice(PUNCT),
                      r.choice(EMOJI), str(r.randint(0, 99999))]) for _ in range(n)))
    long_texts += ["a " * 253 + "b", "a " * 254 + "b", "a " * 255 + "b", "a " * 300,
                   ".," * 200, "中" * 300, "[SEP] " * 300, "unaffable " * 100]
    add("over-256", long_texts)
    add("specials", [" ".join(r.choice(SPECIALS + WORDS[:5]) for _ in range(r.randint(1, 6)))
                     for _ in range(80)] + SPECIALS + ["[SE\u200bP]", "[SEP\u0301]", "[ＳＥＰ]"])
    add("newer-unicode", ["".join(chr(r.choice(NEWER)) + r.choice(["", "a", " ", "\u0301"])
                                  for _ in range(r.randint(1, 6))) for _ in range(100)])
    add("random-code-points", ["".join(any_char(r) for _ in range(r.randint(1, 25)))
                               for _ in range(250)])
    return out


if __name__ == "__main__":
    from collections import Counter
    s = sentences()
    for cat, n in Counter(c for c, _ in s).items():
        print(f"{cat:20} {n}")
    print(f"{'total':20} {len(s)}")
