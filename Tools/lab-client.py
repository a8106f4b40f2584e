#!/usr/bin/python3
"""The lab's HTTP client, run in the client namespace (Tools/lab exec NAME client ...).

    lab-client.py get HOST [--port P] [--count N] [--concurrency C]
        N requests, each on its own TCP connection; prints one JSON summary:
        {"requests", "ok", "failed", "by_body": {"real1": n, ...}, "errors": {message: n}, "seconds"}
        --tls [--ca FILE]: over TLS (HTTPS), the certificate verified (against HOST, an IP SAN)
    lab-client.py stream HOST [--port P] --seconds S
        one long-lived GET /stream; prints a JSON line when the first line arrives
        ({"event": "first", "real": ...}) and one at the end ({"event": "done", "intact": ...}).
    lab-client.py udp HOST [--port P] [--count N]
        N request/response exchanges, each from its own UDP port (a new flow each), 3 tries of
        --timeout each; an answer counts only if it comes from HOST:P. Prints
        {"requests", "ok", "failed", "by_real", "seen": [[real, client, local, local_port]: n], "errors"}
    lab-client.py hold HOST [--port P] --connections N [--pause-file PATH]
        opens N TCP connections and holds them all open at once (with --pause-file, idle until
        PATH exists; PATH.open says when all are open), then sends one GET / on each;
        prints {"connections", "established", "open_at_once", "ok", "failed", "by_body", "errors",
        "connect_seconds", "seconds"}
    lab-client.py transfer HOST [--port P] --bytes N
        POST /upload of N bytes and GET /data?bytes=N, each checked byte for byte (SHA-256);
        prints {"upload": {"ok", "real", "seconds", "error"}, "download": {...}}

Everything is bounded: every socket operation by --timeout, every run by --deadline.
--source-port fixes the client ports, so that no two connections of a run share a 5-tuple
(the kernel's choice may repeat a tuple once its connection is closed).
"""
import argparse
import collections
import concurrent.futures
import http.client
import hashlib
import json
import os
import resource
import selectors
import socket
import ssl
import sys
import threading
import time

TLS = None  # an ssl.SSLContext when --tls is given


def connect(host, port, timeout, source_port=None):
    """A connection from `source_port` (None: the kernel picks an ephemeral port)."""
    source = ("", source_port) if source_port else None
    if TLS is not None:
        return http.client.HTTPSConnection(host, port, timeout=timeout, source_address=source, context=TLS)
    return http.client.HTTPConnection(host, port, timeout=timeout, source_address=source)


def get_once(host, port, path, timeout, source_port=None):
    """One request on a fresh connection: ("ok", body) or ("error", message)."""
    conn = connect(host, port, timeout, source_port)
    try:
        conn.request("GET", path, headers={"Connection": "close"})
        response = conn.getresponse()
        body = response.read().decode(errors="replace").strip()
        if response.status != 200:
            return "error", f"HTTP {response.status}: {body[:80]}"
        return "ok", body
    except (OSError, http.client.HTTPException) as error:
        return "error", f"{type(error).__name__}: {error}"
    finally:
        conn.close()


def run_get(args):
    deadline = time.monotonic() + args.deadline
    by_body = collections.Counter()
    errors = collections.Counter()
    lock = threading.Lock()
    issued = 0

    def worker():
        nonlocal issued
        while True:
            with lock:
                if issued >= args.count or time.monotonic() > deadline or sum(errors.values()) >= args.max_errors:
                    return
                source_port = args.source_port + issued if args.source_port else None
                issued += 1
            outcome, detail = get_once(args.host, args.port, args.path, args.timeout, source_port)
            with lock:
                (by_body if outcome == "ok" else errors)[detail] += 1

    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        for future in [pool.submit(worker) for _ in range(args.concurrency)]:
            future.result()
    ok = sum(by_body.values())
    failed = sum(errors.values())
    summary = {
        "requests": args.count,
        "ok": ok,
        "failed": failed + (args.count - ok - failed),  # not issued before the deadline
        "by_body": dict(sorted(by_body.items())),
        "errors": dict(errors.most_common(10)),
        "seconds": round(time.monotonic() - start, 3),
    }
    print(json.dumps(summary), flush=True)
    return 0 if summary["failed"] == 0 else 1


def run_stream(args):
    """Reads a /stream body line by line and checks that it arrived whole and in order."""
    report = {"event": "done", "real": None, "lines": 0, "expected": None, "intact": False, "error": None}
    conn = connect(args.host, args.port, args.timeout, args.source_port)
    start = time.monotonic()
    try:
        conn.request("GET", f"/stream?seconds={args.seconds}", headers={"Connection": "close"})
        response = conn.getresponse()
        if response.status != 200:
            raise http.client.HTTPException(f"HTTP {response.status}")
        expected_next = 0
        while time.monotonic() - start < args.seconds + args.deadline:
            line = response.readline().decode(errors="replace").strip()
            if not line:
                break
            words = line.split()
            if report["real"] is None:
                report["real"] = words[0]
                print(json.dumps({"event": "first", "real": words[0], "line": line}), flush=True)
            if words[0] != report["real"]:
                raise ValueError(f"line from another real server: {line!r}")
            if len(words) == 3 and words[1] == "end":
                report["expected"] = int(words[2])
                continue
            if report["expected"] is not None or int(words[1]) != expected_next:
                raise ValueError(f"line out of order: {line!r} (expected {expected_next})")
            expected_next += 1
            report["lines"] = expected_next
        report["intact"] = report["expected"] is not None and report["lines"] == report["expected"]
        if not report["intact"] and report["error"] is None:
            report["error"] = "the stream ended before its end line"
    except (OSError, ValueError, http.client.HTTPException) as error:
        report["error"] = f"{type(error).__name__}: {error}"
    finally:
        conn.close()
    report["seconds"] = round(time.monotonic() - start, 3)
    print(json.dumps(report), flush=True)
    return 0 if report["intact"] else 1


def run_udp(args):
    """Request/response exchanges over UDP, each from its own source port."""
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    by_real, seen, errors = collections.Counter(), collections.Counter(), collections.Counter()
    deadline = time.monotonic() + args.deadline
    for i in range(args.count):
        if time.monotonic() > deadline or sum(errors.values()) >= args.max_errors:
            errors["not sent: the deadline passed or too many failed"] += args.count - i
            break
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.settimeout(args.timeout)
            sock.bind(("", args.source_port + i) if args.source_port else ("", 0))
            answer, error = None, "no answer"
            for attempt in range(3):
                sock.sendto(f"request {i} try {attempt}".encode(), (args.host, args.port))
                try:
                    data, source = sock.recvfrom(65535)
                except OSError as failure:
                    error = f"{type(failure).__name__}: {failure}"
                    continue
                if (source[0], source[1]) != (args.host, args.port):
                    error = f"answer from {source[0]} port {source[1]}, not from {args.host} port {args.port}"
                    continue
                answer = json.loads(data)
                break
        if answer is None:
            errors[error] += 1
            continue
        by_real[answer["real"]] += 1
        seen[json.dumps([answer["real"], answer["client"], answer["local"], answer["local_port"]])] += 1
    ok = sum(by_real.values())
    summary = {"requests": args.count, "ok": ok, "failed": args.count - ok,
               "by_real": dict(sorted(by_real.items())),
               "seen": [[*json.loads(key), n] for key, n in sorted(seen.items())],
               "errors": dict(errors.most_common(10))}
    print(json.dumps(summary), flush=True)
    return 0 if summary["failed"] == 0 else 1


def run_hold(args):
    """N connections open at once, then one request on each (a selector, no thread per socket)."""
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < args.connections + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, args.connections + 256), hard))
    start = time.monotonic()
    deadline = start + args.deadline
    sel = selectors.DefaultSelector()
    errors, by_body = collections.Counter(), collections.Counter()
    state = {}  # socket -> "connecting" | "open" | "sent"; replies gathered in buffers
    buffers = {}
    pending = list(range(args.connections))
    established = open_now = open_at_once = 0

    def fail(sock, message):
        nonlocal open_now
        if state.get(sock) in ("open", "sent"):
            open_now -= 1
        errors[message] += 1
        state.pop(sock, None)
        sel.unregister(sock)
        sock.close()

    # 1. Connect, at most --pace handshakes in flight; nothing is sent until all are open.
    while (pending or any(v == "connecting" for v in state.values())) and time.monotonic() < deadline:
        if established == 0 and time.monotonic() > start + 10:
            break  # not one handshake in 10 s: the path is broken, waiting longer shows nothing
        connecting = sum(1 for v in state.values() if v == "connecting")
        while pending and connecting < args.pace:
            i = pending.pop(0)
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setblocking(False)
            sock.bind(("", args.source_port + i) if args.source_port else ("", 0))
            sock.connect_ex((args.host, args.port))
            state[sock] = "connecting"
            sel.register(sock, selectors.EVENT_WRITE)
            connecting += 1
        for key, _ in sel.select(timeout=0.2):
            sock = key.fileobj
            if state.get(sock) == "open":  # readable before any request: the server closed it
                fail(sock, "closed by the server before the request")
                continue
            err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                fail(sock, f"connect: {os.strerror(err)}")
                continue
            state[sock] = "open"
            sel.modify(sock, selectors.EVENT_READ)  # a close by the server shows up as readable
            established += 1
            open_now += 1
            open_at_once = max(open_at_once, open_now)
    connect_seconds = time.monotonic() - start
    for sock in [s for s, v in state.items() if v == "connecting"]:
        fail(sock, "connect: no answer before the deadline")
    if args.pause_file:
        # Open and idle until the caller says go (PATH exists): PATH.open tells it they are open.
        with open(args.pause_file + ".open", "w") as ready:
            json.dump({"established": established}, ready)
        while not os.path.exists(args.pause_file) and time.monotonic() < deadline:
            for key, _ in sel.select(timeout=0.2):
                fail(key.fileobj, "closed by the server while idle")
    # 2. Every connection still open sends its request; read until the server closes.
    request = f"GET / HTTP/1.1\r\nHost: {args.host}\r\nConnection: close\r\n\r\n".encode()
    for sock in [s for s, v in state.items() if v == "open"]:
        try:
            sock.send(request)
            state[sock] = "sent"
            buffers[sock] = b""
        except OSError as error:
            fail(sock, f"send: {error}")
    while state and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.2):
            sock = key.fileobj
            try:
                chunk = sock.recv(65536)
            except OSError as error:
                fail(sock, f"recv: {error}")
                continue
            if chunk:
                buffers[sock] += chunk
                continue
            head, _, body = buffers.pop(sock).partition(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 200"):
                fail(sock, f"answer: {head[:40]!r}")
                continue
            by_body[body.decode(errors="replace").strip()] += 1
            state.pop(sock)
            sel.unregister(sock)
            sock.close()
    for sock in list(state):
        fail(sock, "no complete answer before the deadline")
    ok = sum(by_body.values())
    summary = {"connections": args.connections, "established": established, "open_at_once": open_at_once,
               "ok": ok, "failed": args.connections - ok, "by_body": dict(sorted(by_body.items())),
               "errors": dict(errors.most_common(10)), "connect_seconds": round(connect_seconds, 3),
               "seconds": round(time.monotonic() - start, 3)}
    print(json.dumps(summary), flush=True)
    return 0 if summary["failed"] == 0 else 1


def expected_data(size):
    """What GET /data?bytes=N answers (Tools/lab-realserver.py pattern())."""
    block = bytes(range(256)) * 256
    return (block * (size // len(block) + 1))[:size]


def run_transfer(args):
    """An upload and a download of --bytes each, checked byte for byte."""
    report = {}
    payload = expected_data(args.bytes)[::-1]  # not the download's bytes: a mix-up shows
    for name in ("upload", "download"):
        start = time.monotonic()
        result = {"ok": False, "real": None, "seconds": None, "error": None}
        conn = connect(args.host, args.port, args.timeout, args.source_port + (name == "download")
                       if args.source_port else None)
        try:
            if name == "upload":
                conn.request("POST", "/upload", body=payload, headers={"Connection": "close"})
                response = conn.getresponse()
                words = response.read().decode(errors="replace").split()
                expected = [str(args.bytes), hashlib.sha256(payload).hexdigest()]
                result["real"] = words[0] if words else None
                result["ok"] = response.status == 200 and words[1:] == expected
                if not result["ok"]:
                    result["error"] = f"HTTP {response.status}: {' '.join(words)[:120]}"
            else:
                conn.request("GET", f"/data?bytes={args.bytes}", headers={"Connection": "close"})
                response = conn.getresponse()
                body = response.read()
                result["real"] = response.getheader("X-Lab-Real")
                result["ok"] = response.status == 200 and body == expected_data(args.bytes)
                if not result["ok"]:
                    result["error"] = f"HTTP {response.status}, {len(body)} bytes, intact: {body == expected_data(args.bytes)}"
        except (OSError, http.client.HTTPException) as error:
            result["error"] = f"{type(error).__name__}: {error}"
        finally:
            conn.close()
        result["seconds"] = round(time.monotonic() - start, 3)
        report[name] = result
    print(json.dumps(report), flush=True)
    return 0 if all(r["ok"] for r in report.values()) else 1


def main():
    global TLS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    get = sub.add_parser("get", help="many short requests, one connection each")
    get.add_argument("host")
    get.add_argument("--port", type=int, default=80)
    get.add_argument("--path", default="/")
    get.add_argument("--count", type=int, default=100)
    get.add_argument("--concurrency", type=int, default=4)
    get.add_argument("--timeout", type=float, default=3.0, help="seconds per socket operation")
    get.add_argument("--deadline", type=float, default=120.0, help="seconds for the whole run")
    get.add_argument("--source-port", type=int, help="request i uses source port N+i (default: the kernel's choice)")
    get.add_argument("--max-errors", type=int, default=1 << 30, help="stop issuing requests after this many failed")
    get.add_argument("--tls", action="store_true", help="HTTPS, the certificate verified")
    get.add_argument("--ca", help="the CA (or self-signed certificate) to trust with --tls")
    stream = sub.add_parser("stream", help="one long-lived streaming request")
    stream.add_argument("host")
    stream.add_argument("--port", type=int, default=80)
    stream.add_argument("--seconds", type=float, default=5.0)
    stream.add_argument("--timeout", type=float, default=3.0, help="seconds per socket operation")
    stream.add_argument("--deadline", type=float, default=10.0, help="grace beyond --seconds")
    stream.add_argument("--source-port", type=int, help="source port (default: the kernel's choice)")
    udp = sub.add_parser("udp", help="UDP request/response exchanges, one source port each")
    udp.add_argument("host")
    udp.add_argument("--port", type=int, default=9000)
    udp.add_argument("--count", type=int, default=10)
    udp.add_argument("--timeout", type=float, default=1.0, help="seconds to wait for each answer")
    udp.add_argument("--deadline", type=float, default=60.0, help="seconds for the whole run")
    udp.add_argument("--source-port", type=int, help="request i uses source port N+i")
    udp.add_argument("--max-errors", type=int, default=1 << 30, help="stop after this many failed")
    hold = sub.add_parser("hold", help="N connections open at once, then a request on each")
    hold.add_argument("host")
    hold.add_argument("--port", type=int, default=80)
    hold.add_argument("--connections", type=int, default=1000)
    hold.add_argument("--pace", type=int, default=256, help="handshakes in flight at most")
    hold.add_argument("--deadline", type=float, default=60.0, help="seconds for the whole run")
    hold.add_argument("--source-port", type=int, help="connection i uses source port N+i")
    hold.add_argument("--pause-file", help="once all are open, write PATH.open and wait for PATH before the requests")
    transfer = sub.add_parser("transfer", help="an upload and a download, checked byte for byte")
    transfer.add_argument("host")
    transfer.add_argument("--port", type=int, default=80)
    transfer.add_argument("--bytes", type=int, default=2 << 20)
    transfer.add_argument("--timeout", type=float, default=10.0, help="seconds per socket operation")
    transfer.add_argument("--source-port", type=int, help="the upload uses port N, the download N+1")
    args = parser.parse_args()
    count = {"get": "count", "udp": "count", "hold": "connections", "transfer": None, "stream": None}
    n = getattr(args, count[args.command]) if count[args.command] else 2
    if args.source_port and not 1024 <= args.source_port <= 65535 - n:
        parser.error("--source-port N needs N..N+count-1 within 1024..65535")
    if args.command == "get":
        if not 1 <= args.count <= 100000 or not 1 <= args.concurrency <= 64:
            parser.error("--count must be 1..100000 and --concurrency 1..64")
        if args.tls:
            TLS = ssl.create_default_context(cafile=args.ca)
        return run_get(args)
    if args.command == "udp":
        if not 1 <= args.count <= 10000:
            parser.error("--count must be 1..10000")
        return run_udp(args)
    if args.command == "hold":
        if not 1 <= args.connections <= 20000 or not 1 <= args.pace <= 4096:
            parser.error("--connections must be 1..20000 and --pace 1..4096")
        return run_hold(args)
    if args.command == "transfer":
        if not 0 <= args.bytes <= 64 << 20:
            parser.error("--bytes must be 0..64 MiB")
        return run_transfer(args)
    return run_stream(args)


if __name__ == "__main__":
    sys.exit(main())
