"""Fixtures of the nat and gateway modes (nat.md), as data: forward and reply rewrites, ICMP
errors of a translated flow, and traffic that belongs to no flow. Each case starts from empty
flow tables; its steps run on CPU 0 unless they say otherwise, and the SNAT port a nat flow
gets is predicted by nat_model from that CPU and the 5-tuple hash.
"""

from scapy.layers.inet import ICMP, IP, IPOption_NOP, IPOption_EOL
from scapy.layers.inet6 import IPv6

import nat_packets as N
import packets as P
import scenarios as S
from case import SAME
from nat_case import NatCase, Step
from nat_flow import NR_CPUS, NatFlow, snat_for

ROUTER_MAC_REALS = "02:00:00:00:00:fe"  # the router between the balancer and the reals
OTHER_ROUTER_MAC = "02:00:00:00:00:99"  # a second router on the clients' side
VIRTUAL_MAC = "00:00:5e:00:01:07"       # a VRRP virtual MAC the balancer also receives on


def case(name, description, *steps, scenario="nat"):
    return NatCase(name, description, scenario, tuple(steps))


def flow(service, l4, vlans=(), cpu=0, macs=(P.ROUTER_MAC, P.LB_MAC), **fields):
    vip = {"nat-tcp4": S.VIP_NAT4, "nat-udp4": S.VIP_NAT4, "nat-tcp6": S.VIP_NAT6,
           "nat-udp6": S.VIP_NAT6, "gw-tcp4": S.VIP_GW4, "gw-udp4": S.VIP_GW4,
           "gw-tcp6": S.VIP_GW6, "gw-udp6": S.VIP_GW6, "nat-any": S.VIP_NAT_ANY,
           "gw-any": S.VIP_GW_ANY, "gw-twin": S.VIP_GW_TWIN}[service]
    return NatFlow(service, N.client(vip, l4, **fields), cpu=cpu, vlans=vlans, macs=macs)


def both_ways(service, l4, **kw):
    """A first client packet and the real's reply."""
    f = flow(service, l4, **kw)
    return f.forward(), f.reply()


def passed(packet, reason, checksums=True):
    return Step(packet, reason, SAME, checksums=checksums)


def _zero_sum_udp(service, sport):
    """A UDP packet whose checksum, once translated, computes to 0: its payload carries the
    translated packet's checksum in its last two bytes (so the sum becomes 0xFFFF)."""
    body = bytearray(b"usher zero sum\0\0")
    l3 = N.client(S.VIP_NAT4, P.l4_udp(sport=sport), payload=bytes(body))
    f = NatFlow(service, l3)
    body[-2:] = f.sent[N.UDP].chksum.to_bytes(2, "big")
    return NatFlow(service, N.client(S.VIP_NAT4, P.l4_udp(sport=sport), payload=bytes(body)))


ZERO_SUM = _zero_sum_udp("nat-udp4", 40404)
assert ZERO_SUM.sent[N.UDP].chksum == 0xFFFF, "the crafted payload must make the sum 0"

EMPTY = P.frame(N.client(S.VIP_NAT_EMPTY, P.l4_tcp(sport=40600)))

REWRITES = [
    case("nat-tcp4", "nat, IPv4 TCP to VIP:80 reaches the real at real:8080 from a SNAT address "
         "and port (first candidate of the pool for this hash and CPU), TTL unchanged, and the "
         "real's SYN-ACK reaches the client from VIP:80, to the MAC the client's frame came from.",
         *both_ways("nat-tcp4", P.l4_tcp(options=P.SYN_OPTIONS))),
    case("nat-udp4", "nat, IPv4 UDP to a real without a port keeps the destination port (53) and "
         "the reply is translated back.", *both_ways("nat-udp4", P.l4_udp())),
    case("nat-tcp6", "nat, IPv6 TCP: destination real:8080, source a pool address, hop limit "
         "and flow label unchanged, and back.", *both_ways("nat-tcp6", P.l4_tcp())),
    case("nat-udp6", "nat, IPv6 UDP (checksum over the new pseudo-header) both ways.",
         *both_ways("nat-udp6", P.l4_udp())),
    case("gw-tcp4", "gateway, IPv4 TCP: only the destination changes (real:8080, the client's "
         "source kept); the reply leaves from VIP:80.", *both_ways("gw-tcp4", P.l4_tcp())),
    case("gw-udp4", "gateway, IPv4 UDP to a real without a port, both ways.",
         *both_ways("gw-udp4", P.l4_udp())),
    case("gw-tcp6", "gateway, IPv6 TCP both ways.", *both_ways("gw-tcp6", P.l4_tcp())),
    case("gw-udp6", "gateway, IPv6 UDP both ways.", *both_ways("gw-udp6", P.l4_udp())),
    case("nat-any-port", "nat, an every-port service keeps the client's destination port (8443) "
         "at the real and replies from that VIP port.",
         *both_ways("nat-any", P.l4_tcp(dport=8443))),
    case("gw-any-port", "gateway, an every-port UDP service keeps the destination port (5353).",
         *both_ways("gw-any", P.l4_udp(dport=5353))),
    case("nat-udp4-no-checksum", "nat, IPv4 UDP sent without a checksum (0) leaves with 0, "
         "and so does a reply without one.",
         (f := flow("nat-udp4", N.udp_no_checksum(sport=40100))).forward(),
         f.reply(f.reply_l3(udp_checksum=0))),
    case("gw-udp4-no-checksum", "gateway, IPv4 UDP checksum 0 stays 0 both ways.",
         (f := flow("gw-udp4", N.udp_no_checksum(sport=40101))).forward(),
         f.reply(f.reply_l3(udp_checksum=0))),
    case("nat-udp4-sum-zero", "nat, a UDP checksum that computes to 0 after translation is sent "
         "as 0xFFFF (0 would mean \"no checksum\").", ZERO_SUM.forward()),
    case("nat-tcp4-vlan", "nat, a tagged client frame and a tagged reply keep their 802.1Q tags.",
         *both_ways("nat-tcp4", P.l4_tcp(sport=40200), vlans=((P.TAG_8021Q, 100),))),
    case("nat-tcp4-last-hop", "nat, auto last hop: with the client's frames from another router "
         "MAC to another local MAC (a virtual router MAC), the reply goes to that router from "
         "that local MAC, and forwarded frames leave from it too.",
         *both_ways("nat-tcp4", P.l4_tcp(sport=40250), macs=(OTHER_ROUTER_MAC, VIRTUAL_MAC))),
    case("gw-udp6-last-hop", "gateway, IPv6: the reply goes back to the MAC the client's frame "
         "came from, from the MAC it was sent to.",
         *both_ways("gw-udp6", P.l4_udp(sport=40251), macs=(OTHER_ROUTER_MAC, VIRTUAL_MAC))),
    case("icmp4-last-hop", "nat, an ICMP error towards the client follows the client's own "
         "frames' MACs, and one towards the real leaves from the MAC the error was sent to.",
         (f := flow("nat-udp4", P.l4_udp(sport=40252), macs=(OTHER_ROUTER_MAC, VIRTUAL_MAC))).forward(),
         f.error_from_real_side(N.REAL_ROUTER4, ROUTER_MAC_REALS, kind=3, code=3),
         f.error_from_client_side(N.CLIENT_ROUTER4, kind=3, code=3)),
    case("nat-tcp4-options", "nat, IPv4 with options (ihl 6): the header checksum covers them "
         "and TCP is found after them.",
         flow("nat-tcp4", P.l4_tcp(sport=40300),
              options=[IPOption_NOP(), IPOption_NOP(), IPOption_NOP(), IPOption_EOL()]).forward()),
    case("nat-tcp4-established", "nat, the second and third packets of a flow are tracked "
         "(ct_hit) and keep its SNAT port, a reply between them too.",
         (f := flow("nat-tcp4", P.l4_tcp(sport=40400))).forward(),
         f.forward(f.later("A"), new=False), f.reply(f.reply_l3("A")),
         f.forward(f.later("PA", payload=b"GET / HTTP/1.1\r\n\r\n"), new=False)),
    case("gw-udp6-established", "gateway, a second IPv6 UDP datagram of a flow is tracked.",
         (f := flow("gw-udp6", P.l4_udp(sport=40401))).forward(),
         f.forward(f.later(), new=False)),
    case("nat-no-real", "nat, a service without reals drops a new flow as drop_no_real (no SNAT "
         "port is taken).",
         Step(EMPTY, "drop_no_real", None, {"service.nat-empty.packets": 1,
                                             "service.nat-empty.bytes": len(EMPTY),
                                             "service.nat-empty.no_real": 1})),
    case("gw-tuple-taken", "gateway, a second service whose real would see the same reply "
         "tuple (same real, port and client) cannot take it: the flow is dropped as "
         "drop_nat_exhausted and counted under the service, and nothing else moves.",
         flow("gw-tcp4", P.l4_tcp(sport=40500)).forward(),
         flow("gw-twin", P.l4_tcp(sport=40500)).dropped()),
]

if NR_CPUS > 1:
    _f0 = flow("nat-tcp4", P.l4_tcp(sport=40600))
    _f1 = flow("nat-tcp4", P.l4_tcp(sport=40600), cpu=1)
    assert _f1.snat_port == _f0.snat_port + 1
    REWRITES.append(case(
        "nat-tcp4-cpu1", "nat, the same client tuple run on CPU 1 gets the port one above CPU 0's "
        "(its own share of the pool: port_min + k*n + cpu).", _f1.forward(), _f1.reply()))

# A large client packet (DF), quoted as Linux quotes it (576-byte ICMP error).
BIG = P.PAYLOAD * 60
ICMP_ERRORS = [
    case("icmp4-frag-needed-router", "nat, a router on the reals' side sends fragmentation "
         "needed (MTU 1280) about a packet to the real: it reaches the client with the quote "
         "translated back (inner addresses, ports, IPv4 and TCP checksums), outer destination "
         "the client, the router as source and the MTU unchanged.",
         (f := flow("nat-tcp4", P.l4_tcp(sport=41000, flags="A"), payload=BIG, flags="DF")).forward(),
         f.error_from_real_side(N.REAL_ROUTER4, ROUTER_MAC_REALS, length=548)),
    case("icmp4-frag-needed-short-quote", "nat, an RFC 792 quote (IPv4 header + 8 bytes: no TCP "
         "checksum) is translated as far as it goes.",
         (f := flow("nat-tcp4", P.l4_tcp(sport=41001, flags="A"), payload=BIG, flags="DF")).forward(),
         f.error_from_real_side(N.REAL_ROUTER4, ROUTER_MAC_REALS, length=28)),
    case("icmp4-from-real", "nat, the real itself answers port unreachable: the outer source "
         "becomes the VIP.",
         (f := flow("nat-udp4", P.l4_udp(sport=41002))).forward(),
         f.error_from_real_side(f.real, f.mac, kind=3, code=3)),
    case("icmp4-time-exceeded", "nat, time exceeded (type 11) from a router on the reals' side is "
         "translated to the client.",
         (f := flow("nat-udp4", P.l4_udp(sport=41003))).forward(),
         f.error_from_real_side(N.REAL_ROUTER4, ROUTER_MAC_REALS, kind=11, code=0)),
    case("icmp4-client-router", "nat, fragmentation needed from a router on the clients' side about "
         "a reply goes to the real: inner = the reply as the real sent it, outer to the real.",
         (f := flow("nat-tcp4", P.l4_tcp(sport=41004))).forward(), f.reply(),
         f.error_from_client_side(N.CLIENT_ROUTER4)),
    case("icmp4-from-client", "nat, the client itself answers port unreachable to a reply: the "
         "real gets it from the SNAT address.",
         (f := flow("nat-udp4", P.l4_udp(sport=41005))).forward(), f.reply(),
         f.error_from_client_side(f.client, kind=3, code=3)),
    case("icmp4-inner-options", "nat, a quoted IPv4 header with options is read past them.",
         (f := flow("nat-udp4", P.l4_udp(sport=41006),
                    options=[IPOption_NOP(), IPOption_NOP(), IPOption_NOP(), IPOption_EOL()])).forward(),
         f.error_from_real_side(N.REAL_ROUTER4, ROUTER_MAC_REALS)),
    case("icmp6-too-big-router", "nat, packet too big (MTU 1280) from a router on the reals' side "
         "reaches the client translated, ICMPv6 checksum over the new pseudo-header.",
         (f := flow("nat-tcp6", P.l4_tcp(sport=41010, flags="A"), payload=BIG)).forward(),
         f.error_from_real_side(N.REAL_ROUTER6, ROUTER_MAC_REALS, length=1232)),
    case("icmp6-from-real", "nat, IPv6 port unreachable from the real itself: outer source the VIP.",
         (f := flow("nat-udp6", P.l4_udp(sport=41011))).forward(),
         f.error_from_real_side(f.real, f.mac, kind="unreachable", code=4)),
    case("icmp6-client-router", "nat, packet too big from the clients' side about a reply goes to "
         "the real.",
         (f := flow("nat-tcp6", P.l4_tcp(sport=41012))).forward(), f.reply(),
         f.error_from_client_side(N.CLIENT_ROUTER6)),
    case("icmp4-gw-router", "gateway, fragmentation needed from a router on the reals' side "
         "(sent to the client, whose address the real saw) gets VIP:80 back in its quote.",
         (f := flow("gw-tcp4", P.l4_tcp(sport=41020, flags="A"), payload=BIG, flags="DF")).forward(),
         f.error_from_real_side(N.REAL_ROUTER4, ROUTER_MAC_REALS, length=548)),
    case("icmp4-gw-from-real", "gateway, port unreachable from the real itself: outer source the VIP.",
         (f := flow("gw-udp4", P.l4_udp(sport=41021))).forward(),
         f.error_from_real_side(f.real, f.mac, kind=3, code=3)),
    case("icmp4-gw-client-router", "gateway, fragmentation needed from the clients' side about a "
         "reply goes to the real, quoting the reply as the real sent it (to the client's own "
         "address and port).",
         (f := flow("gw-tcp4", P.l4_tcp(sport=41023))).forward(), f.reply(),
         f.error_from_client_side(N.CLIENT_ROUTER4)),
    case("icmp4-inner-udp-no-checksum", "nat, a quoted UDP datagram sent without a checksum keeps "
         "its 0 when translated.",
         (f := flow("nat-udp4", N.udp_no_checksum(sport=41024))).forward(),
         f.error_from_real_side(N.REAL_ROUTER4, ROUTER_MAC_REALS, kind=3, code=3)),
    case("icmp4-vlan", "nat, an error arriving with an 802.1Q tag leaves towards the client with "
         "the tag as it came.",
         (f := flow("nat-tcp4", P.l4_tcp(sport=41025), vlans=((P.TAG_8021Q, 100),))).forward(),
         f.error_from_real_side(N.REAL_ROUTER4, ROUTER_MAC_REALS)),
    case("icmp6-time-exceeded", "nat, ICMPv6 time exceeded from a router on the reals' side is "
         "translated to the client.",
         (f := flow("nat-udp6", P.l4_udp(sport=41026))).forward(),
         f.error_from_real_side(N.REAL_ROUTER6, ROUTER_MAC_REALS, kind="time-exceeded")),
    case("icmp6-gw-router", "gateway, IPv6 packet too big from a router on the reals' side.",
         (f := flow("gw-tcp6", P.l4_tcp(sport=41022, flags="A"), payload=BIG)).forward(),
         f.error_from_real_side(N.REAL_ROUTER6, ROUTER_MAC_REALS, length=1232)),
]


def _short_quote(length, v6=False):
    """Fragmentation needed / packet too big about a tracked flow, with a quote of `length`
    bytes: too short to hold the inner header and 8 bytes of TCP."""
    service = "nat-tcp6" if v6 else "nat-tcp4"
    f = flow(service, P.l4_tcp(sport=41100 + length))
    router = N.REAL_ROUTER6 if v6 else N.REAL_ROUTER4
    return f.forward(), passed(N.real_frame(f._error(router, f.snat, N.quote(f.sent, length)),
                                            ROUTER_MAC_REALS), "pass_not_l4")


def _untracked_error(v6=False):
    """An ICMP error to a SNAT address about a tuple no flow holds."""
    snat = S.SNAT6[0] if v6 else S.SNAT4[0]
    real = S.NAT_REALS["nat-tcp6" if v6 else "nat-tcp4"][0]
    inner = (N.client(real, P.l4_tcp(sport=1234, dport=8080), src=snat))
    if v6:
        error = N.icmp6_error(N.REAL_ROUTER6, snat, N.quote(inner))
    else:
        error = N.icmp4_error(N.REAL_ROUTER4, snat, N.quote(inner))
    return N.real_frame(error, ROUTER_MAC_REALS)


def _odd_quote(v6=False):
    """An error about a tracked flow whose quote is not TCP/UDP right after the IP header:
    IPv4: an ICMP echo from the SNAT address to the real; IPv6: the flow's own packet with a
    hop-by-hop header before TCP (nat.md: no extension headers)."""
    f = flow("nat-tcp6" if v6 else "nat-tcp4", P.l4_tcp(sport=41300))
    if v6:
        inner = IPv6(src=f.snat, dst=f.real, hlim=61) / P.hop_by_hop() / N.l4_of(f.sent).copy()
        error = N.icmp6_error(N.REAL_ROUTER6, f.snat, N.quote(inner))
    else:
        inner = IP(src=f.snat, dst=f.real, ttl=61) / ICMP(type=8, id=7, seq=1)
        error = N.icmp4_error(N.REAL_ROUTER4, f.snat, N.quote(inner))
    return f.forward(), passed(N.real_frame(error, ROUTER_MAC_REALS), "pass_not_l4")


UNTRANSLATED = [
    case("icmp4-quote-2-bytes-of-tcp", "nat, a quote with the inner header and 2 bytes of TCP "
         "(not even both ports) is passed untouched as pass_not_l4.", *_short_quote(22)),
    case("icmp4-quote-4-bytes-of-tcp", "nat, a quote with the inner header and only 4 bytes of TCP "
         "(the ports but not 8 bytes) is passed untouched as pass_not_l4.", *_short_quote(24)),
    case("icmp4-quote-of-icmp", "nat, an error quoting an ICMP echo (no ports) is passed untouched.",
         *_odd_quote()),
    case("icmp6-quote-ext-header", "nat, an ICMPv6 error whose quote has an extension header "
         "before TCP is passed untouched.", *_odd_quote(v6=True)),
    case("icmp4-quote-cut-header", "nat, a quote ending inside the inner IPv4 header is passed "
         "untouched.", *_short_quote(16)),
    case("icmp6-quote-cut", "nat, an ICMPv6 quote with 6 bytes of TCP is passed untouched.",
         *_short_quote(46, v6=True)),
    case("icmp4-no-flow", "An ICMP error to a SNAT address about a tuple of no flow is passed "
         "untouched (pass_not_l4).", passed(_untracked_error(), "pass_not_l4")),
    case("icmp6-no-flow", "An ICMPv6 error about a tuple of no flow is passed untouched.",
         passed(_untracked_error(v6=True), "pass_not_l4")),
    case("icmp4-error-without-nat", "Without any nat or gateway service ICMP errors are not "
         "examined: fragmentation needed quoting a packet to a dsr VIP's real is pass_not_l4.",
         passed(N.real_frame(N.icmp4_error(N.REAL_ROUTER4, P.CLIENT4, N.quote(
             N.client(S.REALS["l2-tcp4"][0], P.l4_tcp(), src=P.CLIENT4))), ROUTER_MAC_REALS),
             "pass_not_l4"), scenario="base"),
    case("icmp4-echo-to-snat", "An echo request to a SNAT address is for the host: pass_not_l4.",
         passed(P.icmp4_echo(S.SNAT4[0]), "pass_not_l4")),
    case("no-flow-to-snat4", "TCP to a SNAT address and port no flow holds is passed untouched "
         "as pass_no_flow.",
         passed(N.real_frame(N.client(S.SNAT4[0], P.l4_tcp(sport=8080, dport=1025, flags="SA"),
                                      src=S.NAT_REALS["nat-tcp4"][0]), "02:00:00:00:00:71"),
                "pass_no_flow")),
    case("no-flow-to-snat6", "IPv6 UDP to a SNAT address of no flow is passed untouched.",
         passed(N.real_frame(N.client(S.SNAT6[1], P.l4_udp(sport=53, dport=1026),
                                      src=S.NAT_REALS["nat-udp6"][0]), "02:00:00:00:01:72"),
                "pass_no_flow")),
    case("no-flow-from-gw-real4", "TCP from a gateway real that belongs to no flow is passed "
         "untouched as pass_no_flow (the host routes it).",
         passed(N.real_frame(N.client("192.0.2.77", P.l4_tcp(sport=8080, dport=40000, flags="SA"),
                                      src=S.NAT_REALS["gw-tcp4"][0]), "02:00:00:00:00:81"),
                "pass_no_flow")),
    case("no-flow-from-gw-real6", "IPv6 UDP from a gateway real of no flow is passed untouched.",
         passed(N.real_frame(N.client("2001:db8:c::77", P.l4_udp(sport=53, dport=40000),
                                      src=S.NAT_REALS["gw-udp6"][0]), "02:00:00:00:01:82"),
                "pass_no_flow")),
    case("nat-vip-other-port", "TCP to a nat VIP on a port it does not serve is not balanced.",
         passed(P.frame(N.client(S.VIP_NAT4, P.l4_tcp(dport=81))), "pass_not_vip")),
    case("reply-wrong-port", "A reply from the real to the SNAT address but another port than "
         "the flow's is no flow's: passed untouched.",
         (f := flow("nat-tcp4", P.l4_tcp(sport=41200))).forward(),
         passed(N.real_frame(N.rewrite(f.reply_l3(), dport=f.snat_port ^ 2), f.mac), "pass_no_flow")),
]

CASES = REWRITES + ICMP_ERRORS + UNTRANSLATED
