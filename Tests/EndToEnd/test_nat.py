"""Full NAT (`nat`) and gateway NAT (`gateway`) through the lab, with real TCP and UDP.

nat: the reals see the balancer's SNAT address (198.51.100.3 / 2001:db8:2::3) and answer to it;
gateway: they see the client and answer through the balancer, their gateway (policy routing).
Either way the client only ever talks to the VIP: an answer from anywhere else would fail.
"""
import json

import pytest

from labkit import real_stats, service_stats

REALS = ("real1", "real2", "real3")
TCP = [pytest.param(name, id=name) for name in ("web-nat", "web-gw", "web-nat-v6", "web-gw-v6")]
UDP_SERVICES = ("udp-nat", "udp-gw", "udp-nat-v6", "udp-gw-v6")


def counter(stats, name):
    return stats["global"][name]["packets"]


def expected_view(lab, service):
    """(source address, port at the real) a real must see for a service of this lab."""
    client = lab.client_address if service["family"] == 4 else lab.client_address6
    return (service["snat"] if service["mode"] == "nat" else client), service["real_port"]


@pytest.mark.parametrize("service_name", TCP)
def test_http_requests_succeed_spread_and_reals_see_the_right_source(balanced_lab, service_name):
    lab = balanced_lab
    service = lab.service(service_name)
    source, real_port = expected_view(lab, service)
    count = 300

    result = lab.get(service["vip"], count=count)

    assert result["ok"] == count and result["failed"] == 0, result
    assert set(result["by_body"]) == set(REALS), result
    for real in REALS:
        assert 0.75 * count / 3 <= result["by_body"][real] <= 1.25 * count / 3, result
    ports = []
    for real in REALS:
        entries = [e for e in lab.log(real) if e["path"] == "/"]
        assert len(entries) == result["by_body"][real], (real, len(entries), result)
        local = lab.real_address(real, service["family"])
        assert {(e["client"], e["local"], e["local_port"]) for e in entries} == {(source, local, real_port)}, (
            f"{real} should see {source} → {local}:{real_port}: {entries[:2]}")
        ports += [(real, e["client_port"]) for e in entries]
    # Every connection was its own tuple at the reals: no real saw one source port twice (a
    # SNAT port may serve two reals at once: their reply tuples differ).
    assert len(set(ports)) == count, f"{count - len(set(ports))} source ports were used twice at one real"
    stats = lab.stats()
    counted = service_stats(stats, service_name)
    assert counted["new_flows"] == count and counted.get("nat_exhausted", 0) == 0, counted
    assert counted["reply_packets"] >= 3 * count, counted  # SYN-ACK, the answer, FIN at least
    assert counter(stats, "nat_reply") >= 3 * count, stats["global"]
    for real in REALS:
        assert real_stats(stats, lab.real_address(real, service["family"]), service)["new_flows"] == \
            result["by_body"][real]


def test_udp_request_response_succeeds_and_reals_see_the_right_source(balanced_lab):
    """udp-nat, udp-gw and their IPv6 twins in one lab (30 exchanges each, one flow each)."""
    lab = balanced_lab
    count = 30
    for service_name in UDP_SERVICES:
        service = lab.service(service_name)
        source, real_port = expected_view(lab, service)

        result = lab.udp(service["vip"], count=count, port=service["port"])  # only answers from the VIP count

        assert result["ok"] == count, (service_name, result)
        assert set(result["by_real"]) == set(REALS), f"{service_name}: 30 flows should reach all three reals: {result}"
        for real, seen_source, local, local_port, _ in result["seen"]:
            assert (seen_source, local, local_port) == (
                source, lab.real_address(real, service["family"]), real_port), (service_name, result)
        counted = service_stats(lab.stats(), service_name)
        assert counted["new_flows"] == count and counted["reply_packets"] >= count, (service_name, counted)


def test_flows_lists_open_connections_with_their_translation(balanced_lab):
    lab = balanced_lab
    probe = lab.usher("flows", "--json", check=False)
    if "Unexpected argument 'flows'" in probe.stderr:
        pytest.skip("this usher has no 'flows' command yet (issue 3, the nat-control helper)")
    streams = {name: [lab.stream(lab.service(name)["vip"], seconds=6) for _ in range(3)] for name in ("web-nat", "web-gw")}
    for service_name, opened in streams.items():
        service = lab.service(service_name)
        source, real_port = expected_view(lab, service)
        reals = {stream.port: stream.wait_first() for stream in opened}

        listed = json.loads(lab.usher("flows", "--json", "--service", service_name).stdout)

        flows = {f["client_port"]: f for f in listed["flows"]}
        assert set(reals) <= set(flows), f"open connections {sorted(reals)} not all listed: {listed}"
        assert all(f["service"] == service_name for f in listed["flows"]), listed
        for port, real in reals.items():
            flow = flows[port]
            at_real = [e for e in lab.log(real) if e["path"].startswith("/stream")]
            snat_ports = {e["client_port"] for e in at_real if e["client"] == source}
            assert (flow["protocol"], flow["client"], flow["vip"], flow["vip_port"], flow["mode"]) == (
                "tcp", lab.client_address, service["vip"], 80, service["mode"]), flow
            assert (flow["real"], flow["real_port"], flow["snat_address"]) == (
                lab.real_address(real), real_port, source), flow
            assert flow["snat_port"] in snat_ports, (flow, snat_ports)  # the port the real saw
            assert flow["state"] == "established", flow
    for stream in streams["web-nat"] + streams["web-gw"]:
        assert stream.result()["intact"]


def test_5000_concurrent_connections_through_nat_with_one_snat_address(balanced_lab):
    lab = balanced_lab
    service = lab.service("web-nat")
    count = 5000

    result = lab.hold(service["vip"], connections=count, deadline=90)

    assert result["open_at_once"] == count, f"not all {count} connections were open at once: {result}"
    assert result["ok"] == count and result["failed"] == 0, result
    assert set(result["by_body"]) == set(REALS), result
    seen = set()
    for real in REALS:
        for entry in (e for e in lab.log(real) if e["path"] == "/"):
            assert entry["client"] == service["snat"], entry
            seen.add((entry["client_port"], real))
    # One SNAT address: every open connection had its own port at its real (a port may serve
    # two reals at once: their reply tuples differ).
    assert len(seen) == count, f"{count - len(seen)} connections shared a SNAT port at one real"
    counted = service_stats(lab.stats(), "web-nat")
    assert counted["new_flows"] == count and counted.get("nat_exhausted", 0) == 0, counted
    print(f"5000 connections: all open after {result['connect_seconds']} s, answered after {result['seconds']} s;"
          f" per real {result['by_body']}")


@pytest.mark.parametrize("service_name", ["web-pmtu", "web-pmtu-v6"])
def test_transfer_completes_with_a_lower_path_mtu_behind_the_balancer(balanced_lab, service_name):
    """real4 is behind router2's 1280-byte link: the client's full-size segments get an ICMP
    error sent to the SNAT address, which the balancer must translate for the client."""
    lab = balanced_lab
    vip = lab.service(service_name)["vip"]
    before = counter(lab.stats(), "nat_icmp")

    report = lab.transfer(vip, size=2 << 20)

    assert report["upload"]["ok"] and report["download"]["ok"], report
    assert report["upload"]["real"] == "real4" and report["download"]["real"] == "real4", report
    assert counter(lab.stats(), "nat_icmp") > before, "no ICMP error was translated (nat_icmp)"
