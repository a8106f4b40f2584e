#!/usr/bin/python3
"""The lab's HTTP client, run in the client namespace (Tools/lab exec NAME client ...).

    lab-client.py get HOST [--port P] [--count N] [--concurrency C]
        N requests, each on its own TCP connection; prints one JSON summary:
        {"requests", "ok", "failed", "by_body": {"real1": n, ...}, "errors": {message: n}, "seconds"}
    lab-client.py stream HOST [--port P] --seconds S
        one long-lived GET /stream; prints a JSON line when the first line arrives
        ({"event": "first", "real": ...}) and one at the end ({"event": "done", "intact": ...}).

Everything is bounded: every socket operation by --timeout, every run by --deadline.
--source-port fixes the client ports, so that no two connections of a run share a 5-tuple
(the kernel's choice may repeat a tuple once its connection is closed).
"""
import argparse
import collections
import concurrent.futures
import http.client
import json
import sys
import threading
import time


def connect(host, port, timeout, source_port=None):
    """A connection from `source_port` (None: the kernel picks an ephemeral port)."""
    source = ("", source_port) if source_port else None
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
                if issued >= args.count or time.monotonic() > deadline:
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


def main():
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
    stream = sub.add_parser("stream", help="one long-lived streaming request")
    stream.add_argument("host")
    stream.add_argument("--port", type=int, default=80)
    stream.add_argument("--seconds", type=float, default=5.0)
    stream.add_argument("--timeout", type=float, default=3.0, help="seconds per socket operation")
    stream.add_argument("--deadline", type=float, default=10.0, help="grace beyond --seconds")
    stream.add_argument("--source-port", type=int, help="source port (default: the kernel's choice)")
    args = parser.parse_args()
    if args.command == "get":
        if not 1 <= args.count <= 100000 or not 1 <= args.concurrency <= 64:
            parser.error("--count must be 1..100000 and --concurrency 1..64")
        if args.source_port and not 1024 <= args.source_port <= 65535 - args.count:
            parser.error("--source-port N needs N..N+count-1 within 1024..65535")
        return run_get(args)
    return run_stream(args)


if __name__ == "__main__":
    sys.exit(main())
