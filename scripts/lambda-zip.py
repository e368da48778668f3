#!/usr/bin/env python3
"""Write a Lambda deployment zip holding one executable, `bootstrap`, with reproducible bytes.

usage: lambda-zip.py BINARY OUT.zip

The zip's bytes depend only on the binary's bytes: one entry named `bootstrap` at the root,
Unix mode 0100755 (Lambda execs it as the custom runtime), timestamp fixed at 1980-01-01
00:00:00 (the earliest a zip can say, so no clock or TZ leaks in), no extra fields, no
comment, deflate level 9. Prints `sha256 HEX` and `code_sha256 BASE64` (Lambda's
CodeSha256 for the zip) on stdout.

Exit 0 ok, 1 if the input cannot be read or the written zip does not read back as written.
"""

import base64
import hashlib
import os
import sys
import zipfile

ENTRY = "bootstrap"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
MODE = 0o100755  # regular file, rwxr-xr-x
UNIX = 3  # "made by" system: Unix, so unzip and Lambda honour the mode bits


def write_zip(data, out):
    info = zipfile.ZipInfo(ENTRY, date_time=FIXED_TIME)
    info.create_system = UNIX
    info.external_attr = MODE << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    tmp = out + ".tmp"
    with zipfile.ZipFile(tmp, "w") as zf:
        zf.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    os.replace(tmp, out)


def check_zip(data, out):
    """Read the zip back: exactly one entry, right name, mode and content."""
    with zipfile.ZipFile(out) as zf:
        infos = zf.infolist()
        if [i.filename for i in infos] != [ENTRY]:
            raise ValueError(f"{out}: entries are {[i.filename for i in infos]!r}, want ['{ENTRY}']")
        mode = infos[0].external_attr >> 16
        if mode != MODE:
            raise ValueError(f"{out}: bootstrap mode is {mode:o}, want {MODE:o}")
        if zf.read(ENTRY) != data:
            raise ValueError(f"{out}: bootstrap content differs from the input binary")


def main(argv):
    if len(argv) != 3:
        print("usage: lambda-zip.py BINARY OUT.zip", file=sys.stderr)
        return 1
    binary, out = argv[1], argv[2]
    try:
        with open(binary, "rb") as f:
            data = f.read()
        write_zip(data, out)
        check_zip(data, out)
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
