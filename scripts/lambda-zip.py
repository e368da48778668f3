#!/usr/bin/env python3
"""Write a Lambda deployment zip with reproducible bytes.

usage: lambda-zip.py BINARY OUT.zip [FILE...]
       lambda-zip.py --layer OUT.zip FILE...

The first form writes a function zip: `bootstrap` (the BINARY's bytes) at the root, Unix mode
0100755 (Lambda execs it as the custom runtime), then each FILE at the root under its base
name, mode 0100644 (data beside the bootstrap, e.g. a model's weights: Lambda extracts them
to /var/task). `--layer` writes a layer zip of the FILEs alone, mode 0100644 (Lambda extracts
a layer under /opt). The bytes depend only on the inputs' bytes and names: timestamps fixed
at 1980-01-01 00:00:00 (the earliest a zip can say, so no clock or TZ leaks in), no extra
fields, no comment, deflate level 9. Prints `sha256 HEX` and `code_sha256 BASE64` (Lambda's
CodeSha256 for the zip) on stdout.

Exit 0 ok, 1 if an input cannot be read or the written zip does not read back as written.
"""

import base64
import hashlib
import os
import sys
import zipfile

ENTRY = "bootstrap"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
EXEC_MODE = 0o100755  # regular file, rwxr-xr-x
DATA_MODE = 0o100644  # regular file, rw-r--r--
UNIX = 3  # "made by" system: Unix, so unzip and Lambda honour the mode bits


def write_zip(entries, out):
    """entries: [(name, mode, path)]; each file is read, written and dropped in turn."""
    tmp = out + ".tmp"
    with zipfile.ZipFile(tmp, "w") as zf:
        for name, mode, path in entries:
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.create_system = UNIX
            info.external_attr = mode << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(path, "rb") as f:
                data = f.read()
            zf.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    os.replace(tmp, out)


def check_zip(entries, out):
    """Read the zip back: exactly these entries, in order, with their modes and contents."""
    with zipfile.ZipFile(out) as zf:
        infos = zf.infolist()
        names = [i.filename for i in infos]
        if names != [e[0] for e in entries]:
            raise ValueError(f"{out}: entries are {names!r}, want {[e[0] for e in entries]!r}")
        for info, (name, mode, path) in zip(infos, entries):
            got = info.external_attr >> 16
            if got != mode:
                raise ValueError(f"{out}: {name} mode is {got:o}, want {mode:o}")
            with open(path, "rb") as f:
                if zf.read(name) != f.read():
                    raise ValueError(f"{out}: {name} differs from {path}")


def main(argv):
    layer = len(argv) > 1 and argv[1] == "--layer"
    args = argv[2:] if layer else argv[1:]
    if len(args) < 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 1
    if layer:
        out, files = args[0], args[1:]
        entries = []
    else:
        binary, out, files = args[0], args[1], args[2:]
        entries = [(ENTRY, EXEC_MODE, binary)]
    entries += [(os.path.basename(f), DATA_MODE, f) for f in files]
    if len({e[0] for e in entries}) != len(entries):
        print(f"lambda-zip: two entries share a name: {[e[0] for e in entries]}", file=sys.stderr)
        return 1
    try:
        write_zip(entries, out)
        check_zip(entries, out)
        with open(out, "rb") as f:
            digest = hashlib.sha256(f.read()).digest()
    except (OSError, ValueError, zipfile.BadZipFile) as e:
        print(f"lambda-zip: {e}", file=sys.stderr)
        return 1
    print(f"sha256 {digest.hex()}")
    print(f"code_sha256 {base64.b64encode(digest).decode()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
