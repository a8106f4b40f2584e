#!/usr/bin/python3
"""A real server of the lab (Tools/lab): a small threaded HTTP/1.1 server.

    GET /                    -> "<name>\\n" (the body names the real server)
    GET /stream?seconds=S    -> chunked body, one line "<name> <n>" every 100 ms for S seconds,
                                then "<name> end <count>" (for long-lived connection tests)

It listens on every address of its namespace (IPv4 and IPv6, so also on the VIPs held on
loopback) on each port of --ports, and appends one JSON line per request to --log:
{"time", "real", "client", "client_port", "local", "local_port", "path"}.
"""
import argparse
import http.server
import json
import os
import signal
import socket
import socketserver
import sys
import threading
import time
import urllib.parse

STREAM_INTERVAL = 0.1
STREAM_MAX_SECONDS = 120


def plain(address):
    """An address as the client sent it: IPv4-mapped IPv6 addresses back to IPv4."""
    return address[7:] if address.startswith("::ffff:") else address


class Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def server_bind(self):
        # Dual stack; and no reverse lookup of our own name (HTTPServer.server_bind does one,
        # which would wait for a resolver the lab cannot reach).
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        socketserver.TCPServer.server_bind(self)
        self.server_name = "lab"
        self.server_port = self.server_address[1]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "usher-lab-real"
    real_name = "real"
    log_file = None
    log_lock = threading.Lock()

    def log_message(self, format, *args):  # the request log below replaces stderr chatter
        pass

    def record(self, path):
        local = self.connection.getsockname()
        entry = {
            "time": time.time(),
            "real": self.real_name,
            "client": plain(self.client_address[0]),
            "client_port": self.client_address[1],
            "local": plain(local[0]),
            "local_port": local[1],
            "path": path,
        }
        with self.log_lock:
            self.log_file.write(json.dumps(entry) + "\n")
            self.log_file.flush()

    def send_body(self, status, text):
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        self.record(self.path)
        if url.path == "/":
            self.send_body(200, f"{self.real_name}\n")
        elif url.path == "/stream":
            self.stream(urllib.parse.parse_qs(url.query))
        else:
            self.send_body(404, f"{self.real_name}: no such path {url.path}\n")

    def stream(self, query):
        try:
            seconds = float(query.get("seconds", ["5"])[0])
        except ValueError:
            self.send_body(400, "seconds must be a number\n")
            return
        seconds = max(0.0, min(seconds, STREAM_MAX_SECONDS))
        count = int(round(seconds / STREAM_INTERVAL))
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        start = time.monotonic()
        for n in range(count):
            self.chunk(f"{self.real_name} {n}\n")
            delay = start + (n + 1) * STREAM_INTERVAL - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        self.chunk(f"{self.real_name} end {count}\n")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def chunk(self, text):
        data = text.encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", required=True, help="the real server's name, sent in every body")
    parser.add_argument("--ports", default="80,8080", help="comma-separated TCP ports")
    parser.add_argument("--log", required=True, help="request log (JSON lines, appended)")
    parser.add_argument("--ready", help="file created once every port listens")
    args = parser.parse_args()

    Handler.real_name = args.name
    Handler.log_file = open(args.log, "a", encoding="utf-8")
    servers = []
    for port in (int(p) for p in args.ports.split(",")):
        try:
            servers.append(Server(("::", port), Handler))
        except OSError as error:
            sys.exit(f"{args.name}: cannot listen on port {port}: {error}")
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    if args.ready:
        open(args.ready, "w").close()

    # Every log line is already flushed: on SIGTERM/SIGINT there is nothing left to save.
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.signal(signal.SIGINT, lambda *_: os._exit(0))
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
