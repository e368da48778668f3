#!/usr/bin/env python3
"""Generates bootstrap/embed/src/tokenizer/tables.rs: the Unicode data the WordPiece
normaliser needs, as Hugging Face `tokenizers` sees it.

HF's BertNormalizer and BertPreTokenizer do not use one Unicode version:
  - control/format/private-use (clean_text), nonspacing marks (strip_accents) and
    punctuation come from the `unicode_categories` crate 0.1.1: Unicode 8.0 categories;
  - NFD comes from `unicode-normalization-alignments` 0.1.12: Unicode 9.0 decompositions
    and canonical combining classes;
  - whitespace and lower-casing come from Rust's `char` (the Unicode version of the compiler
    that built the wheel; rayo's core is used for those at run time).
So the tables are generated from the Unicode 8.0 and 9.0 databases, read from the data
headers of the `unicodedata2` 8.0.0 and 9.0.0 source packages on PyPI (data only: nothing is
built or installed). Python's own `unicodedata` (a newer Unicode) is used only to report where
a newer version would give a different answer.

usage: gen_unicode_tables.py [--check]   (--check: fail if tables.rs is not what it would write)
"""
import hashlib
import os
import re
import subprocess
import sys
import tarfile
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
OUT = os.path.join(HERE, "..", "src", "tokenizer", "tables.rs")
CACHE = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "unicode-data")
SDISTS = {
    "8.0.0": "83ade023678f55a35650cd12213c9fd8b38e2af90d4a8c71ce92a04e609e95c2",
    "9.0.0": "586bc036686734c0eb47f3516a884e537df60e2ae355d2de59e9962ed6bbac1f",
}


def header(version):
    """The text of unicodedata2-VERSION's unicodedata_db.h (downloaded once into target/)."""
    os.makedirs(CACHE, exist_ok=True)
    path = os.path.join(CACHE, f"unicodedata2-{version}.tar.gz")
    if not os.path.exists(path):
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                        "--no-binary", ":all:", f"unicodedata2=={version}",
                        "-d", CACHE], check=True, stdout=sys.stderr)
    got = hashlib.sha256(open(path, "rb").read()).hexdigest()
    if got != SDISTS[version]:
        sys.exit(f"{path}: sha256 {got}, expected {SDISTS[version]}")
    with tarfile.open(path) as t:
        return t.extractfile(f"unicodedata2-{version}/unicodedata2/unicodedata_db.h").read().decode()


def array(text, name):
    m = re.search(r"\b" + name + r"\[\] = \{(.*?)\};", text, re.S)
    body = m.group(1)
    if '"' in body:
        return re.findall(r'"([^"]*)"', body)
    if "{" in body:
        return [tuple(int(x) for x in r.split(",")) for r in re.findall(r"\{([^{}]*)\}", body)]
    return [int(x, 0) for x in re.findall(r"0x[0-9a-fA-F]+|\d+", body)]


def define(text, name):
    return int(re.search(r"#define " + name + r" (\d+)", text).group(1))


class Ucd:
    """Category, combining class and canonical decomposition of one Unicode version, read the
    way CPython's unicodedata.c reads its tables."""

    def __init__(self, version):
        t = header(version)
        assert f'#define UNIDATA_VERSION "{version}"' in t
        self.version = version
        self.records = array(t, "_PyUnicode_Database_Records")
        self.names = array(t, "_PyUnicode_CategoryNames")
        self.shift, self.i1, self.i2 = define(t, "SHIFT"), array(t, "index1"), array(t, "index2")
        self.dshift = define(t, "DECOMP_SHIFT")
        self.d1, self.d2 = array(t, "decomp_index1"), array(t, "decomp_index2")
        self.ddata = array(t, "decomp_data")

    def record(self, cp):
        i = self.i1[cp >> self.shift]
        return self.records[self.i2[(i << self.shift) + (cp & ((1 << self.shift) - 1))]]

    def category(self, cp):
        return self.names[self.record(cp)[0]]

    def ccc(self, cp):
        return self.record(cp)[1]

    def canonical(self, cp):
        """The one-level canonical decomposition, or None (Hangul is algorithmic)."""
        i = self.d1[cp >> self.dshift]
        i = self.d2[(i << self.dshift) + (cp & ((1 << self.dshift) - 1))]
        count, prefix = self.ddata[i] >> 8, self.ddata[i] & 255
        if count == 0 or prefix != 0:
            return None
        return self.ddata[i + 1:i + 1 + count]

    def nfd(self, cp):
        """Full canonical decomposition in canonical order."""
        one = self.canonical(cp)
        if one is None:
            return [cp]
        out = [c for d in one for c in self.nfd(d)]
        return reorder(out, self.ccc)


def reorder(chars, ccc):
    # Canonical ordering: a stable sort of each run of non-starters by combining class.
    out, run = [], []
    for c in chars:
        if ccc(c) == 0:
            out += sorted(run, key=ccc) + [c]
            run = []
        else:
            run.append(c)
    return out + sorted(run, key=ccc)


# Rust's char::is_whitespace (the White_Space property, unchanged since Unicode 6.3).
WHITE_SPACE = {*range(0x9, 0xE), 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B),
               0x2028, 0x2029, 0x202F, 0x205F, 0x3000}
ASCII_PUNCT = {ord(c) for c in "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"}

# Kinds, in the order of tables.rs' `Kind` (3 bits).
OTHER, DROP, SPACE, PUNCT, MN_STARTER, MN, MARK = range(7)
KIND_NAMES = ["Other", "Drop", "Space", "Punct", "MnStarter", "Mn", "Mark"]
BARRIER, LAST = 1 << 29, 1 << 30
HANGUL = range(0xAC00, 0xAC00 + 11172)
SURROGATES = range(0xD800, 0xE000)


def kind(cp, cat8, ccc9):
    """What the normaliser and the pre-tokenizer do with `cp`, as HF does it."""
    if cp in (0x9, 0xA, 0xD) or (cp in WHITE_SPACE and cat8 not in ("Cc", "Cf", "Co")):
        return SPACE, 0
    if cp in (0, 0xFFFD) or cat8 in ("Cc", "Cf", "Co"):
        return DROP, 0
    if cat8 == "Mn":
        return (MN, 0) if ccc9 else (MN_STARTER, 0)
    if cat8.startswith("P") or cp in ASCII_PUNCT:
        assert ccc9 == 0, hex(cp)
        return PUNCT, 0
    if ccc9:
        return MARK, ccc9
    return OTHER, 0


def main():
    u8, u9 = Ucd("8.0.0"), Ucd("9.0.0")
    cps = [cp for cp in range(0x110000) if cp not in SURROGATES]
    kinds = {}
    for cp in cps:
        kinds[cp] = kind(cp, u8.category(cp), u9.ccc(cp))

    # Ranges of equal (kind, ccc): one u32 each, start << 11 | kind << 8 | ccc.
    ranges, prev = [], None
    for cp in range(0x110000):
        k = kinds.get(cp, (OTHER, 0))  # surrogates never occur in a str
        if k != prev:
            ranges.append((cp, k))
            prev = k

    # Decompositions with the nonspacing marks already dropped (strip_accents drops them right
    # after NFD). Dropping a mark of class != 0 before the canonical sort keeps the order of
    # what remains (the sort is stable); a dropped class-0 mark still ends a run of marks, so
    # it is kept as a BARRIER flag on the element before it.
    decomp = {}
    for cp in cps:
        if cp in HANGUL or u9.canonical(cp) is None:
            continue
        elems = []  # [char or 0, barrier-after]
        for c in u9.nfd(cp):
            k = kinds[c][0]
            if k == MN:
                continue
            if k == MN_STARTER:
                if not elems:
                    elems.append([0, False])
                elems[-1][1] = True
                continue
            assert k in (OTHER, PUNCT, SPACE, MARK), hex(cp)
            elems.append([c, False])
        if not elems:
            elems = [[0, False]]
        decomp[cp] = tuple((c, b) for c, b in elems)
    # The runtime lower-cases as it goes; that is only right if no kept mark has a case.
    for cp in cps:
        if kinds[cp][0] == MARK:
            assert chr(cp).lower() == chr(cp), hex(cp)

    pool, where, entries = [], {}, []
    for cp in sorted(decomp):
        seq = decomp[cp]
        if seq not in where:
            where[seq] = len(pool)
            for i, (c, b) in enumerate(seq):
                pool.append(c | (BARRIER if b else 0) | (LAST if i == len(seq) - 1 else 0))
        entries.append((cp << 11) | where[seq])
    assert len(pool) < (1 << 11), len(pool)

    text = render(ranges, entries, pool, *report_versions(u8, u9, cps, kinds, decomp))
    if "--check" in sys.argv:
        if open(OUT).read() != text:
            sys.exit(f"{OUT} is stale: run {sys.argv[0]} without --check")
        print(f"{OUT}: up to date", file=sys.stderr)
    else:
        open(OUT, "w").write(text)
        print(f"wrote {OUT}: {len(ranges)} ranges, {len(entries)} decompositions, "
              f"{len(pool)} pool entries", file=sys.stderr)


def report_versions(u8, u9, cps, kinds, decomp):
    """Where Python's newer unicodedata would differ from what HF does (printed, and written
    into the header of tables.rs)."""
    v = unicodedata.unidata_version
    lines = []

    def count(label, pred):
        n = [cp for cp in cps if pred(cp)]
        ex = " ".join(f"U+{c:04X}" for c in n[:6])
        lines.append(f"{label}: {len(n)} code points{' (e.g. ' + ex + ')' if n else ''}")

    count(f"Mn in Unicode {v} but not in 8.0 (HF keeps them; a newer table would strip them)",
          lambda cp: unicodedata.category(chr(cp)) == "Mn" and kinds[cp][0] not in (MN, MN_STARTER))
    count(f"punctuation in Unicode {v} but not in 8.0 (HF does not split on them)",
          lambda cp: unicodedata.category(chr(cp)).startswith("P") and kinds[cp][0] != PUNCT)
    count(f"Cc/Cf/Co in Unicode {v} but not in 8.0 (HF keeps them)",
          lambda cp: unicodedata.category(chr(cp)) in ("Cc", "Cf", "Co") and kinds[cp][0] != DROP
          and cp not in (9, 10, 13))
    count(f"categories that changed between 8.0 and {v} for code points assigned in 8.0",
          lambda cp: u8.category(cp) != "Cn" and u8.category(cp) != unicodedata.category(chr(cp)))
    count(f"canonical decompositions in Unicode {v} but not in 9.0",
          lambda cp: cp not in HANGUL and cp not in decomp
          and unicodedata.decomposition(chr(cp))[:1] not in ("", "<"))
    count(f"canonical combining classes that differ between 9.0 and {v}",
          lambda cp: u9.ccc(cp) != unicodedata.combining(chr(cp)))
    return v, lines


def render(ranges, entries, pool, v, diffs):
    out = []
    w = out.append
    w("// @generated by bootstrap/embed/tokenizer-check/gen_unicode_tables.py: do not edit.")
    w("//")
    w("// Categories from Unicode 8.0 (what HF's `unicode_categories` 0.1.1 has); canonical")
    w("// decompositions and combining classes from Unicode 9.0 (`unicode-normalization-alignments`")
    w("// 0.1.12); both read from the `unicodedata2` 8.0.0 / 9.0.0 source packages on PyPI.")
    w(f"// Where the generator's Python unicodedata ({v}) would answer differently:")
    for d in diffs:
        w(f"//   {d}")
    w("")
    w("/// Unicode version of the categories (control, nonspacing mark, punctuation).")
    w("pub const CATEGORIES_UNICODE_VERSION: (u8, u8, u8) = (8, 0, 0);")
    w("/// Unicode version of the canonical decompositions and combining classes.")
    w("pub const NFD_UNICODE_VERSION: (u8, u8, u8) = (9, 0, 0);")
    w("")
    w("/// Ranges of code points of one kind: `start << 11 | kind << 8 | combining class`, each")
    w("/// running to the next entry's start. Kinds: " +
      ", ".join(f"{i} {n}" for i, n in enumerate(KIND_NAMES)) + ".")
    emit(w, "KINDS", [(cp << 11) | (k << 8) | c for cp, (k, c) in ranges])
    w("")
    w("/// Code points with a canonical decomposition, Hangul syllables aside: `code point << 11 |")
    w("/// index into DECOMP_POOL`, sorted.")
    emit(w, "DECOMP", entries)
    w("")
    w("/// A decomposition's code points, nonspacing marks dropped: `char | BARRIER | LAST`,")
    w("/// char 0 standing for none. BARRIER (bit 29): a dropped class-0 mark followed it;")
    w("/// LAST (bit 30): the decomposition's last entry.")
    emit(w, "DECOMP_POOL", pool)
    return "\n".join(out) + "\n"


def emit(w, name, vals):
    w(f"pub(super) static {name}: [u32; {len(vals)}] = [")
    for i in range(0, len(vals), 8):
        w("    " + ", ".join(f"0x{x:08x}" for x in vals[i:i + 8]) + ",")
    w("];")


if __name__ == "__main__":
    main()
