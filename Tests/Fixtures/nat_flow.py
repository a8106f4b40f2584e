"""One client flow through a nat or gateway service of the "nat" scenario, as the fixtures
predict it from nat.md: the SNAT address and port (nat_model, on the step's CPU), the packet
the real receives, the real's reply and what the client receives, and ICMP errors about
either direction. Each method returns a nat_case.Step with its exact output and counters.
"""

from scapy.layers.inet import TCP
from scapy.packet import raw

import nat_model as M
import nat_packets as N
import packets as P
import scenarios as S
from nat_case import Step

NR_CPUS = M.possible_cpus()
POOLS = {"snat4": M.SnatPool(S.SNAT4, nr_cpus=NR_CPUS), "snat6": M.SnatPool(S.SNAT6, nr_cpus=NR_CPUS)}


def snat_for(l3, cpu=0, pool=None):
    """The first candidate of a new nat flow: (address, port)."""
    v6 = N.is_v6(l3)
    pool = pool or POOLS["snat6" if v6 else "snat4"]
    l4 = N.l4_of(l3)
    proto = "tcp" if isinstance(l4, TCP) else "udp"
    hash_value = M.client_hash(l3.src, l4.sport, l3.dst, l4.dport, proto)
    return pool.address_port(pool.candidates(hash_value)[0], cpu)


class NatFlow:
    """`service` names a service of the "nat" scenario (its real from S.NAT_REALS, its SNAT
    port the pool's first candidate), unless `real` = (address, MAC, port or None) and, for a
    nat service, `snat` = (address, port) say otherwise."""

    def __init__(self, service, l3, cpu=0, vlans=(), real=None, snat=None, gateway=None,
                 macs=(P.ROUTER_MAC, P.LB_MAC)):
        self.service, self.l3, self.cpu, self.vlans = service, l3, cpu, vlans
        self.client_mac, self.local_mac = macs  # the client frames' source and destination
        self.real, self.mac, port = real or S.NAT_REALS[service]
        l4 = N.l4_of(l3)
        self.client, self.client_port, self.vip, self.vip_port = l3.src, l4.sport, l3.dst, l4.dport
        self.real_port = port or l4.dport
        self.gateway = service.startswith("gw") if gateway is None else gateway
        if self.gateway:
            self.snat, self.snat_port = self.client, self.client_port
            self.sent = N.to_real(l3, self.real, self.real_port)
        else:
            self.snat, self.snat_port = snat or snat_for(l3, cpu)
            self.sent = N.to_real(l3, self.real, self.real_port, self.snat, self.snat_port)

    @property
    def proto(self):
        return "tcp" if isinstance(N.l4_of(self.l3), TCP) else "udp"

    # ---- the client's packets ----
    def forward(self, l3=None, new=True, reclaimed=False):
        """The client's packet (the flow's first by default) reaching the real; `new`: the
        first packet of the flow (ct_new), else a tracked one (ct_hit); `reclaimed`: its SNAT
        port was taken over from a closed or idle flow."""
        l3 = l3 or self.l3
        frame = self.client_frame(l3)
        sent = self.sent if l3 is self.l3 else self.rewritten(l3)
        counters = {f"service.{self.service}.packets": 1, f"service.{self.service}.bytes": len(frame),
                    f"real.{self.real}.packets": 1}
        if new:
            counters.update({"global.ct_new.packets": 1, f"service.{self.service}.new_flows": 1,
                             f"real.{self.real}.new_flows": 1})
        else:
            counters["global.ct_hit.packets"] = 1
        if reclaimed:
            counters["global.nat_reclaimed.packets"] = 1
        return Step(frame, "tx", N.forwarded(sent, self.mac, self.vlans, self.local_mac), counters,
                    cpu=self.cpu)

    def client_frame(self, l3):
        return P.frame(l3, vlans=self.vlans, dst=self.local_mac, src=self.client_mac)

    def to_client_frame(self, l3):
        return N.to_client_frame(l3, self.vlans, self.client_mac, self.local_mac)

    def dropped(self, l3=None):
        """The client's packet refused for want of a free SNAT port (or reply tuple)."""
        frame = self.client_frame(l3 or self.l3)
        return Step(frame, "drop_nat_exhausted", None,
                    {f"service.{self.service}.packets": 1, f"service.{self.service}.bytes": len(frame),
                     f"service.{self.service}.nat_exhausted": 1}, cpu=self.cpu)

    def rewritten(self, l3):
        if self.gateway:
            return N.to_real(l3, self.real, self.real_port)
        return N.to_real(l3, self.real, self.real_port, self.snat, self.snat_port)

    def later(self, flags="A", payload=P.PAYLOAD):
        """A later client packet of the same flow (TCP: with `flags`)."""
        l4 = N.l4_of(self.l3).copy()
        if isinstance(l4, TCP):
            l4.flags, l4.ack, l4.options = flags, 5001, []
            l4.dataofs = None
        l4.remove_payload()
        l4.chksum = None
        fields = {"src": self.client}
        return N.client(self.vip, l4, payload=payload, **fields)

    # ---- the real's replies ----
    def reply_l3(self, flags="SA", payload=b"usher reply", udp_checksum=None):
        reply = N.reply_of(self.sent, flags=flags, payload=payload)
        if udp_checksum is not None:
            reply = N.rewrite(reply)
            reply[N.UDP].chksum = udp_checksum
            reply = type(reply)(raw(reply))
        return reply

    def reply(self, reply=None):
        """A reply from the real, translated back to the client."""
        reply = reply if reply is not None else self.reply_l3()
        frame = N.real_frame(reply, self.mac, self.vlans)
        back = N.to_client(reply, self.vip, self.vip_port, self.client, self.client_port)
        counters = {"global.nat_reply.packets": 1, f"service.{self.service}.reply_packets": 1,
                    f"service.{self.service}.reply_bytes": len(frame)}
        return Step(frame, "tx", self.to_client_frame(back), counters, cpu=self.cpu)

    # ---- ICMP errors ----
    def error_from_real_side(self, sender, sender_mac, length=None, **kind):
        """An ICMP error about the packet the balancer sent to the real (`self.sent`), from
        `sender` (a router on the way, or the real itself), translated towards the client."""
        error = self._error(sender, self.sent.src, N.quote(self.sent, length), **kind)
        outer_src = self.vip if sender == self.real else sender
        expected = N.same_error(error, N.quote(self.l3, length), src=outer_src, dst=self.client)
        return Step(N.real_frame(error, sender_mac, self.vlans),
                    "tx", self.to_client_frame(expected),
                    {"global.nat_icmp.packets": 1}, cpu=self.cpu)

    def error_from_client_side(self, sender, length=None, **kind):
        """An ICMP error about a reply the balancer sent to the client, from `sender` (a router
        on the client's side, or the client itself), translated towards the real."""
        reply = self.reply_l3()
        to_client = N.to_client(reply, self.vip, self.vip_port, self.client, self.client_port)
        error = self._error(sender, self.vip, N.quote(to_client, length), **kind)
        outer_src = self.snat if sender == self.client else sender
        expected = N.same_error(error, N.quote(reply, length), src=outer_src, dst=self.real)
        return Step(self.client_frame(error), "tx",
                    N.forwarded(expected, self.mac, self.vlans, self.local_mac),
                    {"global.nat_icmp.packets": 1}, cpu=self.cpu)

    def _error(self, src, dst, quoted, **kind):
        if N.is_v6(self.l3):
            return N.icmp6_error(src, dst, quoted, **kind)
        return N.icmp4_error(src, dst, quoted, **kind)
