"""The active/active cluster (Docs/DEPLOYMENT.md, the cluster): three balancers announce one VIP over
BGP to a router that spreads the flows by ECMP (clusterlab.py).

300 long-lived TCP connections run through a dsr-l2 service over the three balancers; one
balancer dies (its link down, its daemon and bird killed). The router withdraws its route
within a second (BFD), the flows it carried move to the other two, whose identical Maglev
tables (or, when a real was added while they ran, the flow state synced between all three)
send each to the real it had: no connection breaks, and new connections succeed within 1 s.
"""
import json
import os
import signal
import subprocess
import time
from datetime import datetime
import pytest

from labkit import wait_until
from browser import SocketPage
from clusterlab import BALANCERS, NAT_VIP, PORT, ROUTER6, SNAT, VIP, VIP6, ClusterLab
from synclab import HERE as PROGRAMS, PYTHON, built_lab

CONNECTIONS = 300
FIRST_PORT = 20000
SECONDS = 14
CLUSTERLAB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "clusterlab.py")


@pytest.fixture
def clusterlab(tmp_path):
    with built_lab(ClusterLab, tmp_path) as lab:
        yield lab


def start_cluster(lab, balancers=BALANCERS, reals=("real1", "real2"), sync=True, nat=False, v6=False):
    for lb in balancers:
        lab.start_daemon(lb, lab.write_config(lb, reals, sync=sync, nat=nat, v6=v6))
    for vip in (VIP, VIP6) if v6 else (VIP,):
        assert wait_until(lambda: lab.next_hops(vip) == set(balancers), 30), \
            f"the router's route to {vip} leads to {lab.next_hops(vip)}, not {balancers}:\n{lab.bird_protocols()}"


def withdrawal_time(lab, lb, since, seconds=5, vip=VIP):
    """Seconds from `since` until the router's route to `vip` no longer leads to `lb` (None: not within `seconds`)."""
    deadline = since + seconds
    while time.time() < deadline:
        if lb not in lab.next_hops(vip):
            return time.time() - since
        time.sleep(0.02)
    return None


@pytest.mark.parametrize("add_real,sync", [(False, True), (True, True), (True, False)],
                         ids=["same-reals", "real-added", "real-added-without-sync"])
def test_a_dead_balancer_breaks_no_connection(clusterlab, add_real, sync):
    lab = clusterlab
    start_cluster(lab, sync=sync)
    started = lab.dir / "client.started"
    client = lab.popen("client", PYTHON, PROGRAMS, "client", f"{VIP}:{PORT}", FIRST_PORT, CONNECTIONS, SECONDS, started,
                       stdout=subprocess.PIPE, text=True)
    assert wait_until(started.exists, 10), "the client did not start"
    time.sleep(2)
    # The router spreads the connections: every balancer forwards a share of them.
    packets = {lb: lab.packets(lb) for lb in BALANCERS}
    total = sum(packets.values())
    print(f"\npackets per balancer before the death: {packets}")
    assert all(p > total / 10 for p in packets.values()), f"ECMP does not spread the flows: {packets}"

    if add_real:
        # A real added while the connections run: the Maglev tables now send about a third of
        # them to real3; only their tracked (and synced) state keeps them on their real.
        for lb in BALANCERS:
            lab.write_config(lb, ["real1", "real2", "real3"], sync=sync)
            lab.usher(lb, "reload", timeout=60)
        time.sleep(1.5)  # several sync rounds (200 ms)

    probe = lab.popen("client", PYTHON, CLUSTERLAB, "probe", VIP, PORT, 40000, 5, stdout=subprocess.PIPE, text=True)
    time.sleep(1)
    death = time.time()
    lab.kill("lb3")
    withdrawn = withdrawal_time(lab, "lb3", death)
    attempts = json.loads(probe.communicate(timeout=30)[0])
    out, _ = client.communicate(timeout=SECONDS + 40)
    report = json.loads(out)
    assert len(report) == CONNECTIONS, report

    end = max(r["last_echo"] or 0 for r in report)
    broken = [r for r in report if r["error"] or (r["last_echo"] or 0) < end - 1.0]
    failed_after = [t - death for t, ok in attempts if not ok and t >= death]
    last_failure = max(failed_after, default=0.0)
    print(f"route to lb3 withdrawn {withdrawn:.3f} s after its death" if withdrawn is not None else "route not withdrawn")
    print(f"new connections: {len(attempts)} attempts, {len(failed_after)} failed after the death, the last "
          f"{last_failure:.3f} s after it; broken long-lived connections: {len(broken)} of {CONNECTIONS}")
    if not sync:
        # Proves the test can fail: without sync, flows moved to a balancer whose table now
        # says real3 go there, where no connection exists.
        assert broken, "every connection survived without sync: the test does not exercise the sync"
        return
    assert withdrawn is not None and withdrawn < 1.0, f"lb3's route was not withdrawn within 1 s:\n{lab.bird_protocols()}"
    assert not broken, f"{len(broken)} connections broken by the death of lb3: {broken[:5]}"
    assert attempts and all(ok for t, ok in attempts if t >= death + 1.0), \
        f"new connections still failed more than 1 s after the death: {failed_after}"


def test_an_ipv6_vip_is_announced_over_its_own_session_and_survives_a_dead_balancer(clusterlab):
    """The same cluster with an IPv6 VIP beside the IPv4 one: each balancer announces VIP6 over
    an IPv6 session (the router's ECMP route has the three balancers' IPv6 addresses as next
    hops), long-lived connections to both VIPs spread over the three, and lb3's death breaks
    none of them; its IPv6 route is withdrawn within 1 s and new IPv6 connections succeed."""
    lab = clusterlab
    start_cluster(lab, v6=True)
    started = lab.dir / "client.started"
    count = 100
    client = lab.popen("client", PYTHON, PROGRAMS, "client", f"{VIP}:{PORT},[{VIP6}]:{PORT}", FIRST_PORT, count, 12,
                       started, stdout=subprocess.PIPE, text=True)
    assert wait_until(started.exists, 10), "the client did not start"
    time.sleep(2)
    packets = {lb: lab.packets(lb, "app6") for lb in BALANCERS}
    print(f"\nIPv6 packets per balancer before the death: {packets}")
    assert all(p > sum(packets.values()) / 10 for p in packets.values()), f"ECMP does not spread the IPv6 flows: {packets}"
    probe = lab.popen("client", PYTHON, CLUSTERLAB, "probe", VIP6, PORT, 40000, 5, stdout=subprocess.PIPE, text=True)
    time.sleep(1)
    death = time.time()
    lab.kill("lb3")
    withdrawn = withdrawal_time(lab, "lb3", death, vip=VIP6)
    attempts = json.loads(probe.communicate(timeout=30)[0])
    report = json.loads(client.communicate(timeout=60)[0])
    assert len(report) == 2 * count, report
    end = max(r["last_echo"] or 0 for r in report)
    broken = [r for r in report if r["error"] or (r["last_echo"] or 0) < end - 1.0]
    failed_after = [t - death for t, ok in attempts if not ok and t >= death]
    print(f"IPv6 route to lb3 withdrawn {withdrawn} s after its death; broken: {len(broken)} of {2 * count} "
          f"({sum(':' in r['vip'] for r in broken)} IPv6); new IPv6 connections failed after the death: {failed_after}")
    assert withdrawn is not None and withdrawn < 1.0, f"lb3's IPv6 route was not withdrawn within 1 s:\n{lab.bird_protocols()}"
    assert lab.next_hops(VIP6) == {"lb1", "lb2"}
    assert not broken, f"{len(broken)} connections broken by the death of lb3: {broken[:5]}"
    assert attempts and all(ok for t, ok in attempts if t >= death + 1.0), \
        f"new IPv6 connections still failed more than 1 s after the death: {failed_after}"
    # Each survivor reports its IPv6 session with the router as Established.
    sessions = {s["neighbor"]: s["state"] for s in bgp_status(lab, "lb1").get("sessions", [])}
    assert sessions.get(ROUTER6) == "Established", sessions


def test_stopping_or_killing_a_daemon_withdraws_its_routes(clusterlab):
    lab = clusterlab
    start_cluster(lab, balancers=["lb1", "lb2"])
    stopped = time.time()
    lab.daemons["lb2"].send_signal(signal.SIGTERM)
    withdrawn = withdrawal_time(lab, "lb2", stopped)
    print(f"\nSIGTERM: route withdrawn after {withdrawn} s")
    assert withdrawn is not None and withdrawn < 1.0, lab.bird_protocols()
    assert lab.daemons["lb2"].wait(timeout=10) == 0, lab.daemon_log("lb2")

    # A daemon killed outright takes its bird with it (the session drops at once).
    killed = time.time()
    lab.daemons["lb1"].send_signal(signal.SIGKILL)
    withdrawn = withdrawal_time(lab, "lb1", killed)
    print(f"SIGKILL: route withdrawn after {withdrawn} s")
    assert withdrawn is not None and withdrawn < 1.0, lab.bird_protocols()
    assert wait_until(lambda: "bird" not in lab.commands("lb1"), 2), f"bird outlived its daemon: {lab.commands('lb1')}"


def test_a_service_with_every_real_down_is_withdrawn(clusterlab):
    lab = clusterlab
    start_cluster(lab, balancers=["lb1", "lb2"])
    lab.write_config("lb1", ["real1", "real2"], down=("real1", "real2"))
    changed = time.time()
    lab.usher("lb1", "reload", timeout=60)
    withdrawn = withdrawal_time(lab, "lb1", changed)
    print(f"\nevery real down: route withdrawn after {withdrawn} s")
    assert withdrawn is not None and withdrawn < 2.0, lab.daemon_log("lb1")
    assert lab.next_hops() == {"lb2"}
    # One real back: announced again.
    lab.write_config("lb1", ["real1", "real2"], down=("real2",))
    lab.usher("lb1", "reload", timeout=60)
    assert wait_until(lambda: lab.next_hops() == {"lb1", "lb2"}, 10), lab.daemon_log("lb1")


def test_nat_flows_live_as_long_as_the_balancer_that_translated_them(clusterlab):
    """Each balancer has its own SNAT address (Docs/ARCHITECTURE.md, "NAT flows in a cluster").
    When lb3 dies the router rehashes flows between lb1 and lb2 too: those keep their synced
    translation and their replies still return to the balancer that made it. The flows lb3
    translated end with it (no reply can reach its SNAT address)."""
    lab = clusterlab
    start_cluster(lab, nat=True)
    assert wait_until(lambda: lab.next_hops(NAT_VIP) == set(BALANCERS), 10), lab.bird_protocols()
    started = lab.dir / "client.started"
    count = 90
    client = lab.popen("client", PYTHON, PROGRAMS, "client", f"{NAT_VIP}:{PORT}", FIRST_PORT, count, 12, started,
                       stdout=subprocess.PIPE, text=True)
    assert wait_until(started.exists, 10), "the client did not start"
    time.sleep(2)
    # Who translated each connection: the balancer whose SNAT address its flow holds.
    owner = {}
    for lb in BALANCERS:
        for flow in lab.flows(lb):
            if flow.get("mode") == "nat" and flow.get("snat_address") == SNAT[lb]:
                owner[flow["client_port"]] = lb
    assert len(owner) == count, f"{len(owner)} of {count} nat flows found with their owner"
    print(f"\nnat flows per balancer: { {lb: list(owner.values()).count(lb) for lb in BALANCERS} }")
    assert all(list(owner.values()).count(lb) > 0 for lb in BALANCERS), owner
    time.sleep(1)  # several sync rounds
    lab.kill("lb3")
    report = json.loads(client.communicate(timeout=60)[0])
    end = max(r["last_echo"] or 0 for r in report)
    broken = {r["sport"] for r in report if r["error"] or (r["last_echo"] or 0) < end - 1.0}
    by_lb3 = {port for port, lb in owner.items() if lb == "lb3"}
    print(f"broken: {len(broken)}, translated by lb3: {len(by_lb3)}")
    assert broken == by_lb3, f"broken but not lb3's: {sorted(broken - by_lb3)}; lb3's that survived: {sorted(by_lb3 - broken)}"


def test_a_restarted_daemon_takes_its_share_back_without_breaking_a_connection(clusterlab):
    """lb3's daemon stops (its route goes, its flows move to lb1 and lb2) and starts again: the
    route comes back and the router rehashes flows onto lb3 and between the others. Every flow
    keeps its real (the same Maglev tables; lb3 gets a full pass of the flows from its peers)."""
    lab = clusterlab
    start_cluster(lab)
    started = lab.dir / "client.started"
    client = lab.popen("client", PYTHON, PROGRAMS, "client", f"{VIP}:{PORT}", FIRST_PORT, CONNECTIONS, 16, started,
                       stdout=subprocess.PIPE, text=True)
    assert wait_until(started.exists, 10), "the client did not start"
    time.sleep(2)
    # A real added while they run: only the tracked and synced entries keep the flows on their real.
    for lb in BALANCERS:
        lab.write_config(lb, ["real1", "real2", "real3"])
        lab.usher(lb, "reload", timeout=60)
    time.sleep(1.5)
    lab.daemons["lb3"].send_signal(signal.SIGTERM)
    assert lab.daemons["lb3"].wait(timeout=20) == 0, lab.daemon_log("lb3")
    assert wait_until(lambda: lab.next_hops() == {"lb1", "lb2"}, 2), lab.bird_protocols()
    time.sleep(2)
    back = time.time()
    lab.start_daemon("lb3", lab.dir / "lb3.yaml")
    assert wait_until(lambda: lab.next_hops() == set(BALANCERS), 10), lab.bird_protocols()
    print(f"\nlb3 announced again {time.time() - back:.2f} s after its daemon started")
    before = lab.packets("lb3")
    report = json.loads(client.communicate(timeout=60)[0])
    assert lab.packets("lb3") > before, "no flow came back to lb3"
    end = max(r["last_echo"] or 0 for r in report)
    broken = [r for r in report if r["error"] or (r["last_echo"] or 0) < end - 1.0]
    print(f"broken: {len(broken)} of {CONNECTIONS}")
    assert not broken, f"{len(broken)} connections broken by lb3's return: {broken[:5]}"


def api_get(lab, lb, path):
    """GET `path` from lb's daemon on its API socket (root only)."""
    return lab.run(lb, "curl", "-sf", "--max-time", "5", "--unix-socket", str(lab.state_dir(lb) / "api.sock"),
                   f"http://usher{path}").stdout


def status_page(lab, lb):
    """lb's status page as a browser renders it (the API on its socket, passed on over TCP)."""
    with SocketPage(lambda *argv: lab.popen(lb, *argv), lambda *argv, **kw: lab.run(lb, *argv, **kw),
                    lab.state_dir(lb) / "api.sock") as page:
        dom = page.dom()
    assert 'data-loaded="true"' in dom, dom[:2000]
    return dom


def bgp_status(lab, lb):
    return (lab.status(lb).get("daemon") or {}).get("bgp") or {}


def test_the_operator_sees_each_session_and_which_vips_are_announced(clusterlab):
    """usher status, the API and /metrics say whether the session with the router is Established
    and since when, and whether the VIP is announced: withdrawn when its reals are all down,
    and the session no longer Established once the router's bird is gone."""
    lab = clusterlab
    start_cluster(lab, balancers=["lb1"])
    assert wait_until(lambda: [s["state"] for s in bgp_status(lab, "lb1").get("sessions", [])] == ["Established"], 10), \
        lab.status("lb1")
    bgp = bgp_status(lab, "lb1")
    session = bgp["sessions"][0]
    print(f"\nusher status --json: {bgp}")
    assert (session["neighbor"], session["remote_as"], session["established"]) == ("198.51.100.1", 65000, True)
    since = datetime.fromisoformat(session["since"].replace("Z", "+00:00")).timestamp()
    assert -5 < time.time() - since < 60, f"Established since {session['since']}, not in the last minute"
    assert bgp["vips"] == [{"vip": VIP, "announced": True}]
    text = lab.usher("lb1", "status").stdout
    assert "BGP session:  198.51.100.1 (AS 65000, usher_peer1) Established since" in text, text
    assert f"BGP VIPs:     announced {VIP}" in text, text
    api = json.loads(api_get(lab, "lb1", "/api/v1/status"))["bgp"]
    assert api["sessions"][0]["state"] == "Established" and api["vips"] == [{"vip": VIP, "announced": True}], api
    metrics = api_get(lab, "lb1", "/metrics")
    assert 'usher_bgp_session_up{neighbor="198.51.100.1",peer_as="65000",session="usher_peer1"} 1' in metrics
    assert f'usher_bgp_vip_announced{{vip="{VIP}"}} 1' in metrics
    page = status_page(lab, "lb1")
    assert '<tr class="session" data-neighbor="198.51.100.1" data-state="Established">' in page, page[-3000:]
    assert f'<tr class="vip" data-vip="{VIP}" data-state="announced">' in page, page[-3000:]

    # Every real down: the VIP is withdrawn, and shown so.
    lab.write_config("lb1", ["real1", "real2"], down=("real1", "real2"))
    lab.usher("lb1", "reload", timeout=60)
    assert wait_until(lambda: bgp_status(lab, "lb1").get("vips") == [{"vip": VIP, "announced": False}], 5), lab.status("lb1")
    assert wait_until(lambda: lab.next_hops() == set(), 5), lab.bird_protocols()
    assert f"withdrawn (no real up) {VIP}" in lab.usher("lb1", "status").stdout
    assert f'usher_bgp_vip_announced{{vip="{VIP}"}} 0' in api_get(lab, "lb1", "/metrics")
    assert json.loads(api_get(lab, "lb1", "/api/v1/status"))["bgp"]["vips"] == [{"vip": VIP, "announced": False}]
    assert f'<tr class="vip" data-vip="{VIP}" data-state="withdrawn">' in status_page(lab, "lb1")

    # The router's bird gone: the session is down (BFD), and shown so.
    lab.router_bird.kill()
    lab.router_bird.wait(timeout=10)
    assert wait_until(lambda: not bgp_status(lab, "lb1")["sessions"][0]["established"], 5), lab.status("lb1")
    down = bgp_status(lab, "lb1")["sessions"][0]
    print(f"after the router's bird died: {down}")
    assert down["state"] in ("Idle", "Connect", "Active"), down
    assert 'usher_bgp_session_up{neighbor="198.51.100.1",peer_as="65000",session="usher_peer1"} 0' in \
        api_get(lab, "lb1", "/metrics")
