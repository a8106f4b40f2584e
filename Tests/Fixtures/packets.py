"""Packet builders for the fixtures, on scapy.

Inputs are what a client's router hands the balancer; expected outputs are built from
contracts.md with the same builders (never derived from what the program returned).
Frames are never padded: scapy's raw() emits exactly the layers given, and every helper
returns bytes of exactly the length its layers add up to (checked in frame()).
"""

from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import (ICMPv6EchoRequest, IPv6, IPv6ExtHdrDestOpt, PadN,
                                IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting)
from scapy.layers.l2 import ARP, Dot1Q, Ether
from scapy.packet import Packet, Raw, raw

import flowhash

# The lab: clients in 192.0.2.0/24 and 2001:db8:c::/48, VIPs in 203.0.113.0/24 and
# 2001:db8:f::/48, real servers in 198.51.100.0/24 and 2001:db8:1::/48.
CLIENT4 = "192.0.2.1"
CLIENT6 = "2001:db8:c::1"
ROUTER_MAC = "02:00:00:00:00:01"  # the client-side router that sent the frame
LB_MAC = "02:00:00:00:00:0b"      # the balancer's interface: the frame's destination
ETH_IPV4 = 0x0800
ETH_IPV6 = 0x86DD
PAYLOAD = b"usher fixture payload"

TAG_8021Q = 0x8100
TAG_8021AD = 0x88A8


def l4_tcp(sport=40000, dport=80, flags="S", doff=None, options=()):
    return TCP(sport=sport, dport=dport, seq=1000, ack=0 if flags == "S" else 1,
               flags=flags, window=64240, dataofs=doff, options=list(options))


def opens_flow(frame):
    """Whether a dsr first packet counts a new flow (ct_new): anything but TCP, or a bare SYN
    (SYN without ACK). Another TCP packet of an untracked tuple makes the flow's entry
    (ct_confirmed): its SYN, which made none, was the new flow (BPF/lib/conntrack.h)."""
    tcp = Ether(frame).getlayer(TCP)
    return tcp is None or (int(tcp.flags) & 0x12) == 0x02


# What a Linux client puts in a SYN: MSS, SACK permitted, timestamps, window scale (doff 10).
SYN_OPTIONS = (("MSS", 1460), ("SAckOK", b""), ("Timestamp", (12345, 0)), ("NOP", None),
               ("WScale", 7))


def l4_udp(sport=40000, dport=53):
    return UDP(sport=sport, dport=dport)


def ipv4(dst, l4, src=CLIENT4, tos=0, options=None, payload=PAYLOAD, **fields):
    """A client's IPv4 packet (id and ttl fixed so bytes are stable)."""
    header = IP(src=src, dst=dst, tos=tos, id=0x1234, ttl=61, **fields)
    if options is not None:
        header.options = options
    packet = header / l4
    return packet / Raw(payload) if payload else packet


def ipv6(dst, l4, src=CLIENT6, tc=0, ext=(), payload=PAYLOAD):
    """A client's IPv6 packet, with extension headers `ext` (scapy layers) before l4."""
    packet = IPv6(src=src, dst=dst, tc=tc, fl=0x12345, hlim=61)
    for header in ext:
        packet = packet / header
    packet = packet / l4
    return packet / Raw(payload) if payload else packet


def _ethertype(l3):
    if isinstance(l3, Packet):
        if isinstance(l3, IPv6):
            return ETH_IPV6
        if isinstance(l3, IP):
            return ETH_IPV4
        if isinstance(l3, ARP):
            return 0x0806
    raise ValueError(f"give the ethertype explicitly for {l3!r}")


def frame(l3, *, vlans=(), dst=LB_MAC, src=ROUTER_MAC, ethertype=None):
    """Ethernet (+ VLAN tags, outermost first: ((TPID, VID), ...)) around l3 (a scapy layer
    or bytes). Returns the exact bytes; no padding is ever added."""
    inner_type = ethertype if ethertype is not None else _ethertype(l3)
    tpids = [tpid for tpid, _ in vlans]
    packet = Ether(dst=dst, src=src, type=tpids[0] if tpids else inner_type)
    for index, (_, vid) in enumerate(vlans):
        next_type = tpids[index + 1] if index + 1 < len(tpids) else inner_type
        packet = packet / Dot1Q(prio=0, id=0, vlan=vid, type=next_type)
    body = raw(l3) if isinstance(l3, Packet) else bytes(l3)
    data = raw(packet) + body
    assert len(data) == 14 + 4 * len(vlans) + len(body), "scapy padded a frame"
    return data


def copy_l3(l3):
    """A fresh copy of a scapy packet, so input and expected never share mutable layers."""
    return l3.copy()


# ---- Expected outputs, straight from contracts.md "Rewrite" ----------------------------

def dsr_l2(l3, real_mac, vlans=(), trailer=b""):
    """dsr-l2: destination MAC = the real's, source = the frame's original destination (the
    balancer), VLAN tags as they were, nothing else changed."""
    return frame(copy_l3(l3), vlans=vlans, dst=real_mac, src=LB_MAC) + trailer


def client_hash(l3, source_only=False):
    """The flow hash of a client packet (reads the tuple off the scapy layers)."""
    if isinstance(l3, IPv6):
        src, dst = l3.src, l3.dst
        proto = 6 if l3.haslayer(TCP) else 17
    else:
        src, dst, proto = l3.src, l3.dst, l3.proto
    l4 = l3[TCP] if l3.haslayer(TCP) else l3[UDP]
    return flowhash.flow_hash(src, dst, l4.sport, l4.dport, proto, source_only=source_only)


def dsr_ipip4(l3, real, real_mac, encap_prefix, vlans=(), trailer=b"", source_only=False):
    """dsr-ipip, IPv4 in IPv4: outer header after Ethernet/VLAN, ethertype unchanged."""
    inner = copy_l3(l3)
    inner_len = len(raw(inner))
    outer = IP(version=4, ihl=5, tos=inner.tos, len=inner_len + 20, id=0, flags="DF", frag=0,
               ttl=64, proto=4,
               src=flowhash.encap_source_v4(encap_prefix, client_hash(l3, source_only)),
               dst=real)
    return frame(outer / inner, vlans=vlans, dst=real_mac, src=LB_MAC) + trailer


def dsr_ipip6(l3, real, real_mac, encap_prefix, vlans=(), trailer=b"", source_only=False):
    """dsr-ipip, IPv6 in IPv6: traffic class copied, flow label from the hash."""
    inner = copy_l3(l3)
    hash_value = client_hash(l3, source_only)
    outer = IPv6(version=6, tc=inner.tc, fl=flowhash.flow_label(hash_value),
                 plen=len(raw(inner)), nh=41, hlim=64,
                 src=flowhash.encap_source_v6(encap_prefix, hash_value), dst=real)
    return frame(outer / inner, vlans=vlans, dst=real_mac, src=LB_MAC) + trailer


# ---- Things that are not balanced ----------------------------------------------------

def arp_request(target="203.0.113.10"):
    return frame(ARP(op=1, hwsrc=ROUTER_MAC, psrc="203.0.113.1", hwdst="00:00:00:00:00:00",
                     pdst=target), dst="ff:ff:ff:ff:ff:ff")


def icmp4_echo(dst):
    return frame(IP(src=CLIENT4, dst=dst, id=0x1234, ttl=61) / ICMP(type=8, id=7, seq=1) / Raw(PAYLOAD))


def icmp6_echo(dst):
    return frame(IPv6(src=CLIENT6, dst=dst, hlim=61) / ICMPv6EchoRequest(id=7, seq=1) / Raw(PAYLOAD))


def hop_by_hop(pad_to=8):
    """A hop-by-hop header of pad_to bytes (a multiple of 8), filled with a PadN option."""
    if pad_to == 8:
        return IPv6ExtHdrHopByHop()
    return IPv6ExtHdrHopByHop(options=[PadN(optdata=bytes(pad_to - 4))])


def dest_opts():
    return IPv6ExtHdrDestOpt()


def routing_done(final_dst):
    """A type-0-free routing header already at its last segment (segleft 0): no effect on
    where the packet goes or on the TCP pseudo header."""
    return IPv6ExtHdrRouting(type=2, segleft=0, addresses=[final_dst])


def fragment6(offset=0, more=1):
    return IPv6ExtHdrFragment(offset=offset, m=more, id=0xABCD)
