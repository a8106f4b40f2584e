#!/usr/bin/python3
"""A real server of the lab (Tools/lab): a small threaded HTTP/1.1 server and a UDP responder.

    GET /                    -> "<name>\\n" (the body names the real server)
    GET /stream?seconds=S    -> chunked body, one line "<name> <n>" every 100 ms for S seconds,
                                then "<name> end <count>" (for long-lived connection tests)
    GET /healthz             -> "ok" (for the proxy's health checks)
    GET /data?bytes=N        -> N bytes (at most 64 MiB) of a fixed pattern (see pattern())
    GET /echo                -> 101 Switching Protocols (header X-Lab-Real: <name>), then every
                                byte the client sends comes back, until it closes (or is idle
                                for 60 s): a long-lived connection whose bytes the client checks
    POST /upload             -> "<name> <bytes> <sha256>" of the request body (at most 64 MiB)
    UDP datagram             -> one JSON datagram {"real", "client", "client_port", "local",
                                "local_port", "bytes"}: the addresses as this server saw them

It listens on every address of its namespace (IPv4 and IPv6, so also on the VIPs held on
loopback) on each TCP port of --ports and each UDP port of --udp-ports, answers each datagram
from the address it was sent to (IP_PKTINFO, so source-based routing sees the right source),
and appends one JSON line per request or datagram to --log: {"time", "real", "proto", "client",
"client_port", "local", "local_port", "path", "forwarded_for"} (path "udp" for datagrams;
forwarded_for is the X-Forwarded-For header a proxy added, or null).
"""
import argparse
import hashlib
import http.server
import json
import os
import resource
import signal
import socket
import socketserver
import sys
import threading
import time
import urllib.parse

STREAM_INTERVAL = 0.1
ECHO_IDLE_SECONDS = 60
STREAM_MAX_SECONDS = 120
MAX_TRANSFER = 64 << 20
IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)  # Linux's value; Python 3.11 does not name it


def pattern(size):
    """The body of GET /data?bytes=N: bytes 0..255 over and over, cut at N (clients check it)."""
    block = bytes(range(256)) * 256
    return (block * (size // len(block) + 1))[:size]


def plain(address):
    """An address as the client sent it: IPv4-mapped IPv6 addresses back to IPv4."""
    return address[7:] if address.startswith("::ffff:") else address


class Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 4096  # thousands of connections may arrive at once (capped by somaxconn)

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

    def log_message(self, format, *args):  # the request log below replaces stderr chatter
        pass

    def record(self, path):
        local = self.connection.getsockname()
        log(self.real_name, "tcp", self.client_address, local, path, self.headers.get("X-Forwarded-For"))

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
        elif url.path == "/healthz":
            self.send_body(200, "ok\n")
        elif url.path == "/stream":
            self.stream(urllib.parse.parse_qs(url.query))
        elif url.path == "/data":
            self.data(urllib.parse.parse_qs(url.query))
        elif url.path == "/echo":
            self.echo()
        else:
            self.send_body(404, f"{self.real_name}: no such path {url.path}\n")

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        self.record(self.path)
        if url.path != "/upload":
            self.send_body(404, f"{self.real_name}: no such path {url.path}\n")
            return
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self.send_body(411, "POST /upload needs a Content-Length\n")
            return
        if not 0 <= length <= MAX_TRANSFER:
            self.send_body(413, f"at most {MAX_TRANSFER} bytes\n")
            return
        digest, left = hashlib.sha256(), length
        while left > 0:
            chunk = self.rfile.read(min(left, 1 << 16))
            if not chunk:
                return  # the client went away mid-body
            digest.update(chunk)
            left -= len(chunk)
        self.send_body(200, f"{self.real_name} {length} {digest.hexdigest()}\n")

    def data(self, query):
        try:
            size = int(query.get("bytes", ["0"])[0])
        except ValueError:
            size = -1
        if not 0 <= size <= MAX_TRANSFER:
            self.send_body(400, f"bytes must be 0..{MAX_TRANSFER}\n")
            return
        self.send_response(200)
        self.send_header("X-Lab-Real", self.real_name)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        self.wfile.write(pattern(size))

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

    def echo(self):
        self.send_response(101)
        self.send_header("Upgrade", "echo")
        self.send_header("Connection", "Upgrade")
        self.send_header("X-Lab-Real", self.real_name)
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        self.connection.settimeout(ECHO_IDLE_SECONDS)
        try:
            pending = self.rfile.peek() if hasattr(self.rfile, "peek") else b""
            if pending:
                self.connection.sendall(self.rfile.read(len(pending)))
            while True:
                data = self.connection.recv(65536)
                if not data:
                    return
                self.connection.sendall(data)
        except OSError:
            return

    def chunk(self, text):
        data = text.encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()


LOG_LOCK = threading.Lock()
LOG_FILE = None


def log(real, proto, client, local, path, forwarded_for=None):
    entry = {
        "time": time.time(),
        "real": real,
        "proto": proto,
        "client": plain(client[0]),
        "client_port": client[1],
        "local": plain(local[0]),
        "local_port": local[1],
        "path": path,
        "forwarded_for": forwarded_for,
    }
    with LOG_LOCK:
        LOG_FILE.write(json.dumps(entry) + "\n")
        LOG_FILE.flush()


def udp_sockets(port):
    """An IPv4 and an IPv6 socket on `port` that report each datagram's destination address."""
    v4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    v4.setsockopt(socket.SOL_IP, IP_PKTINFO, 1)
    v4.bind(("0.0.0.0", port))
    v6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    v6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    v6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVPKTINFO, 1)
    v6.bind(("::", port))
    return [v4, v6]


def serve_udp(sock, name):
    """Answers every datagram with what this server saw, from the address it was sent to."""
    v6 = sock.family == socket.AF_INET6
    port = sock.getsockname()[1]
    while True:
        try:
            data, ancillary, _, client = sock.recvmsg(65535, 256)
        except OSError:
            continue
        local = None
        for level, kind, value in ancillary:
            if v6 and level == socket.IPPROTO_IPV6 and kind == socket.IPV6_PKTINFO:
                local = socket.inet_ntop(socket.AF_INET6, value[:16])
            elif not v6 and level == socket.SOL_IP and kind == IP_PKTINFO:
                local = socket.inet_ntop(socket.AF_INET, value[8:12])  # ipi_addr: the header's
        if local is None:
            continue
        log(name, "udp", client, (local, port), "udp")
        answer = json.dumps({"real": name, "client": client[0], "client_port": client[1],
                             "local": local, "local_port": port, "bytes": len(data)}).encode()
        if v6:
            info = (socket.IPPROTO_IPV6, socket.IPV6_PKTINFO,
                    socket.inet_pton(socket.AF_INET6, local) + (0).to_bytes(4, "little"))
        else:  # in_pktinfo {ifindex 0, ipi_spec_dst = our address, ipi_addr unused}
            info = (socket.SOL_IP, IP_PKTINFO, bytes(4) + socket.inet_aton(local) + bytes(4))
        try:
            sock.sendmsg([answer], [info], 0, client)
        except OSError:
            pass  # no route back: the client retries or gives up


def main():
    global LOG_FILE
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", required=True, help="the real server's name, sent in every body")
    parser.add_argument("--ports", default="80,8080", help="comma-separated TCP ports")
    parser.add_argument("--udp-ports", default="", help="comma-separated UDP ports (default none)")
    parser.add_argument("--log", required=True, help="request log (JSON lines, appended)")
    parser.add_argument("--ready", help="file created once every port listens")
    args = parser.parse_args()

    # A thread per connection, and thousands of connections at once in the lab's load tests.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))
    threading.stack_size(512 << 10)
    Handler.real_name = args.name
    LOG_FILE = open(args.log, "a", encoding="utf-8")
    servers, udp = [], []
    for port in (int(p) for p in args.ports.split(",") if p):
        try:
            servers.append(Server(("::", port), Handler))
        except OSError as error:
            sys.exit(f"{args.name}: cannot listen on TCP port {port}: {error}")
    for port in (int(p) for p in args.udp_ports.split(",") if p):
        try:
            udp += udp_sockets(port)
        except OSError as error:
            sys.exit(f"{args.name}: cannot listen on UDP port {port}: {error}")
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    for sock in udp:
        threading.Thread(target=serve_udp, args=(sock, args.name), daemon=True).start()
    # Every log line is already flushed: on SIGTERM/SIGINT there is nothing left to save. Set
    # before the ready file, so that a stop right after a start cannot find Python's default.
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.signal(signal.SIGINT, lambda *_: os._exit(0))
    if args.ready:
        open(args.ready, "w").close()

    while True:
        signal.pause()


if __name__ == "__main__":
    main()
