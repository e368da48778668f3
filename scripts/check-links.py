#!/usr/bin/env python3
"""Check that every relative link in the repository's Markdown files resolves.

usage: scripts/check-links.py [--self-test] [FILE.md ...]

With no FILE, checks every Markdown file git knows (tracked, or new and not ignored). A link
resolves when its path (relative to the file, or to the repository root if it starts with
`/`) names a file or directory that exists, and its `#anchor`, if any, names a heading (or an
explicit `<a id=...>`/`<a name=...>`) in the Markdown file it points to, slugged as GitHub
does. Links with a scheme (https:, mailto:, ...) are not fetched: this runs without a
network. Links inside code spans and fenced code blocks are not links and are skipped.

Exit status: 0 every link resolves; 1 some do not (each printed as FILE:LINE: LINK: why);
2 usage error. `--self-test` checks the checker on a scratch tree with known-good and
known-bad links.
"""

import os
import re
import subprocess
import sys
import tempfile

INLINE = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFDEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
EXPLICIT = re.compile(r"<a\s+(?:id|name)=\"([^\"]+)\"", re.IGNORECASE)
FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def slug(text):
    """GitHub's heading anchor: rendered text, lowercased, punctuation dropped, spaces to -."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links keep their text
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML
    text = text.replace("`", "").replace("*", "")
    text = text.strip().lower()
    out = []
    for ch in text:
        if ch.isalnum() or ch in "-_":
            out.append(ch)
        elif ch == " ":
            out.append("-")
    return "".join(out)


def strip_code_spans(line):
    return re.sub(r"(`+)(?:(?!\1).)+\1", "", line)


def scan(path):
    """(links as (line number, target), anchors) of one Markdown file."""
    links, anchors, seen = [], set(), {}
    fence = None
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            m = FENCE.match(line)
            if fence:
                if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                    fence = None
                continue
            if m:
                fence = m.group(1)
                continue
            for a in EXPLICIT.findall(line):
                anchors.add(a)
            h = HEADING.match(line)
            if h:
                base = slug(h.group(2))
                n = seen.get(base, 0)
                seen[base] = n + 1
                anchors.add(base if n == 0 else f"{base}-{n}")
            text = strip_code_spans(line)
            for target in INLINE.findall(text):
                links.append((number, target))
            r = REFDEF.match(text)
            if r:
                links.append((number, r.group(1)))
    return links, anchors


def check(files, root):
    cache = {}

    def anchors_of(p):
        if p not in cache:
            cache[p] = scan(p)[1]
        return cache[p]

    errors = []
    for md in files:
        links, own = scan(md)
        cache[os.path.abspath(md)] = own
        for number, target in links:
            if SCHEME.match(target):
                continue
            path, _, anchor = target.partition("#")
            if path.startswith("/"):
                dest = os.path.join(root, path.lstrip("/"))
            elif path:
                dest = os.path.join(os.path.dirname(md), path)
            else:
                dest = md
            dest = os.path.abspath(dest)
            if not os.path.exists(dest):
                errors.append(f"{os.path.relpath(md, root)}:{number}: {target}: {os.path.relpath(dest, root)} does not exist")
                continue
            if anchor:
                if os.path.isdir(dest) or not dest.endswith(".md"):
                    errors.append(f"{os.path.relpath(md, root)}:{number}: {target}: an anchor into a non-Markdown target")
                elif anchor not in anchors_of(dest):
                    errors.append(
                        f"{os.path.relpath(md, root)}:{number}: {target}: no heading with anchor #{anchor} in "
                        f"{os.path.relpath(dest, root)}"
                    )
    return errors


def repo_files(root):
    out = subprocess.run(
        ["git", "-C", root, "ls-files", "-co", "--exclude-standard", "--", "*.md"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\n")
    return [os.path.join(root, f) for f in out if f and os.path.exists(os.path.join(root, f))]


def self_test():
    with tempfile.TemporaryDirectory() as d:
        os.makedirs(os.path.join(d, "docs"))
        with open(os.path.join(d, "docs", "b.md"), "w") as f:
            f.write("# B page\n\n## `dot` at every start: (2026-12-03, Zen 3)\n## Twice\n## Twice\n")
            f.write('<a id="explicit"></a>\n')
        with open(os.path.join(d, "a.md"), "w") as f:
            f.write(
                "# A\n"
                "[ok](docs/b.md) [ok](docs/b.md#dot-at-every-start-2026-12-03-zen-3)\n"
                "[ok](docs/b.md#twice-1) [ok](docs/b.md#explicit) [ok](#a) [ok](docs/)\n"
                "[ok](https://example.invalid/x) `[not a link](nowhere.md)`\n"
                "```\n[not a link](nowhere.md)\n```\n"
                "[bad](missing.md)\n"
                "[bad](docs/b.md#no-such-heading)\n"
                "[bad]: docs/gone.md\n"
            )
        errors = check([os.path.join(d, "a.md")], d)
        bad = sorted(e.split(": ")[1] for e in errors)
        want = ["docs/b.md#no-such-heading", "docs/gone.md", "missing.md"]
        if bad != want:
            print("check-links self-test FAILED: expected errors for", want, "got:", *errors, sep="\n  ")
            return 1
        print("check-links self-test: ok (3 bad links found, 8 good ones accepted)")
        return 0


def main(argv):
    if argv[1:2] in (["-h"], ["--help"]):
        print(__doc__.strip())
        return 0
    if argv[1:2] == ["--self-test"]:
        return self_test()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    files = argv[1:] or repo_files(root)
    for f in files:
        if not os.path.isfile(f):
            print(f"check-links: {f}: no such file", file=sys.stderr)
            return 2
    errors = check(files, root)
    for e in errors:
        print(e)
    print(f"check-links: {len(files)} Markdown files, {len(errors)} broken links", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
