#!/usr/bin/env python3
"""A recording TCP relay between a Lambda runtime and cargo-lambda's Runtime API.

The interop script puts it in front of cargo-lambda so that it can check what went over
the wire in both directions (request lines, the headers cargo-lambda sent, how many
connections the runtime opened) instead of trusting either side's own account.

  tap.py proxy LISTEN_PORT TARGET_PORT LOG_DIR MAX_SECONDS
      Relay 127.0.0.1:LISTEN_PORT to 127.0.0.1:TARGET_PORT. Connection N is logged as
      LOG_DIR/N.up (runtime -> emulator bytes) and LOG_DIR/N.down (emulator -> runtime).
      Exits by itself after MAX_SECONDS so a killed caller cannot leave it behind.

  tap.py report LOG_DIR [FIRST_CONN LAST_CONN]
      Parse the logged HTTP/1.1 exchanges and print one JSON object: the connections, each
      request line the runtime sent, and the headers of each response to GET .../next.
      Prints {"error": ...} and exits 1 if a log is not well-formed HTTP/1.1.
"""

import json
import os
import socket
import sys
import threading


def pump(src, dst, log_path):
    with open(log_path, "ab", buffering=0) as log:
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            if not data:
                break
            log.write(data)
            try:
                dst.sendall(data)
            except OSError:
                break
    # Pass the half-close on so each side sees the other's EOF as it happened.
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def proxy(listen_port, target_port, log_dir, max_seconds):
    os.makedirs(log_dir, exist_ok=True)
    timer = threading.Timer(max_seconds, lambda: os._exit(3))
    timer.daemon = True
    timer.start()
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", listen_port))
    srv.listen(16)
    n = 0
    while True:
        client, _ = srv.accept()
        n += 1
        try:
            upstream = socket.create_connection(("127.0.0.1", target_port), timeout=5)
            upstream.settimeout(None)
        except OSError as e:
            print(f"tap: cannot reach 127.0.0.1:{target_port}: {e}", file=sys.stderr)
            client.close()
            continue
        base = os.path.join(log_dir, str(n))
        for src, dst, suffix in ((client, upstream, ".up"), (upstream, client, ".down")):
            t = threading.Thread(target=pump, args=(src, dst, base + suffix), daemon=True)
            t.start()


class Malformed(Exception):
    pass


def read_head(buf, pos):
    end = buf.find(b"\r\n\r\n", pos)
    if end < 0:
        raise Malformed(f"unterminated header block at byte {pos}: {buf[pos:pos + 80]!r}")
    lines = buf[pos:end].decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            raise Malformed(f"header line without a colon: {line!r}")
        headers[name.strip().lower()] = value.strip()
    return lines[0], headers, end + 4


def skip_body(buf, pos, headers, first_line):
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            eol = buf.find(b"\r\n", pos)
            if eol < 0:
                raise Malformed(f"unterminated chunk size line after {first_line!r}")
            size = int(buf[pos:eol].split(b";")[0], 16)
            pos = eol + 2
            if size == 0:
                # No trailers are expected; the last chunk ends with an empty line.
                if buf[pos:pos + 2] != b"\r\n":
                    raise Malformed(f"trailers or bad chunk end after {first_line!r}")
                return pos + 2, "chunked"
            pos += size
            if buf[pos:pos + 2] != b"\r\n":
                raise Malformed(f"chunk not followed by CRLF after {first_line!r}")
            pos += 2
    length = int(headers.get("content-length", "0"))
    if pos + length > len(buf):
        raise Malformed(f"body shorter than content-length {length} after {first_line!r}")
    return pos + length, f"content-length {length}"


def parse(buf, responses):
    out = []
    pos = 0
    while pos < len(buf):
        first, headers, pos = read_head(buf, pos)
        if responses and (first.split(" ")[1:2] == ["204"] or first.split(" ")[1:2] == ["304"]):
            framing = "none"
        else:
            pos, framing = skip_body(buf, pos, headers, first)
        out.append({"line": first, "headers": headers, "framing": framing})
    return out


def report(log_dir, first, last):
    conns = []
    n = first
    while n <= last and os.path.exists(os.path.join(log_dir, f"{n}.up")):
        with open(os.path.join(log_dir, f"{n}.up"), "rb") as f:
            up = f.read()
        down_path = os.path.join(log_dir, f"{n}.down")
        down = b""
        if os.path.exists(down_path):
            with open(down_path, "rb") as f:
                down = f.read()
        try:
            requests = parse(up, responses=False)
            answers = parse(down, responses=True)
        except (Malformed, ValueError) as e:
            print(json.dumps({"error": f"connection {n}: {e}"}))
            sys.exit(1)
        exchanges = []
        for i, req in enumerate(requests):
            ans = answers[i] if i < len(answers) else None
            exchanges.append({
                "request": req["line"],
                "request_headers": req["headers"],
                "request_framing": req["framing"],
                "status": ans["line"] if ans else None,
                "response_headers": ans["headers"] if ans else None,
                "response_framing": ans["framing"] if ans else None,
            })
        conns.append({"conn": n, "exchanges": exchanges})
        n += 1
    print(json.dumps({"connections": conns}))


def main(argv):
    if len(argv) == 6 and argv[1] == "proxy":
        proxy(int(argv[2]), int(argv[3]), argv[4], float(argv[5]))
    elif len(argv) in (3, 5) and argv[1] == "report":
        first = int(argv[3]) if len(argv) == 5 else 1
        last = int(argv[4]) if len(argv) == 5 else 1 << 30
        report(argv[2], first, last)
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main(sys.argv)
