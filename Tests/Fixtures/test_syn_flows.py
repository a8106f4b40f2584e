"""A TCP SYN (SYN set, ACK clear) on a tuple that is already tracked: a new connection reusing
the tuple (a client behind a NAT, a reused source port), which Maglev places anew as Katran
does (conntrack.h, nat.h; Docs/ARCHITECTURE.md "Connection tracking"). Other packets of the
tuple keep following the tracked entry, so a drain keeps established flows. In the dsr modes
a bare SYN never makes an entry (SYN-flood protection): the connection's first other packet
does, counted ct_confirmed since its SYN was the new flow.

Every step pins what nat_case.run_steps pins: all verdict reasons and flow events, and per
service and real packets and new flows. Which real Maglev picks is read from the dumped table
(test_flows.real_of); outputs are built from the specification (packets.py, nat_flow.py).
"""

import pytest

import nat_maps
import nat_packets as N
import packets as P
import scenarios as S
from maglev_dump import maglev_table
from nat_case import Step, run_steps
from nat_flow import NatFlow
from test_flows import A, B, C, FLOW_SERVICE, client_flow, flow_config, pick_sport, real_of, to, weighted

SERVICE = "flow"  # the service of test_flows.flow_config


def dsr(l3, real, event="ct_hit"):
    """The client's packet l3 leaving for `real` (dsr-l2), counted as `event`; ct_new also
    counts a new flow of the service and the real."""
    frame = P.frame(l3)
    counters = {f"service.{SERVICE}.packets": 1, f"service.{SERVICE}.bytes": len(frame),
                f"real.{real[0]}.packets": 1, f"global.{event}.packets": 1}
    if event == "ct_new":
        counters.update({f"service.{SERVICE}.new_flows": 1, f"real.{real[0]}.new_flows": 1})
    return Step(frame, "tx", to(real, l3), counters)


def tracked_on(usher, real, reals, sport=None):
    """Applies `reals`, empties the flow table, and starts a connection that Maglev gives
    `real` (from client port `sport`, else the first such port): its SYN and an ACK. Returns
    the client port."""
    usher.apply_config(flow_config(reals), "syn-start")
    usher.flush_flows()
    sport = sport or pick_sport(maglev_table(usher.maps_dump(), FLOW_SERVICE), real[0])
    run_steps(usher, [dsr(client_flow(sport), real, "ct_new"), dsr(client_flow(sport, "A"), real, "ct_confirmed")],
              "connection started")
    return sport


def dsr_entries(usher, sport):
    """The reals of the flow entries `usher flows --json` lists for client port `sport`."""
    return [f.get("real") for f in usher.flows()["flows"] if f.get("client_port") == sport]


def test_a_syn_makes_no_entry_and_its_ack_makes_it_on_the_same_real(usher):
    """SYN-flood protection (dsr): a bare SYN is placed by Maglev and counted as a new flow
    (ct_new) but leaves no entry, so spoofed SYNs evict no established flow; a retransmitted
    SYN is the same again. The connection's first ACK makes the entry on the same real
    (ct_confirmed, not a second new flow) and the next packet finds it (ct_hit)."""
    usher.apply_config(flow_config(weighted((A, 1), (B, 1))), "syn-start")
    usher.flush_flows()
    sport = pick_sport(maglev_table(usher.maps_dump(), FLOW_SERVICE), B[0])
    run_steps(usher, [dsr(client_flow(sport), B, "ct_new")], "SYN")
    assert dsr_entries(usher, sport) == [], "a SYN made a flow entry"
    run_steps(usher, [dsr(client_flow(sport), B, "ct_new")], "SYN retransmitted")
    assert dsr_entries(usher, sport) == [], "a SYN made a flow entry"
    run_steps(usher, [dsr(client_flow(sport, "A"), B, "ct_confirmed"), dsr(client_flow(sport, "PA"), B)],
              "ACK, then data")
    assert dsr_entries(usher, sport) == [B[0]], "the ACK after the SYN made no entry on B"


def test_syn_on_a_drained_reals_tuple_goes_to_another_real(usher):
    """Once A drains, the established connection's ACKs still reach A, but a SYN on the same
    tuple (a new connection reusing the port) is Maglev's: B, a new flow of B; the entry is
    replaced, so the new connection's ACKs follow to B."""
    sport = tracked_on(usher, A, weighted((A, 1), (B, 1)))
    usher.apply_config(flow_config(weighted((A, 0), (B, 1))), "syn-a-drained")
    run_steps(usher, [
        dsr(client_flow(sport, "A"), A),
        dsr(client_flow(sport), B, "ct_new"),
        dsr(client_flow(sport, "A"), B),
    ], "A drained")


def test_non_syn_packets_on_a_drained_reals_tuple_stay(usher):
    """Whatever a drained real's established flow sends but a bare SYN (ACK, data, FIN, RST,
    and the SYN-ACK flags) keeps following the tracked entry to A."""
    sport = tracked_on(usher, A, weighted((A, 1), (B, 1)))
    usher.apply_config(flow_config(weighted((A, 0), (B, 1))), "syn-a-drained")
    run_steps(usher, [dsr(client_flow(sport, flags), A) for flags in ("A", "PA", "SA", "FA", "R")],
              "A drained")


def test_syn_on_a_healthy_reals_tuple_stays_while_the_table_is_unchanged(usher):
    """A SYN on a tuple tracked to a healthy real, the table unchanged (also after applying the
    same config again): Maglev gives the same real, the entry stands (ct_hit, no new flow)."""
    reals = weighted((A, 1), (B, 1))
    sport = tracked_on(usher, A, reals)
    run_steps(usher, [dsr(client_flow(sport), A)], "same table")
    usher.apply_config(flow_config(reals), "syn-start-again")
    run_steps(usher, [dsr(client_flow(sport), A), dsr(client_flow(sport, "A"), A)], "same config again")


def test_syn_follows_a_changed_table(usher):
    """After a real is added so that Maglev now gives the tuple to C, the established flow's
    ACKs stay on A while a SYN on the tuple goes to C, as for a fresh tuple."""
    ab, abc = weighted((A, 1), (B, 1)), weighted((A, 1), (B, 1), (C, 1))
    usher.apply_config(flow_config(abc), "syn-abc")
    table_abc = maglev_table(usher.maps_dump(), FLOW_SERVICE)
    usher.apply_config(flow_config(ab), "syn-start")
    table_ab = maglev_table(usher.maps_dump(), FLOW_SERVICE)
    moved = [sport for sport in range(41000, 43000)
             if real_of(table_ab, client_flow(sport)) == A[0] and real_of(table_abc, client_flow(sport)) == C[0]]
    assert moved, "no client port in 41000..43000 that adding C moves from A to C"

    tracked_on(usher, A, ab, sport=moved[0])
    usher.apply_config(flow_config(abc), "syn-abc")
    run_steps(usher, [dsr(client_flow(moved[0], "A"), A), dsr(client_flow(moved[0]), C, "ct_new")], "C added")


def test_syn_on_a_removed_reals_tuple_is_a_new_flow(usher):
    """A's tuple after A was removed: an ACK is rescheduled (ct_rescheduled, as before), but a
    SYN is a new connection like any other (ct_new, a new flow of B)."""
    sport = tracked_on(usher, A, weighted((A, 1), (B, 1)))
    usher.apply_config(flow_config(weighted((B, 1))), "syn-a-removed")
    run_steps(usher, [dsr(client_flow(sport), B, "ct_new"), dsr(client_flow(sport, "A"), B)], "A removed")


def test_syn_with_every_real_drained_is_dropped(usher):
    """With its only real drained, a tracked tuple's ACKs still reach it, but a SYN (a new
    connection) has no real to go to: dropped as no_real, the entry left for the old flow."""
    sport = tracked_on(usher, A, weighted((A, 1)))
    usher.apply_config(flow_config(weighted((A, 0))), "syn-a-zero")
    syn = P.frame(client_flow(sport))
    run_steps(usher, [
        Step(syn, "drop_no_real", None, {f"service.{SERVICE}.packets": 1,
                                         f"service.{SERVICE}.bytes": len(syn),
                                         f"service.{SERVICE}.no_real": 1}),
        dsr(client_flow(sport, "A"), A),
    ], "A drained alone")


# ---- nat: a SYN Maglev places elsewhere releases the tracked flow's two entries ----

NAT_VIP = "203.0.113.130"
NAT_SERVICE = "syn-nat"
R1 = ("198.51.100.131", "02:00:00:00:01:31", 8080)
R2 = ("198.51.100.132", "02:00:00:00:01:32", 8080)


def nat_config(*reals_and_weights, mode="nat"):
    reals = [S.nat_real(address, mac, port, weight) for (address, mac, port), weight in reals_and_weights]
    pool = "snat4" if mode == "nat" else None
    return {"snat-pools": [S.snat_pool("snat4", S.SNAT4)],
            "services": [S.nat_service(NAT_SERVICE, NAT_VIP, 80, "tcp", mode, reals, pool, table_size=251)]}


def nat_syn(sport):
    return P.ipv4(NAT_VIP, P.l4_tcp(sport=sport))


def nat_tracked_on(usher, real, mode="nat"):
    """Both reals in the table (a nat or gateway service), the flow tables empty, then a
    connection Maglev gives `real`: its SYN and the real's SYN-ACK. Returns its NatFlow."""
    usher.apply_config(nat_config((R1, 1), (R2, 1), mode=mode), f"syn-{mode}")
    usher.flush_flows()
    table = maglev_table(usher.maps_dump(), f"{NAT_VIP}:80/tcp")
    sport = next((port for port in range(50200, 52200) if real_of(table, nat_syn(port)) == real[0]), None)
    assert sport, f"no client port in 50200..52200 maps to {real[0]}"
    flow = NatFlow(NAT_SERVICE, nat_syn(sport), real=real, gateway=mode == "gateway")
    run_steps(usher, [flow.forward(), flow.reply()], "connection started")
    return flow


def entries_of(usher, flow):
    """The NAT tables' entries of the flow's client tuple: {reply tuple} and its forward entry."""
    client = (flow.client, flow.client_port, flow.vip, flow.vip_port, "tcp")
    replies = {key for key, owner in nat_maps.reply_tuples(usher).items() if owner == client}
    return replies, nat_maps.client_tuples(usher).get(client)


@pytest.mark.parametrize("mode", ["nat", "gateway"])
def test_nat_syn_on_a_drained_reals_tuple_releases_it_and_goes_to_another_real(usher, mode):
    """nat and gateway, R1 drained: the established flow's ACK still reaches R1 (ct_hit); a SYN
    on the same tuple is a new flow of R2 (ct_new) with the source port a new flow gets, and the
    NAT tables hold exactly its two entries: R1's reply tuple is released, so R1's late reply
    on the old connection is no flow's (pass_no_flow) while R2's is translated back."""
    old = nat_tracked_on(usher, R1, mode)
    usher.apply_config(nat_config((R1, 0), (R2, 1), mode=mode), f"syn-{mode}-r1-drained")
    run_steps(usher, [old.forward(old.later("A"), new=False)], "R1 drained, established")

    new = NatFlow(NAT_SERVICE, old.l3, real=R2, gateway=mode == "gateway")
    run_steps(usher, [new.forward()], "R1 drained, new connection")
    replies, forward = entries_of(usher, new)
    assert replies == {(R2[0], R2[2], new.snat, new.snat_port, "tcp")}, replies
    assert forward == (new.snat, new.snat_port), forward

    late = N.real_frame(old.reply_l3("A"), old.mac)
    run_steps(usher, [Step(late, "pass_no_flow"), new.reply()], "replies")


def test_nat_syn_on_a_healthy_reals_tuple_keeps_its_entries(usher):
    """nat, the table unchanged: a SYN on a tracked tuple stays on its real with the same SNAT
    port (ct_hit), the tables unchanged."""
    flow = nat_tracked_on(usher, R1)
    before = entries_of(usher, flow)
    assert before == ({(R1[0], R1[2], flow.snat, flow.snat_port, "tcp")}, (flow.snat, flow.snat_port)), before
    run_steps(usher, [flow.forward(new=False), flow.reply()], "SYN again")
    assert entries_of(usher, flow) == before


def test_nat_syn_on_a_removed_reals_tuple_is_a_new_flow(usher):
    """nat, R1 removed: a SYN on its tuple is a new flow of R2 (ct_new), not a reschedule."""
    old = nat_tracked_on(usher, R1)
    usher.apply_config(nat_config((R2, 1)), "syn-nat-r1-removed")
    new = NatFlow(NAT_SERVICE, old.l3, real=R2)
    run_steps(usher, [new.forward(), new.reply()], "R1 removed, new connection")
