"""Truncated and inconsistent headers at every layer, all aimed at a VIP the program would
otherwise balance: each must come back XDP_PASS, byte for byte, counted as pass_malformed.

Each frame is built deliberately short or wrong (scapy for the parts that are right, bytes
cut or fields forced for the part that is not); nothing pads them.
A frame shorter than the 14-byte Ethernet header cannot be tested here: the kernel's
BPF_PROG_TEST_RUN refuses it with EINVAL before the program runs (see test_cases.py).
"""

from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.inet6 import IPv6
from scapy.packet import Raw, raw

import packets as P
import scenarios as S
from case import SAME, Case

VIP4, VIP6 = S.VIP_L2_4, S.VIP_L2_6


def malformed(name, description, frame):
    return Case(name, description, "base", frame, "XDP_PASS", "pass_malformed", expected=SAME,
                checksums=False)


def _ip4(**fields):
    return IP(src=P.CLIENT4, dst=VIP4, id=0x1234, ttl=61, **fields)


def _ip6(**fields):
    return IPv6(src=P.CLIENT6, dst=VIP6, hlim=61, **fields)


def _tcp_bytes():
    return raw(TCP(sport=40000, dport=80, seq=1000, flags="S", window=64240))


def _udp_bytes():
    return raw(UDP(sport=40000, dport=53, len=8 + len(P.PAYLOAD), chksum=0))


def _v4_frame(l3_bytes):
    return P.frame(l3_bytes, ethertype=P.ETH_IPV4)


def _v6_frame(l3_bytes):
    return P.frame(l3_bytes, ethertype=P.ETH_IPV6)


_GOOD_V4 = raw(_ip4(proto=6) / TCP(sport=40000, dport=80, flags="S") / Raw(P.PAYLOAD))


def _patched_v4(offset, value):
    data = bytearray(_GOOD_V4)
    data[offset] = value
    return bytes(data)


def _vlan_cut(tags, keep):
    """Ethernet announcing `tags`, with the last tag cut to `keep` bytes."""
    full = P.frame(P.ipv4(VIP4, P.l4_tcp()), vlans=tags)
    return full[:14 + 4 * (len(tags) - 1) + keep]


CASES = [
    malformed("eth-header-only", "A 14-byte frame that announces IPv4 and carries nothing else.",
              _v4_frame(b"")),
    malformed("vlan-truncated", "An 802.1Q ethertype followed by half a tag.",
              _vlan_cut(((P.TAG_8021Q, 100),), 2)),
    malformed("vlan-second-truncated", "A whole 802.1ad tag, then half of the 802.1Q tag it announces.",
              _vlan_cut(((P.TAG_8021AD, 100), (P.TAG_8021Q, 200)), 2)),
    malformed("ipv4-short", "IPv4 ethertype with 19 bytes: shorter than the minimum header.",
              _v4_frame(_GOOD_V4[:19])),
    malformed("ipv4-ihl-4", "IPv4 with ihl 4 (a 16-byte header cannot exist).",
              _v4_frame(_patched_v4(0, 0x44))),
    malformed("ipv4-ihl-0", "IPv4 with ihl 0.",
              _v4_frame(_patched_v4(0, 0x40))),
    malformed("ipv4-ihl-past-end", "IPv4 with ihl 15 (60 bytes) in a 40-byte packet.",
              _v4_frame(raw(_ip4(proto=6, ihl=15, len=40) / TCP(sport=40000, dport=80, flags="S")))),
    malformed("ipv4-totlen-past-frame", "IPv4 whose tot_len is one byte more than the frame holds.",
              _v4_frame(raw(_ip4(proto=6, len=len(_GOOD_V4) + 1) / TCP(sport=40000, dport=80, flags="S")
                            / Raw(P.PAYLOAD)))),
    malformed("ipv4-totlen-below-header", "IPv4 whose tot_len (19) is smaller than its header.",
              _v4_frame(raw(_ip4(proto=6, len=19) / TCP(sport=40000, dport=80, flags="S") / Raw(P.PAYLOAD)))),
    malformed("ipv4-version-6", "Ethertype IPv4 but version 6 in the header.",
              _v4_frame(_patched_v4(0, 0x65))),
    malformed("ipv6-short", "IPv6 ethertype with 39 bytes: shorter than the fixed header.",
              _v6_frame(raw(_ip6() / TCP(sport=40000, dport=80, flags="S"))[:39])),
    malformed("ipv6-payload-past-frame", "IPv6 whose payload length says 8 bytes more than the frame holds.",
              _v6_frame(raw(_ip6(nh=6, plen=20 + len(P.PAYLOAD) + 8) / TCP(sport=40000, dport=80, flags="S")
                            / Raw(P.PAYLOAD)))),
    malformed("ipv6-ext-truncated", "IPv6 announcing a hop-by-hop header of which 4 bytes are present.",
              _v6_frame(raw(_ip6(nh=0, plen=4)) + b"\x06\x00\x01\x02")),
    malformed("tcp-truncated-v4", "IPv4 TCP with 19 bytes of TCP header (tot_len consistent).",
              _v4_frame(raw(_ip4(proto=6) / Raw(_tcp_bytes()[:19])))),
    malformed("tcp-truncated-v6", "IPv6 TCP with 19 bytes of TCP header (payload length consistent).",
              _v6_frame(raw(_ip6(nh=6) / Raw(_tcp_bytes()[:19])))),
    malformed("tcp-doff-4", "TCP with data offset 4 (a 16-byte header cannot exist).",
              _v4_frame(raw(_ip4(proto=6) / TCP(sport=40000, dport=80, flags="S", dataofs=4) / Raw(P.PAYLOAD)))),
    malformed("tcp-doff-0-v6", "IPv6 TCP with data offset 0.",
              _v6_frame(raw(_ip6(nh=6) / TCP(sport=40000, dport=80, flags="S", dataofs=0) / Raw(P.PAYLOAD)))),
    malformed("tcp-doff-past-end", "A TCP header claiming 60 bytes (doff 15) in a 41-byte segment.",
              _v4_frame(raw(_ip4(proto=6) / TCP(sport=40000, dport=80, flags="S", dataofs=15) / Raw(P.PAYLOAD)))),
    malformed("udp-truncated-v4", "IPv4 UDP with 7 bytes of UDP header.",
              _v4_frame(raw(IP(src=P.CLIENT4, dst=VIP4, id=0x1234, ttl=61, proto=17) / Raw(_udp_bytes()[:7])))),
    malformed("udp-truncated-v6", "IPv6 UDP with 7 bytes of UDP header.",
              _v6_frame(raw(IPv6(src=P.CLIENT6, dst=VIP6, hlim=61, nh=17) / Raw(_udp_bytes()[:7])))),
    malformed("udp-len-past-end", "UDP whose length field says 8 bytes more than the IP packet holds.",
              _v4_frame(raw(IP(src=P.CLIENT4, dst=VIP4, id=0x1234, ttl=61, proto=17)
                            / UDP(sport=40000, dport=53, len=8 + len(P.PAYLOAD) + 8) / Raw(P.PAYLOAD)))),
    malformed("udp-len-below-8", "UDP whose length field (4) is smaller than its own header.",
              _v4_frame(raw(IP(src=P.CLIENT4, dst=VIP4, id=0x1234, ttl=61, proto=17)
                            / UDP(sport=40000, dport=53, len=4) / Raw(P.PAYLOAD)))),
]
