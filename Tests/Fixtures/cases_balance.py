"""Fixtures of packets the program balances (XDP_TX) or drops for want of a real.

Expected outputs are built from contracts.md "Rewrite" with the builders in packets.py; the
IP-in-IP outer source and IPv6 flow label come from flowhash.py, so these cases also prove
that the program's hash matches the specification bit for bit.
"""

from scapy.layers.inet import IPOption_EOL, IPOption_NOP, IPOption_RR

import packets as P
import scenarios as S
from case import Case

QINQ = ((P.TAG_8021AD, 100), (P.TAG_8021Q, 200))
ONE_TAG = ((P.TAG_8021Q, 100),)
DSCP_EF = 0xB8  # tos / traffic class the outer header must copy


def _encap(scenario, family):
    table = {"base": S.ENCAP_HASHED, "fixed-source": S.ENCAP_FIXED, "wide-source": S.ENCAP_WIDE}[scenario]
    return table["source-v4" if family == 4 else "source-v6"]


def l2(name, description, service, l3, vlans=(), trailer=b"", scenario="base"):
    address, mac = S.REALS[service]
    return Case(name, description, scenario,
                packet=P.frame(l3, vlans=vlans) + trailer, verdict="XDP_TX", reason="tx",
                expected=P.dsr_l2(l3, mac, vlans=vlans, trailer=trailer),
                service=service, real=address)


def ipip(name, description, service, l3, vlans=(), trailer=b"", scenario="base"):
    address, mac = S.REALS[service]
    if service.endswith("6"):
        expected = P.dsr_ipip6(l3, address, mac, _encap(scenario, 6), vlans=vlans, trailer=trailer)
    else:
        expected = P.dsr_ipip4(l3, address, mac, _encap(scenario, 4), vlans=vlans, trailer=trailer)
    return Case(name, description, scenario,
                packet=P.frame(l3, vlans=vlans) + trailer, verdict="XDP_TX", reason="tx",
                expected=expected, service=service, real=address)


def _v4(vip, l4, **kw):
    return P.ipv4(vip, l4, **kw)


def _v6(vip, l4, **kw):
    return P.ipv6(vip, l4, **kw)


SHORT_OPTIONS = [IPOption_NOP(), IPOption_NOP(), IPOption_NOP(), IPOption_EOL()]  # ihl 6
LONG_OPTIONS = [IPOption_RR(routers=["198.51.100.1"] * 9), IPOption_EOL()]      # ihl 15

CASES = [
    # ---- dsr-l2 ----
    l2("l2-syn-v4", "An IPv4 SYN to a dsr-l2 VIP leaves with only the MACs changed: destination "
       "the real's, source the balancer's (the frame's original destination).",
       "l2-tcp4", _v4(S.VIP_L2_4, P.l4_tcp())),
    l2("l2-syn-v6", "An IPv6 SYN to a dsr-l2 VIP leaves with only the MACs changed.",
       "l2-tcp6", _v6(S.VIP_L2_6, P.l4_tcp())),
    l2("l2-ack-v4", "A first packet that is not a SYN (mid-stream ACK with data) is balanced too.",
       "l2-tcp4", _v4(S.VIP_L2_4, P.l4_tcp(sport=40001, flags="PA"))),
    l2("l2-syn-options-v4", "A SYN with the options a Linux client sends (doff 10) is balanced "
       "unchanged past its MACs.",
       "l2-tcp4", _v4(S.VIP_L2_4, P.l4_tcp(options=P.SYN_OPTIONS))),
    l2("l2-df-v4", "IPv4 with DF set (what Linux clients send) is not mistaken for a fragment.",
       "l2-tcp4", _v4(S.VIP_L2_4, P.l4_tcp(), flags="DF")),
    l2("l2-udp-v4", "IPv4 UDP to a dsr-l2 VIP is balanced like TCP.",
       "l2-udp4", _v4(S.VIP_L2_4, P.l4_udp())),
    l2("l2-udp-v6", "IPv6 UDP to a dsr-l2 VIP is balanced like TCP.",
       "l2-udp6", _v6(S.VIP_L2_6, P.l4_udp())),
    l2("l2-vlan-v4", "One 802.1Q tag is kept as it was; only the MACs change.",
       "l2-tcp4", _v4(S.VIP_L2_4, P.l4_tcp()), vlans=ONE_TAG),
    l2("l2-qinq-v4", "Two tags (802.1ad 0x88a8 then 802.1Q) are kept as they were.",
       "l2-tcp4", _v4(S.VIP_L2_4, P.l4_tcp()), vlans=QINQ),
    l2("l2-stag-only-v4", "A single 802.1ad (0x88a8) tag is parsed and kept.",
       "l2-tcp4", _v4(S.VIP_L2_4, P.l4_tcp()), vlans=((P.TAG_8021AD, 100),)),
    l2("l2-double-8021q-v4", "Two 802.1Q (0x8100) tags, the older QinQ style, are parsed and kept.",
       "l2-tcp4", _v4(S.VIP_L2_4, P.l4_tcp()), vlans=((P.TAG_8021Q, 100), (P.TAG_8021Q, 200))),
    l2("l2-qinq-v6", "Two tags in front of IPv6 are kept as they were.",
       "l2-tcp6", _v6(S.VIP_L2_6, P.l4_tcp()), vlans=QINQ),
    l2("l2-options-v4", "IPv4 with options (ihl 6) is parsed past them and balanced unchanged.",
       "l2-tcp4", _v4(S.VIP_L2_4, P.l4_tcp(), options=SHORT_OPTIONS)),
    l2("l2-max-options-v4", "IPv4 with the largest header (ihl 15, 40 bytes of options) is balanced.",
       "l2-tcp4", _v4(S.VIP_L2_4, P.l4_tcp(), options=LONG_OPTIONS)),
    l2("l2-padded-v4", "A minimum-size frame whose IPv4 packet is shorter than the frame (Ethernet "
       "padding after tot_len) is balanced, padding kept.",
       "l2-tcp4", _v4(S.VIP_L2_4, P.l4_tcp(), payload=b""), trailer=bytes(6)),
    l2("l2-hop-by-hop-v6", "IPv6 with a hop-by-hop header before TCP is balanced.",
       "l2-tcp6", _v6(S.VIP_L2_6, P.l4_tcp(), ext=(P.hop_by_hop(),))),
    l2("l2-long-hop-by-hop-v6", "A 24-byte hop-by-hop header (hdrlen 2) is skipped by its length.",
       "l2-tcp6", _v6(S.VIP_L2_6, P.l4_tcp(), ext=(P.hop_by_hop(24),))),
    l2("l2-trailer-v6", "Bytes after the IPv6 payload (a trailer) are kept; the packet is balanced.",
       "l2-tcp6", _v6(S.VIP_L2_6, P.l4_tcp()), trailer=bytes(8)),
    l2("l2-four-ext-v6", "IPv6 with four extension headers (hop-by-hop, dest-opts, routing, "
       "dest-opts) before TCP, the most the program skips, is balanced.",
       "l2-tcp6", _v6(S.VIP_L2_6, P.l4_tcp(), ext=(P.hop_by_hop(), P.dest_opts(),
                                                   P.routing_done(S.VIP_L2_6), P.dest_opts()))),
    # ---- all-ports VIP and exact-port precedence ----
    l2("any-port-8080", "A VIP declared with port \"*\" takes TCP to a port no service names.",
       "any-port", _v4(S.VIP_ANY, P.l4_tcp(dport=8080))),
    l2("any-port-1", "The all-ports VIP also takes port 1.",
       "any-port", _v4(S.VIP_ANY, P.l4_tcp(dport=1))),
    l2("exact-port-wins", "On a VIP with both, the exact port (443) wins over \"*\".",
       "exact-443", _v4(S.VIP_ANY, P.l4_tcp(dport=443))),
    # ---- dsr-ipip ----
    ipip("ipip-syn-v4", "IPv4 to a dsr-ipip VIP gets an outer IPv4 header after Ethernet: tos "
         "copied, id 0, DF, ttl 64, protocol 4, source = /26 base | low 6 hash bits, dst = real.",
         "ipip-tcp4", _v4(S.VIP_IPIP_4, P.l4_tcp(), tos=DSCP_EF)),
    ipip("ipip-syn-v4-port2", "Another client port moves the outer source's host bits as the hash says.",
         "ipip-tcp4", _v4(S.VIP_IPIP_4, P.l4_tcp(sport=51515))),
    ipip("ipip-syn-v4-fixed", "With a /32 encapsulation source the outer source is that address.",
         "ipip-tcp4", _v4(S.VIP_IPIP_4, P.l4_tcp(), tos=DSCP_EF), scenario="fixed-source"),
    ipip("ipip-df-v4", "An inner IPv4 header with DF is carried unchanged inside the outer one.",
         "ipip-tcp4", _v4(S.VIP_IPIP_4, P.l4_tcp(sport=40002), flags="DF")),
    ipip("ipip-syn-v4-wide", "With a /24 encapsulation source the outer source takes the low 8 hash bits.",
         "ipip-tcp4", _v4(S.VIP_IPIP_4, P.l4_tcp()), scenario="wide-source"),
    ipip("ipip-syn-v6-wide", "With a /64 encapsulation source the hash fills the last 32 bits of "
         "the outer source (the host mask only covers those).",
         "ipip-tcp6", _v6(S.VIP_IPIP_6, P.l4_tcp()), scenario="wide-source"),
    ipip("ipip-udp-v4", "IPv4 UDP to a dsr-ipip VIP is encapsulated like TCP.",
         "ipip-udp4", _v4(S.VIP_IPIP_4, P.l4_udp())),
    ipip("ipip-syn-v6", "IPv6 to a dsr-ipip VIP gets an outer IPv6 header: traffic class copied, "
         "flow label = hash & 0xfffff, payload length 40 + inner, next header 41, hop limit 64, "
         "source = /112 base with the low 16 hash bits.",
         "ipip-tcp6", _v6(S.VIP_IPIP_6, P.l4_tcp(), tc=DSCP_EF)),
    ipip("ipip-syn-v6-port2", "Another client port changes the flow label and source as the hash says.",
         "ipip-tcp6", _v6(S.VIP_IPIP_6, P.l4_tcp(sport=51515))),
    ipip("ipip-syn-v6-fixed", "With a /128 encapsulation source the outer source is fixed and the "
         "flow label still comes from the hash.",
         "ipip-tcp6", _v6(S.VIP_IPIP_6, P.l4_tcp()), scenario="fixed-source"),
    ipip("ipip-udp-v6", "IPv6 UDP to a dsr-ipip VIP is encapsulated like TCP.",
         "ipip-udp6", _v6(S.VIP_IPIP_6, P.l4_udp())),
    ipip("ipip-vlan-v4", "With one 802.1Q tag the outer IPv4 header goes after the tag.",
         "ipip-tcp4", _v4(S.VIP_IPIP_4, P.l4_tcp()), vlans=ONE_TAG),
    ipip("ipip-qinq-v4", "With two tags the outer IPv4 header goes after both, tags unchanged.",
         "ipip-tcp4", _v4(S.VIP_IPIP_4, P.l4_tcp()), vlans=QINQ),
    ipip("ipip-qinq-v6", "With two tags the outer IPv6 header goes after both, tags unchanged.",
         "ipip-tcp6", _v6(S.VIP_IPIP_6, P.l4_tcp()), vlans=QINQ),
    ipip("ipip-options-v4", "An inner IPv4 header with options is carried whole; the outer has ihl 5.",
         "ipip-tcp4", _v4(S.VIP_IPIP_4, P.l4_tcp(), options=SHORT_OPTIONS)),
    ipip("ipip-padded-v4", "Outer tot_len is inner tot_len + 20, not the frame length: Ethernet "
         "padding stays after the packet.",
         "ipip-tcp4", _v4(S.VIP_IPIP_4, P.l4_tcp(), payload=b""), trailer=bytes(6)),
    ipip("ipip-trailer-v6", "Outer payload length is 40 + inner payload length, not the frame's: "
         "a trailer stays after the packet.",
         "ipip-tcp6", _v6(S.VIP_IPIP_6, P.l4_tcp()), trailer=bytes(8)),
    ipip("ipip-hop-by-hop-v6", "IPv6 with a hop-by-hop header is encapsulated whole.",
         "ipip-tcp6", _v6(S.VIP_IPIP_6, P.l4_tcp(), ext=(P.hop_by_hop(),))),
    # ---- no real to choose ----
    Case("no-real-empty", "A service without reals drops the packet and counts no_real.",
         "base", P.frame(_v4(S.VIP_EMPTY, P.l4_tcp())), "XDP_DROP", "drop_no_real",
         expected=None, service="empty", counters={"service.empty.no_real": 1}),
    Case("no-real-all-drained", "A service whose only real is drained (weight 0) and which tracks "
         "no flow drops a new flow and counts no_real.",
         "base", P.frame(_v4(S.VIP_DRAINED, P.l4_tcp())), "XDP_DROP", "drop_no_real",
         expected=None, service="drained", counters={"service.drained.no_real": 1}),
]
