"""The L7 proxy behind the XDP program: services of mode http/https are passed up (pass_l7) to
`usher proxy -c usher.yaml`, which the lab runs in the balancer's namespace on the L7 VIP
(203.0.113.14, on the lb's loopback) with a pool of real1..3 on port 80.
"""
import os
import subprocess

import pytest

from labkit import LAB_TOOL, service_stats

REALS = ("real1", "real2", "real3")


@pytest.mark.parametrize("service_name,tls", [("web-l7", False), ("web-l7s", True)], ids=["http", "https"])
def test_requests_through_the_l7_vip_reach_the_reals_through_the_proxy(balanced_lab, service_name, tls):
    lab = balanced_lab
    service = lab.service(service_name)
    lb = lab.facts["hosts"]["lb"]["interfaces"]["eth0"]["ipv4"].split("/")[0]
    before = lab.stats()
    marks = lab.log_marks()
    count = 300

    result = lab.get(service["vip"], port=service["port"], count=count, tls=tls)

    assert result["ok"] == count and result["failed"] == 0, result
    # Round robin over three healthy members: each gets its third (± the health checks' timing).
    assert set(result["by_body"]) == set(REALS), result
    for real in REALS:
        assert count / 3 * 0.75 <= result["by_body"][real] <= count / 3 * 1.25, result
    # The reals saw the proxy's connections (from the lb), with the client in X-Forwarded-For.
    seen = lab.requests_since(marks)
    for real in REALS:
        assert len(seen[real]) == result["by_body"][real], (real, len(seen[real]), result)
        assert {(e["client"], e["forwarded_for"], e["local_port"]) for e in seen[real]} == {
            (lb, lab.client_address, 80)}, seen[real][:3]
    # XDP passed the client's packets up to the host (pass_l7), counted for the service.
    after = lab.stats()
    passed = after["global"]["pass_l7"]["packets"] - before["global"]["pass_l7"]["packets"]
    assert passed >= 4 * count, (before["global"]["pass_l7"], after["global"]["pass_l7"])
    counted = service_stats(after, service_name)["packets"] - service_stats(before, service_name)["packets"]
    assert counted >= 4 * count, (service_stats(before, service_name), service_stats(after, service_name))
    log = open(lab.facts["hosts"]["lb"]["proxy"]["access_log"]).read().splitlines()
    assert sum(1 for line in log if f" {service_name} " in line and '"GET /" 200' in line) == count


def test_lab_down_stops_the_proxy(lab):
    pid = lab.facts["hosts"]["lb"]["proxy"]["pid"]
    assert os.path.exists(f"/proc/{pid}"), "the lab's proxy is not running"
    assert lab.get(lab.service("web-l7")["vip"], count=3)["ok"] == 3

    lab.down()

    assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] == "Z"
    again = subprocess.run([str(LAB_TOOL), "down", lab.name], capture_output=True, text=True, timeout=30)
    assert again.returncode == 0
