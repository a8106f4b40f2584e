"""Usher balancing real HTTP over real TCP in the lab, for DSR over L2 and over IP-in-IP.

Each test gets a fresh lab whose balancer runs Tools/lab's config (services web-l2, web-ipip
and their IPv6 twins, each with real1..3). The client opens one TCP connection per request;
the body of every answer names the real server that sent it.
"""
import pytest

from labkit import real_stats, service_stats, wait_until

REALS = ("real1", "real2", "real3")
MODES = [pytest.param("web-l2", id="dsr-l2"), pytest.param("web-ipip", id="dsr-ipip")]
MODES_V6 = [pytest.param("web-l2-v6", id="dsr-l2-v6"), pytest.param("web-ipip-v6", id="dsr-ipip-v6")]


def assert_even(by_body, reals, total):
    """Each of `reals` served its share of `total` within ±25%, and no other real served any."""
    assert set(by_body) == set(reals), f"expected answers from exactly {sorted(reals)}: {by_body}"
    share = total / len(reals)
    for real in reals:
        assert 0.75 * share <= by_body[real] <= 1.25 * share, (
            f"{real} served {by_body[real]} of {total} requests, expected {share:.0f} ± 25%: {by_body}")


def assert_all_ok(result):
    assert result["ok"] == result["requests"] and result["failed"] == 0, f"failed requests: {result}"


@pytest.mark.parametrize("service_name", MODES + MODES_V6)
def test_requests_spread_evenly_and_reals_see_the_client(balanced_lab, service_name):
    lab = balanced_lab
    service = lab.service(service_name)
    family, vip = service["family"], service["vip"]
    client = lab.client_address if family == 4 else lab.client_address6
    count = 600

    result = lab.get(vip, count=count)

    assert_all_ok(result)
    assert_even(result["by_body"], REALS, count)
    # Direct server return: each real got the client's own packets, addressed to the VIP.
    for real in REALS:
        entries = [e for e in lab.log(real) if e["path"] == "/"]
        assert len(entries) == result["by_body"][real]
        assert {(e["client"], e["local"], e["local_port"]) for e in entries} == {(client, vip, 80)}
    stats = lab.stats()
    counted = service_stats(stats, service_name)
    assert counted["new_flows"] == count, counted
    assert counted["packets"] >= 4 * count, counted  # SYN, ACK, request, FIN at least
    for other in lab.facts["services"]:
        if other["name"] != service_name:
            assert service_stats(stats, other["name"])["new_flows"] == 0
    for real in REALS:
        seen = real_stats(stats, lab.real_address(real, family), service)
        assert seen["new_flows"] == result["by_body"][real], (real, seen, result["by_body"])
    # The replies (three or more packets per request) went real → router → client: the
    # balancer saw only a handful of packets that were not for a VIP (ARP, ND, MLD).
    assert stats["global"]["pass_not_vip"]["packets"] < count / 10, stats["global"]


@pytest.mark.parametrize("service_name", MODES)
def test_drained_real_finishes_its_connection_and_gets_no_new_ones(balanced_lab, service_name):
    lab = balanced_lab
    vip = lab.service(service_name)["vip"]
    stream = lab.stream(vip, seconds=6)
    drained = stream.wait_first()
    lab.usher("real", "drain", service_name, lab.real_address(drained))
    marks = lab.log_marks()

    during = lab.get(vip, count=60)
    assert stream.process.poll() is None, "the stream should still run while the new connections are made"
    report = stream.result()
    after = lab.get(vip, count=30)

    assert report["intact"] and report["real"] == drained and report["lines"] == 60, (
        f"the drained real's connection was disturbed: {report}")
    for result in (during, after):
        assert_all_ok(result)
        assert drained not in result["by_body"], f"{drained} is drained but got new connections: {result}"
    served = {real: during["by_body"].get(real, 0) + after["by_body"].get(real, 0) for real in REALS}
    assert all(served[real] > 0 for real in REALS if real != drained), served
    assert lab.requests_since(marks)[drained] == [], f"{drained} logged requests after it was drained"
    stats = lab.stats()
    assert real_stats(stats, lab.real_address(drained), lab.service(service_name))["new_flows"] == 1


@pytest.mark.parametrize("service_name", MODES)
def test_removed_real_gets_no_new_connections_and_the_others_keep_theirs(balanced_lab, service_name):
    lab = balanced_lab
    vip = lab.service(service_name)["vip"]
    by_real = {}
    for _ in range(4):  # long-lived connections until every real holds one (bounded: 24)
        batch = [lab.stream(vip, seconds=6) for _ in range(6)]
        for stream in batch:
            by_real.setdefault(stream.wait_first(), []).append(stream)
        if set(by_real) == set(REALS):
            break
    assert set(by_real) == set(REALS), f"24 connections did not reach every real: {sorted(by_real)}"
    removed = sorted(by_real)[1]
    kept = [real for real in REALS if real != removed]

    lab.usher("real", "remove", service_name, lab.real_address(removed))
    marks = lab.log_marks()
    result = lab.get(vip, count=300)

    assert_all_ok(result)
    assert_even(result["by_body"], kept, 300)
    assert lab.requests_since(marks)[removed] == [], f"{removed} logged requests after it was removed"
    # The removed real's tracked flows are re-balanced (their new real resets them; their
    # clients are not asserted on), even though the real still serves the sibling service.
    assert wait_until(lambda: lab.stats()["global"]["ct_rescheduled"]["packets"] > 0, timeout=3), (
        "the removed real's tracked flows were not re-balanced")
    for real in kept:
        for stream in by_real[real]:
            report = stream.result()
            assert report["intact"] and report["real"] == real, (
                f"a connection to {real} broke when {removed} was removed: {report}")

def test_reals_without_mac_are_reached_through_the_neighbour_table(lab):
    """The usual config names no MACs: apply resolves each real's next hop in the balancer's
    namespace (ARP), and the traffic flows as with explicit MACs."""
    config = open(lab.facts["config"]).read()
    stripped = "\n".join(line for line in config.splitlines() if "mac:" not in line) + "\n"
    path = f"{lab.facts['dir']}/usher-no-mac.yaml"
    with open(path, "w") as file:
        file.write(stripped)
    lab.usher("apply", "-f", path, timeout=60)

    result = lab.get(lab.service("web-l2")["vip"], count=150)

    assert_all_ok(result)
    assert set(result["by_body"]) == set(REALS), result
