"""Fixtures of well-formed traffic the program must hand to the host stack untouched
(XDP_PASS, output byte-identical to the input), each counted under its contracts.md reason."""

from scapy.layers.inet import IP
from scapy.packet import Raw

import packets as P
import scenarios as S
from case import SAME, Case


def passed(name, description, packet, reason, service=None, checksums=True):
    return Case(name, description, "base", packet, "XDP_PASS", reason, expected=SAME,
                service=service, checksums=checksums)


def _fragment_v4(flags, frag):
    """A TCP-bearing IPv4 fragment to the dsr-l2 VIP (offset in 8-byte units)."""
    l3 = IP(src=P.CLIENT4, dst=S.VIP_L2_4, id=0x1234, ttl=61, proto=6, flags=flags, frag=frag)
    if frag == 0:
        return P.frame(l3 / P.l4_tcp() / Raw(P.PAYLOAD))
    return P.frame(l3 / Raw(P.PAYLOAD))


CASES = [
    passed("not-vip-v4", "IPv4 TCP to an address that is no VIP is passed unchanged.",
           P.frame(P.ipv4(S.NOT_A_VIP4, P.l4_tcp())), "pass_not_vip"),
    passed("not-vip-v6", "IPv6 TCP to an address that is no VIP is passed unchanged.",
           P.frame(P.ipv6(S.NOT_A_VIP6, P.l4_tcp())), "pass_not_vip"),
    passed("vip-other-port-v4", "TCP to a VIP on a port it does not serve (81) is not balanced.",
           P.frame(P.ipv4(S.VIP_L2_4, P.l4_tcp(dport=81))), "pass_not_vip"),
    passed("vip-other-port-v6", "IPv6 TCP to a VIP on a port it does not serve is not balanced.",
           P.frame(P.ipv6(S.VIP_L2_6, P.l4_tcp(dport=81))), "pass_not_vip"),
    passed("vip-other-proto", "UDP to a port the VIP serves only over TCP (80) is not balanced.",
           P.frame(P.ipv4(S.VIP_L2_4, P.l4_udp(dport=80))), "pass_not_vip"),
    passed("any-port-other-proto", "An all-ports TCP VIP does not take UDP.",
           P.frame(P.ipv4(S.VIP_ANY, P.l4_udp(dport=8080))), "pass_not_vip"),
    passed("arp", "ARP is passed unchanged.", P.arp_request(), "pass_not_ip"),
    passed("lldp", "Other ethertypes (LLDP 0x88cc) are passed unchanged.",
           P.frame(bytes(46), dst="01:80:c2:00:00:0e", ethertype=0x88CC), "pass_not_ip"),
    passed("icmp-to-vip-v4", "ICMP echo to a VIP is passed to the host (it answers pings).",
           P.icmp4_echo(S.VIP_L2_4), "pass_not_l4"),
    passed("icmp-to-vip-v6", "ICMPv6 echo to a VIP is passed to the host.",
           P.icmp6_echo(S.VIP_L2_6), "pass_not_l4"),
    passed("fragment-first-v4", "The first IPv4 fragment (MF set, offset 0) to a VIP is passed.",
           _fragment_v4("MF", 0), "pass_fragment", checksums=False),
    passed("fragment-last-v4", "A later IPv4 fragment (offset 185, MF clear) to a VIP is passed.",
           _fragment_v4(0, 185), "pass_fragment", checksums=False),
    passed("fragment-middle-v4", "A middle IPv4 fragment (MF set, offset 185) to a VIP is passed.",
           _fragment_v4("MF", 185), "pass_fragment", checksums=False),
    passed("fragment-header-v6", "IPv6 with a fragment header to a VIP is passed.",
           P.frame(P.ipv6(S.VIP_L2_6, P.l4_tcp(), ext=(P.fragment6(),))), "pass_fragment",
           checksums=False),
    passed("fragment-after-hbh-v6", "A fragment header after a hop-by-hop header is found and passed.",
           P.frame(P.ipv6(S.VIP_L2_6, P.l4_tcp(), ext=(P.hop_by_hop(), P.fragment6()))),
           "pass_fragment", checksums=False),
    passed("three-vlan-tags", "A third VLAN tag is more than the program parses: passed unchanged.",
           P.frame(P.ipv4(S.VIP_L2_4, P.l4_tcp()),
                   vlans=((P.TAG_8021AD, 100), (P.TAG_8021Q, 200), (P.TAG_8021Q, 300))),
           "pass_unsupported"),
    passed("five-ext-headers-v6", "Five IPv6 extension headers are more than the program skips.",
           P.frame(P.ipv6(S.VIP_L2_6, P.l4_tcp(),
                          ext=(P.hop_by_hop(), P.dest_opts(), P.routing_done(S.VIP_L2_6),
                               P.dest_opts(), P.dest_opts()))),
           "pass_unsupported"),
    passed("http-mode", "A service of mode http is handed to the host stack (the proxy) untouched "
           "and counted as pass_l7 and under the service.",
           P.frame(P.ipv4(S.VIP_HTTP, P.l4_tcp())), "pass_l7", service="http"),
]
