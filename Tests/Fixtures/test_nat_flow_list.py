"""`usher flows --json` (nat.md) after real packets through the program: each nat and gateway
flow with its translation (SNAT address and port as predicted), its state as FIN and RST
are seen each way, and the filters and limit."""

import subprocess

import pytest

import packets as P
from cases_nat import flow
from nat_case import run_steps


@pytest.fixture
def flows_cli(usher):
    probe = subprocess.run([usher.binary, "flows", "--help"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"this usher has no `flows` command yet: {probe.stderr.strip()[:200]}")
    usher.use("nat")
    usher.flush_flows()
    return usher


def listed(usher, *args):
    report = usher.flows(*args)
    assert set(report) >= {"flows", "shown", "total"}, report
    assert report["shown"] == len(report["flows"]), report
    return report


def entry_of(f):
    """What `usher flows --json` must say of a NatFlow (idle_seconds aside)."""
    return {"protocol": f.proto, "client": f.client, "client_port": f.client_port, "vip": f.vip,
            "vip_port": f.vip_port, "service": f.service, "mode": "gateway" if f.gateway else "nat",
            "real": f.real, "real_port": f.real_port, "snat_address": f.snat,
            "snat_port": f.snat_port}


def only(report, f):
    matches = [e for e in report["flows"] if e.get("client_port") == f.client_port]
    assert len(matches) == 1, report
    entry = matches[0]
    assert {k: entry.get(k) for k in entry_of(f)} == entry_of(f)
    assert isinstance(entry.get("idle_seconds"), int) and 0 <= entry["idle_seconds"] <= 5, entry
    return entry


def test_flows_lists_translations_and_filters(flows_cli):
    """A nat and a gateway flow are listed with their translation (nat: the predicted pool
    address and port; gateway: the client's own), and --service, --client, --real, --limit
    select what nat.md says."""
    usher = flows_cli
    nat = flow("nat-tcp4", P.l4_tcp(sport=43000))
    gw = flow("gw-udp4", P.l4_udp(sport=43001))
    run_steps(usher, [nat.forward(), gw.forward()], "two flows")
    everything = listed(usher)
    assert everything["total"] == 2 and everything["shown"] == 2
    assert only(everything, nat)["state"] == "established"
    assert only(everything, gw)["state"] == "established"

    by_service = listed(usher, "--service", "gw-udp4")
    assert [e["client_port"] for e in by_service["flows"]] == [43001]
    by_real = listed(usher, "--real", nat.real)
    assert [e["client_port"] for e in by_real["flows"]] == [43000]
    assert listed(usher, "--client", "192.0.2.0/24")["shown"] == 2
    assert listed(usher, "--client", "192.0.2.99")["shown"] == 0
    limited = listed(usher, "--limit", "1")
    assert limited["shown"] == 1 and limited["total"] == 2


def test_flows_show_tcp_closing(flows_cli):
    """State follows the TCP flags each side sent: FIN from the client → fin-client; FIN from
    the real → fin-real; both → closed; an RST → closed; a new SYN on the tuple → established."""
    usher = flows_cli
    a = flow("nat-tcp4", P.l4_tcp(sport=43100))
    b = flow("nat-tcp4", P.l4_tcp(sport=43101))
    c = flow("gw-tcp4", P.l4_tcp(sport=43102))
    run_steps(usher, [a.forward(), b.forward(), c.forward(), a.reply(), b.reply(), c.reply()],
              "three flows answered")
    run_steps(usher, [a.forward(a.later("FA", payload=b""), new=False),
                      b.reply(b.reply_l3("FA", payload=b""))], "one FIN each way")
    report = listed(usher)
    assert only(report, a)["state"] == "fin-client"
    assert only(report, b)["state"] == "fin-real"
    assert only(report, c)["state"] == "established"
    run_steps(usher, [a.reply(a.reply_l3("FA", payload=b"")),
                      c.forward(c.later("R", payload=b""), new=False)], "FIN back, and an RST")
    report = listed(usher)
    assert only(report, a)["state"] == "closed"
    assert only(report, c)["state"] == "closed"
    run_steps(usher, [c.forward(new=False)], "a new SYN on the closed tuple")
    assert only(listed(usher), c)["state"] == "established", "a SYN without ACK starts over"
