"""Fixtures that take more than one packet: connection tracking across config changes
(established flows, draining, removal) and Maglev choices among several reals.

Where a case needs to know which real Maglev picks, it reads the service's table from
`usher maps dump --json` (the table's contents are the Swift control plane's business) and
predicts the slot with flowhash.py; the outputs are then built from contracts.md as everywhere.
"""

import pytest

import packets as P
import checks
import flowhash
import scenarios as S
from case import VERDICT_REASONS
from maglev_dump import maglev_table

VIP = "203.0.113.60"
A = ("198.51.100.61", "02:00:00:00:00:61")
B = ("198.51.100.62", "02:00:00:00:00:62")
C = ("198.51.100.63", "02:00:00:00:00:63")
TABLE = 251  # small prime: the dumped table stays short
FLOW_SERVICE = f"{VIP}:80/tcp"  # how usher names the service in `maps dump`


def flow_config(reals, mode="dsr-l2", hash_mode=None, vip=VIP):
    return {"encapsulation": S.ENCAP_HASHED,
            "services": [S.service("flow", vip, 80, "tcp", mode,
                                   [S.real(address, mac, weight) for address, mac, weight in reals],
                                   table_size=TABLE, hash_mode=hash_mode)]}


def weighted(*reals_and_weights):
    return [(real[0], real[1], weight) for real, weight in reals_and_weights]


def client_flow(sport, flags="S", src=P.CLIENT4):
    return P.ipv4(VIP, P.l4_tcp(sport=sport, flags=flags), src=src)


def send(usher, l3, verdict, expected, counters):
    """Runs one frame; checks verdict, exact bytes, the verdict reason (exactly one moves) and
    the given counter deltas exactly."""
    frame = P.frame(l3)
    before = usher.current_stats()
    got_verdict, output = usher.run_packet(frame)
    delta = checks.stats_delta(before, usher.stats())
    problems = []
    if got_verdict != verdict:
        problems.append(f"verdict {got_verdict}, expected {verdict}")
    if expected is not None and output != expected:
        problems.append(checks.frame_diff(expected, output))
    moved = [r for r in VERDICT_REASONS if delta.get(f"global.{r}.packets", 0)]
    want_reason = {"XDP_TX": "tx", "XDP_DROP": "drop_no_real"}[verdict]
    if moved != [want_reason] or delta.get(f"global.{want_reason}.packets") != 1:
        problems.append(f"verdict reasons moved: {moved}, expected exactly [{want_reason}] by 1")
    for key, want in counters.items():
        if delta.get(key, 0) != want:
            problems.append(f"{key}: moved by {delta.get(key, 0)}, expected {want}")
    assert not problems, "\n".join([f"{l3.summary()}"] + problems)


def establish(usher, sport, real):
    """Opens the connection from client port `sport` that Maglev gives `real`: its SYN, a new
    flow that makes no entry (ct_new), then its ACK, which makes the entry (ct_confirmed, not
    a new flow again)."""
    syn = client_flow(sport)
    send(usher, syn, "XDP_TX", to(real, syn),
         {"global.ct_new.packets": 1, "global.ct_confirmed.packets": 0, f"real.{real[0]}.new_flows": 1})
    ack = client_flow(sport, flags="A")
    send(usher, ack, "XDP_TX", to(real, ack),
         {"global.ct_confirmed.packets": 1, "global.ct_new.packets": 0, f"real.{real[0]}.new_flows": 0})
    return syn


def to(real, l3):
    return P.dsr_l2(l3, real[1])


def real_of(table, l3, source_only=False):
    """The real (address) Maglev's table gives this client packet."""
    size, slots = table
    return slots[flowhash.maglev_slot(P.client_hash(l3, source_only), size)]


def pick_sport(table, want_address, start=41000):
    """A client port whose flow the table sends to want_address."""
    for sport in range(start, start + 2000):
        if real_of(table, client_flow(sport)) == want_address:
            return sport
    raise AssertionError(f"no client port in {start}..{start + 2000} maps to {want_address}")


def test_established_flow_keeps_its_real(usher):
    """A tracked flow stays on its real after the reals change so that Maglev would now pick
    another one; a new flow follows the new table."""
    two = flow_config(weighted((A, 1), (B, 1)))
    usher.apply_config(two, "flow-ab")
    sport = pick_sport(maglev_table(usher.maps_dump(), FLOW_SERVICE), B[0])

    usher.apply_config(flow_config(weighted((A, 1))), "flow-a")
    usher.flush_flows()
    first = establish(usher, sport, A)

    usher.apply_config(two, "flow-ab")
    table = maglev_table(usher.maps_dump(), FLOW_SERVICE)
    assert real_of(table, first) == B[0], "precondition: the new table must send this flow to B"
    later = client_flow(sport, flags="A")
    send(usher, later, "XDP_TX", to(A, later),
         {"global.ct_hit.packets": 1, "global.ct_new.packets": 0,
          f"real.{A[0]}.packets": 1, f"real.{A[0]}.new_flows": 0, f"real.{B[0]}.packets": 0})

    fresh = client_flow(pick_sport(table, B[0], start=sport + 1))
    send(usher, fresh, "XDP_TX", to(B, fresh), {"global.ct_new.packets": 1, f"real.{B[0]}.new_flows": 1})


def test_drained_real_keeps_tracked_flows_and_gets_no_new_ones(usher):
    """Draining a real (weight 0) keeps its tracked flow on it; new flows never go to it."""
    usher.apply_config(flow_config(weighted((A, 1))), "flow-a")
    usher.flush_flows()
    establish(usher, 42000, A)

    usher.apply_config(flow_config(weighted((A, 0), (B, 1))), "flow-a-drained")
    later = client_flow(42000, flags="A")
    send(usher, later, "XDP_TX", to(A, later), {"global.ct_hit.packets": 1, f"real.{A[0]}.packets": 1})
    for sport in range(43000, 43016):
        fresh = client_flow(sport)
        send(usher, fresh, "XDP_TX", to(B, fresh),
             {"global.ct_new.packets": 1, f"real.{B[0]}.new_flows": 1, f"real.{A[0]}.packets": 0})


def test_all_drained_keeps_tracked_flow_and_drops_new_ones(usher):
    """With every real drained, a tracked flow continues, a new flow is dropped as no_real."""
    usher.apply_config(flow_config(weighted((A, 1))), "flow-a")
    usher.flush_flows()
    establish(usher, 44000, A)

    usher.apply_config(flow_config(weighted((A, 0))), "flow-a-zero")
    later = client_flow(44000, flags="A")
    send(usher, later, "XDP_TX", to(A, later), {"global.ct_hit.packets": 1})
    send(usher, client_flow(44001), "XDP_DROP", None, {"service.flow.no_real": 1})


def test_removed_real_flow_is_rescheduled(usher):
    """A tracked flow whose real was removed is balanced anew (ct_rescheduled), then tracked
    on its new real."""
    usher.apply_config(flow_config(weighted((A, 1))), "flow-a")
    usher.flush_flows()
    establish(usher, 45000, A)

    usher.apply_config(flow_config(weighted((B, 1))), "flow-b")
    later = client_flow(45000, flags="A")
    send(usher, later, "XDP_TX", to(B, later),
         {"global.ct_rescheduled.packets": 1, "global.ct_hit.packets": 0, f"real.{B[0]}.packets": 1})
    send(usher, later, "XDP_TX", to(B, later),
         {"global.ct_hit.packets": 1, "global.ct_rescheduled.packets": 0})


def test_all_reals_removed_drops_tracked_flow(usher):
    """When every real is removed, even a tracked flow has nowhere to go: dropped as no_real."""
    usher.apply_config(flow_config(weighted((A, 1))), "flow-a")
    usher.flush_flows()
    establish(usher, 46000, A)

    usher.apply_config(flow_config([]), "flow-none")
    send(usher, client_flow(46000, flags="A"), "XDP_DROP", None, {"service.flow.no_real": 1})


@pytest.mark.parametrize("hash_mode", ["5-tuple", "source-ip"])
def test_maglev_choice_matches_hash_and_table_ipip(usher, hash_mode):
    """With three reals, each of 24 new flows (from 12 clients) goes to the real at slot
    1 + hash % M of the dumped table, encapsulated with the outer source that same hash gives
    (dsr-ipip, /26); with source-ip hashing both depend on the client address alone."""
    source_only = hash_mode == "source-ip"
    usher.apply_config(flow_config(weighted((A, 1), (B, 1), (C, 1)), mode="dsr-ipip",
                                   hash_mode=hash_mode), f"flow-abc-ipip-{hash_mode}")
    usher.flush_flows()
    table = maglev_table(usher.maps_dump(), FLOW_SERVICE)
    macs = dict((A, B, C))
    seen = set()
    for index in range(24):
        l3 = client_flow(47000 + index, src=f"192.0.2.{1 + index % 12}")
        address = real_of(table, l3, source_only=source_only)
        seen.add(address)
        send(usher, l3, "XDP_TX",
             P.dsr_ipip4(l3, address, macs[address], S.ENCAP_HASHED["source-v4"],
                         source_only=source_only),
             {"global.ct_new.packets": 1, f"real.{address}.new_flows": 1})
    assert len(seen) > 1, "24 flows all went to one real: the test proves little, pick other ports"


def test_source_ip_hash_keeps_a_client_on_one_real(usher):
    """hash: source-ip: the real depends only on the client address (jhash of it alone), so
    every port of a client lands on the predicted real."""
    usher.apply_config(flow_config(weighted((A, 1), (B, 1), (C, 1)), hash_mode="source-ip"), "flow-src")
    usher.flush_flows()
    table = maglev_table(usher.maps_dump(), FLOW_SERVICE)
    macs = dict((A, B, C))
    seen = set()
    for host in range(1, 13):
        client = f"192.0.2.{host}"
        for sport in (48000, 48001 + host):
            l3 = client_flow(sport, src=client)
            address = real_of(table, l3, source_only=True)
            seen.add(address)
            send(usher, l3, "XDP_TX", to((address, macs[address]), l3), {"global.ct_new.packets": 1})
    assert len(seen) > 1, "12 clients all went to one real: the test proves little"
