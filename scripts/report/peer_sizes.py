"""Sizes of the peers as Lambda would take them: unpacked bytes and a deflated zip's bytes.

usage: peer_sizes.py NAME=PATH[,PATH...] ...   (prints JSON)

Directories count every regular file below them (symlinks not followed), as bench-coldstart's
--size does. The zip is built in memory with zipfile's deflate (level 9), one entry per file:
close to what `zip -9` gives, not byte-identical to any particular packaging tool.
"""

import io
import json
import os
import sys
import zipfile


def files(path):
    if os.path.isfile(path):
        yield path, os.path.basename(path)
        return
    base = os.path.dirname(path.rstrip("/"))
    for d, dirs, names in os.walk(path):
        dirs.sort()
        for n in sorted(names):
            p = os.path.join(d, n)
            if os.path.isfile(p) and not os.path.islink(p):
                yield p, os.path.relpath(p, base)


def measure(paths):
    raw = 0
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for path in paths:
            if not os.path.exists(path):
                raise FileNotFoundError(path)
            for p, arc in files(path):
                raw += os.path.getsize(p)
                z.write(p, arc)
    return raw, len(buf.getvalue())


def main():
    out = {}
    for arg in sys.argv[1:]:
        name, sep, spec = arg.partition("=")
        if not sep:
            sys.exit(f"peer_sizes.py: `{arg}` is not NAME=PATH[,PATH...]")
        paths = spec.split(",")
        try:
            raw, zipped = measure(paths)
        except FileNotFoundError as e:
            sys.exit(f"peer_sizes.py: {name}: {e} does not exist")
        out[name] = {"paths": paths, "bytes": raw, "zip_bytes": zipped}
    json.dump(out, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
