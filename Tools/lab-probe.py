#!/usr/bin/python3
"""Long-lived connections with a packet every 10 ms, for failover tests and the demo (Tools/lab).

    lab-probe.py --tcp NAME=HOST:PORT ... --udp NAME=HOST:PORT ... --seconds S [--interval 0.01]

Each --tcp opens one connection, asks GET /echo of the real server (Tools/lab-realserver.py),
then sends an 8-byte sequence number every interval and checks that each comes back, in
order, on the same connection. Each --udp sends a datagram every interval from one source port
and reads the real's answers. Once every connection is up it prints {"event": "ready", ...}; at
the end (S seconds, or SIGTERM) one report: for each probe its name, the real that answered,
how many were sent and came back, the longest gap between two answers (ms) and when it began
(seconds from the start), every gap over 30 ms ([began, ms], at most 100), and the error that
ended it, if any. Every loop is bounded by S.
"""
import argparse
import json
import selectors
import signal
import socket
import struct
import sys
import time

CONNECT_TIMEOUT = 5.0
NOTED_GAP = 0.03
MAX_NOTED = 100


def split_target(text):
    name, _, address = text.partition("=")
    host, _, port = address.rpartition(":")
    return name, host.strip("[]"), int(port)


class Probe:
    def __init__(self, name, kind, host, port, start):
        self.name, self.kind, self.host, self.port, self.start = name, kind, host, port, start
        self.real = None
        self.sent = self.received = 0
        self.error = None
        self.last = None
        self.gap = 0.0
        self.gap_at = None
        self.gaps = []
        self.buffer = b""
        self.outgoing = b""  # sequence numbers the socket did not take yet (a full window)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM)

    def open(self):
        if self.kind == "udp":
            self.sock.connect((self.host, self.port))
            self.sock.setblocking(False)
            return
        self.sock.settimeout(CONNECT_TIMEOUT)
        self.sock.connect((self.host, self.port))
        self.sock.sendall(b"GET /echo HTTP/1.1\r\nHost: lab\r\n\r\n")
        head = b""
        while b"\r\n\r\n" not in head and len(head) < 4096:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise OSError("the real server closed before answering GET /echo")
            head += chunk
        head, _, rest = head.partition(b"\r\n\r\n")
        lines = head.decode(errors="replace").split("\r\n")
        if " 101 " not in lines[0] + " ":
            raise OSError(f"GET /echo: {lines[0]}")
        for line in lines[1:]:
            key, _, value = line.partition(":")
            if key.lower() == "x-lab-real":
                self.real = value.strip()
        self.buffer = rest
        self.sock.setblocking(False)

    def send(self):
        if self.error:
            return
        try:
            if self.kind == "tcp":
                self.outgoing += struct.pack("!Q", self.sent)
                self.sent += 1
                taken = self.sock.send(self.outgoing)
                self.outgoing = self.outgoing[taken:]
            else:
                self.sent += 1
                self.sock.send(b"probe %d" % self.sent)
        except BlockingIOError:
            pass  # a full window (TCP) or queue: sent later (TCP) or lost (UDP, as on the wire)
        except OSError as error:
            self.fail(error)

    def readable(self, now):
        try:
            data = self.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError as error:
            self.fail(error)
            return
        if self.kind == "udp":
            answer = json.loads(data)
            if self.real is None:
                self.real = answer["real"]
            elif answer["real"] != self.real:
                self.fail(f"answered by {answer['real']} after {self.real}")
            self.answered(now)
            return
        if not data:
            self.fail("the connection was closed")
            return
        self.buffer += data
        while len(self.buffer) >= 8:
            (number,), self.buffer = struct.unpack("!Q", self.buffer[:8]), self.buffer[8:]
            if number != self.received:
                self.fail(f"echo {number} came back where {self.received} was expected")
                return
            self.answered(now)

    def answered(self, now):
        if self.last is not None and now - self.last > self.gap:
            self.gap, self.gap_at = now - self.last, self.last - self.start
        if self.last is not None and now - self.last > NOTED_GAP and len(self.gaps) < MAX_NOTED:
            self.gaps.append([round(self.last - self.start, 3), round((now - self.last) * 1000, 1)])
        self.last = now
        self.received += 1

    def fail(self, error):
        if self.error is None:
            self.error = str(error)

    def report(self):
        return {"name": self.name, "kind": self.kind, "target": f"{self.host}:{self.port}", "real": self.real,
                "sent": self.sent, "received": self.received, "max_gap_ms": round(self.gap * 1000, 1),
                "gap_at": None if self.gap_at is None else round(self.gap_at, 3),
                "last_answer_at": None if self.last is None else round(self.last - self.start, 3),
                "gaps": self.gaps, "error": self.error}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tcp", action="append", default=[], help="NAME=HOST:PORT, one connection each")
    parser.add_argument("--udp", action="append", default=[], help="NAME=HOST:PORT, one source port each")
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--interval", type=float, default=0.01)
    args = parser.parse_args()
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    start = time.monotonic()
    probes = [Probe(*split_target(t)[:1], "tcp", *split_target(t)[1:], start) for t in args.tcp]
    probes += [Probe(*split_target(t)[:1], "udp", *split_target(t)[1:], start) for t in args.udp]
    for probe in probes:
        try:
            probe.open()
        except OSError as error:
            print(json.dumps({"event": "failed", "name": probe.name, "error": str(error)}), flush=True)
            return 1
    selector = selectors.DefaultSelector()
    for probe in probes:
        selector.register(probe.sock, selectors.EVENT_READ, probe)
    print(json.dumps({"event": "ready", "probes": {p.name: p.real for p in probes if p.kind == "tcp"}}), flush=True)
    start = time.monotonic()
    for probe in probes:
        probe.start = start
    tick = start
    end = start + args.seconds
    while not stop and time.monotonic() < end:
        for probe in probes:
            probe.send()
        tick += args.interval
        while True:
            timeout = tick - time.monotonic()
            if timeout <= 0:
                break
            for key, _ in selector.select(timeout):
                key.data.readable(time.monotonic())
                if key.data.error:
                    selector.unregister(key.fileobj)
    # The last answers in flight.
    settle = time.monotonic() + 0.5
    while time.monotonic() < settle:
        for key, _ in selector.select(max(0.0, settle - time.monotonic())):
            key.data.readable(time.monotonic())
            if key.data.error:
                selector.unregister(key.fileobj)
    print(json.dumps({"event": "report", "seconds": round(time.monotonic() - start, 3),
                      "probes": [p.report() for p in probes]}), flush=True)
    for probe in probes:
        probe.sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
