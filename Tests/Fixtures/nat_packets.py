"""Builders for the nat and gateway fixtures: a client's packet, a real's reply, ICMP errors
quoting either, and the rewrites nat.md specifies, each with every checksum computed from
scratch by scapy (never derived from the program's output).

A rewrite re-dissects the packet from its bytes, changes addresses and ports, and lets scapy
recompute the IPv4 header and TCP/UDP checksums; an IPv4 UDP checksum of 0 ("none") stays 0,
and a UDP checksum that computes to 0 is 0xFFFF (scapy's rule and RFC 768's). Nothing else
changes: TTL / hop limit, IP id, TOS, flow label, TCP sequence numbers and options.
"""

import struct

from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.inet6 import (IPv6, ICMPv6DestUnreach, ICMPv6PacketTooBig,
                                ICMPv6TimeExceeded)
from scapy.packet import Raw, raw
from scapy.utils import checksum

import packets as P

LB_SERVER_MAC = "02:00:00:00:00:0c"  # the balancer's MAC on the reals' side (replies arrive to it)
REAL_ROUTER4 = "198.51.100.1"        # a router between the balancer and the reals
REAL_ROUTER6 = "2001:db8:1::1"
CLIENT_ROUTER4 = "192.0.2.254"       # a router between the clients and the balancer
CLIENT_ROUTER6 = "2001:db8:c::fe"


def is_v6(l3):
    return isinstance(l3, IPv6)


def l4_of(l3):
    return l3[TCP] if l3.haslayer(TCP) else l3[UDP]


def client(vip, l4, src=None, **fields):
    """A client's packet to a VIP (IPv4 or IPv6 by the VIP's family)."""
    if ":" in vip:
        return P.ipv6(vip, l4, src=src or P.CLIENT6, **fields)
    return P.ipv4(vip, l4, src=src or P.CLIENT4, **fields)


def udp_no_checksum(sport=40000, dport=53):
    """IPv4 UDP sent without a checksum (0: allowed over IPv4 only)."""
    return UDP(sport=sport, dport=dport, chksum=0)


def rewrite(l3, src=None, dst=None, sport=None, dport=None):
    """l3 with the given addresses/ports replaced and its checksums computed afresh."""
    packet = (IPv6 if is_v6(l3) else IP)(raw(l3))
    if src is not None:
        packet.src = src
    if dst is not None:
        packet.dst = dst
    if not is_v6(packet):
        packet.chksum = None
    l4 = l4_of(packet)
    if sport is not None:
        l4.sport = sport
    if dport is not None:
        l4.dport = dport
    if not (isinstance(l4, UDP) and not is_v6(packet) and l4.chksum == 0):
        l4.chksum = None
    return (IPv6 if is_v6(l3) else IP)(raw(packet))


def to_real(l3, real, real_port, snat=None, snat_port=None):
    """nat.md forward rewrite: destination = real:real_port; nat: source = snat:snat_port
    (gateway: snat None, the client's source kept)."""
    return rewrite(l3, src=snat, dst=real, sport=snat_port, dport=real_port)


def reply_of(sent, flags="SA", payload=b"usher reply"):
    """What a real answers to `sent` (the packet as it reached the real): addresses and ports
    swapped, TTL/hop limit 64."""
    l4 = l4_of(sent)
    if isinstance(l4, TCP):
        answer = TCP(sport=l4.dport, dport=l4.sport, seq=5000, ack=l4.seq + 1, flags=flags,
                     window=65160)
    else:
        answer = UDP(sport=l4.dport, dport=l4.sport)
    if is_v6(sent):
        packet = IPv6(src=sent.dst, dst=sent.src, hlim=64, fl=0x54321) / answer
    else:
        packet = IP(src=sent.dst, dst=sent.src, id=0x4321, ttl=64, flags="DF") / answer
    return packet / Raw(payload) if payload else packet


def to_client(reply, vip, vip_port, client_addr, client_port):
    """nat.md reply rewrite: source = VIP:port, destination = the client's address and port."""
    return rewrite(reply, src=vip, dst=client_addr, sport=vip_port, dport=client_port)


def real_frame(l3, real_mac, vlans=()):
    """A frame as the real (or its router) sends it to the balancer's server-side MAC."""
    return P.frame(l3, vlans=vlans, dst=LB_SERVER_MAC, src=real_mac)


def forwarded(l3, real_mac, vlans=(), local_mac=P.LB_MAC):
    """The frame the balancer sends to a real: to the real's MAC from the balancer's (the
    client frame's destination: XDP_TX)."""
    return P.frame(l3, vlans=vlans, dst=real_mac, src=local_mac)


def to_client_frame(l3, vlans=(), client_mac=P.ROUTER_MAC, local_mac=P.LB_MAC):
    """A reply leaving towards the client: "auto last hop": destination = the source MAC of
    the client's frames (its router), source = the MAC those frames were sent to."""
    return P.frame(l3, vlans=vlans, dst=client_mac, src=local_mac)


# ---- ICMP errors ----------------------------------------------------------------------

def icmp4_error(src, dst, quoted, kind=3, code=4, mtu=1280, ttl=64):
    """IPv4 ICMP error (destination unreachable / fragmentation needed (code 4, the next-hop MTU
    in bytes 6-7) / time exceeded) from src to dst quoting `quoted` (bytes)."""
    rest = mtu if (kind, code) == (3, 4) else 0
    header = struct.pack("!BBHHH", kind, code, 0, 0, rest)
    message = bytearray(header + bytes(quoted))
    message[2:4] = struct.pack("!H", checksum(bytes(message)))
    return IP(src=src, dst=dst, id=0x0777, ttl=ttl, proto=1) / Raw(bytes(message))


def icmp6_error(src, dst, quoted, kind="too-big", mtu=1280, code=0, hlim=64):
    """ICMPv6 error (packet too big with its MTU, destination unreachable, time exceeded) from
    src to dst quoting `quoted`; scapy computes the checksum over the pseudo-header."""
    layer = {"too-big": lambda: ICMPv6PacketTooBig(mtu=mtu),
             "unreachable": lambda: ICMPv6DestUnreach(code=code),
             "time-exceeded": lambda: ICMPv6TimeExceeded(code=code)}[kind]()
    return IPv6(src=src, dst=dst, hlim=hlim) / layer / Raw(bytes(quoted))


def quote(l3, length=None):
    """The first `length` bytes of a packet (all of it by default), as an ICMP error quotes it."""
    data = raw(l3)
    return data if length is None else data[:length]


def same_error(error, quoted, src=None, dst=None):
    """The ICMP error `error` with its quote replaced and outer addresses changed; every
    checksum (outer IPv4 header, ICMP / ICMPv6 with its pseudo-header) computed afresh.
    Type, code and MTU stay."""
    if is_v6(error):
        icmp = error.payload.copy()
        icmp.remove_payload()
        icmp.cksum = None
        outer = IPv6(src=src or error.src, dst=dst or error.dst, hlim=error.hlim, fl=error.fl,
                     tc=error.tc)
        return IPv6(raw(outer / icmp / Raw(bytes(quoted))))
    message = bytearray(raw(error.payload)[:8] + bytes(quoted))
    message[2:4] = b"\0\0"
    message[2:4] = struct.pack("!H", checksum(bytes(message)))
    outer = IP(src=src or error.src, dst=dst or error.dst, id=error.id, ttl=error.ttl, proto=1,
               tos=error.tos, flags=error.flags)
    return IP(raw(outer / Raw(bytes(message))))
