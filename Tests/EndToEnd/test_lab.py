"""The lab itself, without the balancer: routing, real servers, DSR addressing, teardown.

If these fail, a failing balancer test says nothing about the balancer.
"""
import json
import os
import subprocess

import pytest

from labkit import LAB_TOOL, Lab, require_root, unique_name


def snmp(lab, host, table, field):
    """A counter from /proc/net/snmp (IPv4) or /proc/net/snmp6 of a host."""
    if table == "Ip6":
        for line in lab.run(host, "cat", "/proc/net/snmp6").stdout.splitlines():
            key, value = line.split()
            if key == field:
                return int(value)
        raise KeyError(field)
    lines = [l.split() for l in lab.run(host, "cat", "/proc/net/snmp").stdout.splitlines() if l.startswith(table + ":")]
    return int(lines[1][lines[0].index(field)])


def alive(pid):
    """Whether a process runs (a zombie waiting for its reaper does not)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("family", [4, 6])
def test_client_reaches_every_real_server_through_the_router(bare_lab, family):
    for real in ("real1", "real2", "real3"):
        for port in (80, 8080):
            result = bare_lab.get(bare_lab.real_address(real, family), count=5, port=port)
            assert result["by_body"] == {real: 5}, result
    client = bare_lab.client_address if family == 4 else bare_lab.client_address6
    for real in ("real1", "real2", "real3"):
        entries = bare_lab.log(real)
        assert len(entries) == 10
        assert {e["client"] for e in entries} == {client}, "the router must not rewrite the client's address"


def test_stream_sends_a_line_every_100ms_and_an_end_line(bare_lab):
    stream = bare_lab.stream(bare_lab.real_address("real2"), seconds=1)
    assert stream.wait_first() == "real2"
    report = stream.result()
    assert report["intact"] and report["lines"] == 10 and report["expected"] == 10, report
    assert 0.9 <= report["seconds"] < 3, report


@pytest.mark.parametrize("family", [4, 6])
def test_vip_answers_from_real_server_loopback_and_replies_bypass_the_lb(bare_lab, family):
    """DSR addressing with the kernel standing in for the balancer: the lb forwards VIP
    traffic to one real at L3; the real accepts it on its loopback VIP and answers the client
    through the router, so the lb forwards exactly the client's segments and nothing back."""
    lab = bare_lab
    vip = lab.service("web-l2" if family == 4 else "web-l2-v6")["vip"]
    real_address = lab.real_address("real3", family)
    if family == 4:
        lab.run("lb", "sysctl", "-q", "-w", "net.ipv4.ip_forward=1", "net.ipv4.conf.all.send_redirects=0",
                "net.ipv4.conf.eth0.send_redirects=0")
        lab.run("lb", "ip", "route", "add", f"{vip}/32", "via", real_address)
        forwarded = lambda: snmp(lab, "lb", "Ip", "ForwDatagrams")
        client_out = lambda: snmp(lab, "client", "Ip", "OutRequests") - snmp(lab, "client", "Icmp", "OutMsgs")
        client = lab.client_address
    else:
        lab.run("lb", "sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1")
        lab.run("lb", "ip", "-6", "route", "add", f"{vip}/128", "via", real_address)
        forwarded = lambda: snmp(lab, "lb", "Ip6", "Ip6OutForwDatagrams")
        client_out = lambda: snmp(lab, "client", "Ip6", "Ip6OutRequests") - snmp(lab, "client", "Ip6", "Icmp6OutMsgs")
        client = lab.client_address6
    before_forwarded, before_out = forwarded(), client_out()

    result = lab.get(vip, count=20)

    assert result["by_body"] == {"real3": 20}, result
    entries = lab.log("real3")
    assert {(e["client"], e["local"], e["local_port"]) for e in entries} == {(client, vip, 80)}
    sent = client_out() - before_out
    assert sent >= 20 * 4
    # Replies through the lb would add three or more packets per request; a packet of the
    # client's lost on the way (TCP resends it, both count) may take one or two off.
    assert sent - 3 <= forwarded() - before_forwarded <= sent, (
        "replies must go real → router → client, not through the lb")


def test_facts_describe_the_lab(bare_lab):
    facts = bare_lab.facts
    assert set(facts["hosts"]) == {"client", "router", "lb", "real1", "real2", "real3", "router2", "real4"}
    for host, entry in facts["hosts"].items():
        assert entry["netns"] == f"{bare_lab.name}-{host}"
        for iface, details in entry["interfaces"].items():
            link = json.loads(bare_lab.run(host, "ip", "-j", "link", "show", iface).stdout)[0]
            assert link["address"] == details["mac"], (host, iface)
            assert link["mtu"] == details["mtu"], (host, iface)
    listed = subprocess.run([str(LAB_TOOL), "list"], capture_output=True, text=True, timeout=30).stdout
    assert f"{bare_lab.name} up" in listed
    config = open(facts["config"]).read()
    assert "mode: dsr-l2" in config and "mode: dsr-ipip" in config and "source-v4: 198.51.100.64/26" in config
    assert {s["mode"] for s in facts["services"]} == {"dsr-l2", "dsr-ipip", "nat", "gateway", "http", "https"}
    for service in facts["services"]:
        assert f"- name: {service['name']}\n    vip: {service['vip']}\n" in config, service
    assert "addresses: [198.51.100.3]" in config and "addresses: [2001:db8:2::3]" in config


def test_checksum_offload_is_off_on_every_veth(bare_lab):
    for host, entry in bare_lab.facts["hosts"].items():
        for iface in entry["interfaces"]:
            if iface == "br0":
                continue
            features = bare_lab.run(host, "ethtool", "-k", iface).stdout
            assert "tx-checksumming: off" in features, (host, iface)


def test_down_removes_everything_and_is_idempotent():
    require_root()
    lab = Lab.up(unique_name(), with_usher=False)
    pids = [lab.facts["hosts"][r]["pid"] for r in ("real1", "real2", "real3")]
    lab.down()
    namespaces = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert f"{lab.name}-" not in namespaces
    assert not os.path.exists(lab.facts["dir"])
    for pid in pids:
        assert not alive(pid), f"real server {pid} still runs"
    again = subprocess.run([str(LAB_TOOL), "down", lab.name], capture_output=True, text=True, timeout=30)
    assert again.returncode == 0


def test_up_refuses_a_name_in_use_and_bad_names(bare_lab):
    again = subprocess.run([str(LAB_TOOL), "up", bare_lab.name, "--no-usher"], capture_output=True, text=True, timeout=30)
    assert again.returncode != 0 and "already exists" in again.stderr
    assert bare_lab.get(bare_lab.real_address("real1"), count=1)["ok"] == 1, "the refused 'up' must not touch the lab"
    bad = subprocess.run([str(LAB_TOOL), "up", "Bad_Name"], capture_output=True, text=True, timeout=30)
    assert bad.returncode != 0 and "invalid" in bad.stderr


@pytest.mark.parametrize("family", [4, 6])
def test_traffic_from_a_reals_own_address_goes_through_the_lb(bare_lab, family):
    """Policy routing on the reals: what they send from their own address (gateway-mode replies)
    is routed by the lb, which forwards it like the reals' gateway; what they send from a VIP
    (DSR replies) is not (test_vip_answers_from_real_server_loopback_and_replies_bypass_the_lb)."""
    lab = bare_lab
    counter = (lambda: snmp(lab, "lb", "Ip", "ForwDatagrams")) if family == 4 else (
        lambda: snmp(lab, "lb", "Ip6", "Ip6OutForwDatagrams"))
    before = counter()

    result = lab.get(lab.real_address("real2", family), count=10)

    assert result["by_body"] == {"real2": 10}, result
    # Each request's replies (SYN-ACK, the answer, FIN at least) went real2 → lb → router.
    assert counter() - before >= 10 * 3, "replies from the real's own address must go through the lb"


@pytest.mark.parametrize("family", [4, 6])
def test_udp_responder_answers_from_the_address_it_was_sent_to(bare_lab, family):
    lab = bare_lab
    address = lab.real_address("real3", family)
    client = lab.client_address if family == 4 else lab.client_address6

    result = lab.udp(address, count=5, port=9001)

    assert result["ok"] == 5, result
    assert result["seen"] == [["real3", client, address, 9001, 5]], result
    entries = [e for e in lab.log("real3") if e["proto"] == "udp"]
    assert [(e["client"], e["local"], e["local_port"]) for e in entries] == [(client, address, 9001)] * 5


@pytest.mark.parametrize("family", [4, 6])
def test_router2_limits_the_path_to_real4_to_1280_bytes(bare_lab, family):
    """Without the balancer: a client's full-size segments to real4 (which advertises a 1500-byte
    MSS) get "fragmentation needed" / "packet too big" from router2, and 2 MB still go both ways.
    This is the lab's half of the NAT path-MTU test: the ICMP really is sent."""
    lab = bare_lab
    real4 = lab.real_address("real4", family)
    if family == 4:
        icmp = lambda: snmp(lab, "router2", "Icmp", "OutDestUnreachs")
    else:
        icmp = lambda: snmp(lab, "router2", "Ip6", "Icmp6OutPktTooBigs")
    before = icmp()

    report = lab.transfer(real4, port=8080, size=2 << 20)

    assert report["upload"]["ok"] and report["download"]["ok"], report
    assert report["upload"]["real"] == "real4" and report["download"]["real"] == "real4", report
    assert icmp() > before, "router2 sent no fragmentation-needed / packet-too-big"
