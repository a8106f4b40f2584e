"""NAT fixtures over several flows and config changes: the NAT knobs as the program reads them,
a pool run dry (drop_nat_exhausted, nothing written) and ports reclaimed from closed and idle
flows after their timeouts (nat_reclaimed), and a flow whose real is removed.

SNAT ports are predicted by nat_model.SnatAllocator per CPU; the tables are read back with
bpftool to show what a refused flow did not write.
"""

import time

import pytest

import nat_maps
import nat_model as M
import nat_packets as N
import packets as P
import scenarios as S
from nat_case import run_steps
from nat_flow import NatFlow

TINY_VIP = "203.0.113.110"
TINY_SNAT = "198.51.100.8"
TINY_PORTS = (30000, 30003)  # 4 ports: with 2 CPUs, 2 each
TINY_TCP_REAL = ("198.51.100.111", "02:00:00:00:01:11", 8080)
TINY_UDP_REAL = ("198.51.100.112", "02:00:00:00:01:12", None)
# Timeouts of the tiny config, seconds. Long enough that a few `usher` runs on a loaded machine
# stay inside them (a flow must still be live a few steps later), short enough to wait out.
CLOSED_TIMEOUT = 2  # tcp-closed-timeout
UDP_IDLE = 4  # udp-idle-timeout
WAIT = max(CLOSED_TIMEOUT, UDP_IDLE) + 1.2  # past both, whether the program counts in ns or seconds


def tiny_config():
    return {
        "snat-pools": [S.snat_pool("tiny", [TINY_SNAT], TINY_PORTS)],
        "nat": {"tcp-idle-timeout": 900, "tcp-closed-timeout": CLOSED_TIMEOUT,
                "udp-idle-timeout": UDP_IDLE},
        "services": [
            S.nat_service("tiny-tcp", TINY_VIP, 80, "tcp", "nat", [S.nat_real(*TINY_TCP_REAL)], "tiny"),
            S.nat_service("tiny-udp", TINY_VIP, 53, "udp", "nat", [S.nat_real(*TINY_UDP_REAL)], "tiny"),
        ],
    }


def test_nat_settings_reach_the_program(usher):
    """usher_global_v2 holds what nat.md says: nr_cpus = the possible CPUs (what the SNAT
    shares are cut by), the timeouts of `nat:`, and the NAT flag only while a nat or gateway
    service exists (else ICMP errors are not examined)."""
    usher.apply_config(tiny_config(), "nat-tiny")
    settings = usher.global_settings()
    assert settings["nr_cpus"] == M.possible_cpus(), settings
    assert (settings["nat_tcp_idle_s"], settings["nat_tcp_closed_s"], settings["nat_udp_idle_s"]) \
        == (900, CLOSED_TIMEOUT, UDP_IDLE), settings
    assert settings["flags"] & 0x01, f"USHER_GLOBAL_F_NAT missing: {settings}"
    usher.use("base")
    assert not usher.global_settings()["flags"] & 0x01, "no nat service left: the flag must clear"


class Tiny:
    """Flows of the tiny config with their SNAT ports predicted per CPU."""

    def __init__(self):
        pool = M.SnatPool([TINY_SNAT], *TINY_PORTS, nr_cpus=M.possible_cpus())
        self.alloc = {cpu: M.SnatAllocator(pool, cpu) for cpu in range(min(pool.n, 2))}

    def flow(self, sport, cpu=0, udp=False, client=P.CLIENT4):
        """A new flow; its SNAT port is what the program must choose now (None: exhausted)."""
        l4 = P.l4_udp(sport=sport) if udp else P.l4_tcp(sport=sport)
        l3 = N.client(TINY_VIP, l4, src=client)
        real = TINY_UDP_REAL if udp else TINY_TCP_REAL
        proto = "udp" if udp else "tcp"
        chosen = self.alloc[cpu].claim(client, sport, TINY_VIP, l4.dport, proto, real[0],
                                       real[2] or l4.dport)
        snat = (chosen[0], chosen[1]) if chosen else (TINY_SNAT, 0)
        flow = NatFlow("tiny-udp" if udp else "tiny-tcp", l3, cpu=cpu, real=real, snat=snat)
        flow.reclaimed = bool(chosen and chosen[2])
        flow.refused = chosen is None
        return flow

    def first(self, flow):
        """The step the flow's first packet must take."""
        return flow.dropped() if flow.refused else flow.forward(reclaimed=flow.reclaimed)

    def close(self, flow):
        self.alloc[flow.cpu].stale.add((flow.client, flow.client_port, flow.vip, flow.vip_port,
                                        flow.proto))


def test_pool_exhaustion_and_reclaim(usher):
    """With two SNAT ports per CPU: a third TCP flow on CPU 0 is dropped (drop_nat_exhausted,
    the service's nat_exhausted) and writes nothing, while CPU 1 still has its own two ports;
    a port is not free right after the RST that closes its flow, but after tcp-closed-timeout a
    new flow takes it over (nat_reclaimed) and the old flow's next packet finds no port; a
    flow closed by FIN both ways is reclaimed, one with a FIN from the client only is not; idle
    UDP flows are reclaimed after udp-idle-timeout; the reclaimed port's replies reach the new
    flow's client."""
    if M.possible_cpus() < 2:
        pytest.skip("needs two possible CPUs (one pool share each)")
    usher.apply_config(tiny_config(), "nat-tiny")
    usher.flush_flows()
    tiny = Tiny()
    a, b, c = tiny.flow(50001), tiny.flow(50002), tiny.flow(50003)
    assert not a.refused and not b.refused and c.refused, "model: two ports on CPU 0"
    run_steps(usher, [tiny.first(a), tiny.first(b)], "fill CPU 0")
    written = (nat_maps.reply_tuples(usher), nat_maps.client_tuples(usher))
    run_steps(usher, [c.dropped(), c.dropped()], "third flow on CPU 0, twice")
    assert (nat_maps.reply_tuples(usher), nat_maps.client_tuples(usher)) == written, \
        "a refused flow must write neither table"
    assert {(t[2], t[3]) for t in written[0]} == {(a.snat, a.snat_port), (b.snat, b.snat_port)}

    d, e = tiny.flow(50004, cpu=1), tiny.flow(50005, cpu=1)
    assert {d.snat_port % 2, e.snat_port % 2} == {1}
    run_steps(usher, [tiny.first(d), tiny.first(e)], "CPU 1 has its own share")

    u1, u2, u3 = (tiny.flow(sport, udp=True) for sport in (50011, 50012, 50013))
    assert u3.refused
    run_steps(usher, [tiny.first(u1), tiny.first(u2), u3.dropped()], "UDP fills CPU 0 too")

    run_steps(usher, [
        a.forward(a.later("R", payload=b""), new=False),
        c.dropped(),  # closed, but not for tcp-closed-timeout yet
        d.forward(d.later("FA", payload=b""), new=False),
        e.forward(e.later("FA", payload=b""), new=False),
        e.reply(e.reply_l3("FA", payload=b"")),
    ], "close a (RST) and e (FIN both ways), half-close d")
    tiny.close(a)
    tiny.close(e)
    for udp_flow in (u1, u2):
        tiny.close(udp_flow)
    time.sleep(WAIT)

    c = tiny.flow(50003)
    assert c.reclaimed and (c.snat, c.snat_port) == (a.snat, a.snat_port), "model: c takes a's port"
    a_again = tiny.flow(50001)
    assert a_again.refused
    f, g = tiny.flow(50006, cpu=1), tiny.flow(50007, cpu=1)
    assert f.reclaimed and f.snat_port == e.snat_port and g.refused, "model: only e's port is free"
    u3 = tiny.flow(50013, udp=True)
    assert u3.reclaimed
    run_steps(usher, [
        tiny.first(c), a_again.dropped(a.later("A")), tiny.first(f), g.dropped(), tiny.first(u3),
        c.reply(),
    ], "after the timeouts")
    held = nat_maps.reply_tuples(usher)
    assert held[(TINY_TCP_REAL[0], 8080, c.snat, c.snat_port, "tcp")][:2] == (c.client, c.client_port)
    assert (P.CLIENT4, 50001, TINY_VIP, 80, "tcp") not in nat_maps.client_tuples(usher), \
        "the reclaimed flow's forward entry must be gone"


def test_removed_real_reschedules_the_flow(usher):
    """A nat flow whose real is removed is balanced anew (ct_rescheduled) to the new real,
    keeping a SNAT port chosen as for a new flow, and its replies come back from the new real."""
    pool = [S.snat_pool("snat4", S.SNAT4)]
    first_real = ("198.51.100.121", "02:00:00:00:01:21", 8080)
    other_real = ("198.51.100.122", "02:00:00:00:01:22", 8081)

    def config(real):
        return {"snat-pools": pool,
                "services": [S.nat_service("move", "203.0.113.120", 80, "tcp", "nat",
                                           [S.nat_real(*real)], "snat4")]}

    usher.apply_config(config(first_real), "nat-move-a")
    usher.flush_flows()
    l3 = N.client("203.0.113.120", P.l4_tcp(sport=50100))
    before = NatFlow("move", l3, real=first_real)
    run_steps(usher, [before.forward()], "first real")

    usher.apply_config(config(other_real), "nat-move-b")
    after = NatFlow("move", l3, real=other_real)
    step = after.forward(after.later("A"), new=False)
    counters = dict(step.counters)
    del counters["global.ct_hit.packets"]
    counters["global.ct_rescheduled.packets"] = 1  # as for dsr: not a new flow of the service
    rescheduled = type(step)(step.packet, step.reason, step.expected, counters, cpu=step.cpu)
    run_steps(usher, [rescheduled, after.reply(after.reply_l3("A"))], "real removed")
