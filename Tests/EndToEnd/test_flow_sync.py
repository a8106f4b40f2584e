"""Flow-state sync between two balancers (Docs/ARCHITECTURE.md, "Flow-state sync").

Long-lived TCP connections run through a nat, a gateway and a dsr-l2 service on balancer lb1; a
real is added to both services while they run (so the Maglev tables of both balancers now send
about half of these flows elsewhere: only the flows' tracked state keeps them on their real).
Then lb2 takes over by hand: the floating addresses (SNAT address, the reals' gateway) move with
gratuitous ARPs, the router's route to the VIPs moves, lb1's link goes down. With sync every
connection keeps echoing through lb2; without it, the flows lb2 places on the new real break.
The lab is synclab.py's (two balancers), not Tools/lab's.
"""
import json
import os
import subprocess
import time
import pytest

from labkit import wait_until
from synclab import DSR_VIP, GW_VIP, HERE, LB, NAT_VIP, PYTHON, REALS, SYNC_PORT, SyncLab, built_lab

SERVICES = 3  # nat, gateway, dsr-l2
CONNECTIONS = 8  # per service, from fixed source ports: the same flows, the same Maglev picks, each run
FIRST_PORT = 30000
SECONDS = 16


@pytest.fixture
def synclab(tmp_path):
    with built_lab(SyncLab, tmp_path) as lab:
        yield lab


def run_failover(lab, key):
    """Starts both daemons, the connections, adds real2, fails over to lb2; returns the client's
    report, the failover time and lb2's flows by client port."""
    for lb in ("lb1", "lb2"):
        lab.start_daemon(lb, lab.write_config(lb, ["real1"], sync_key=key))
    if key is not False:
        assert wait_until(lambda: all(p["present"] for lb in ("lb1", "lb2") for p in lab.status(lb)["sync"]["peers"]), 10), \
            f"the balancers do not hear each other: {lab.status('lb1').get('sync')} {lab.status('lb2').get('sync')}"

    started = lab.dir / "client.started"
    client = lab.popen("client", PYTHON, HERE, "client", f"{NAT_VIP}:80,{GW_VIP}:80,{DSR_VIP}:80", FIRST_PORT, CONNECTIONS, SECONDS,
                       started, stdout=subprocess.PIPE, text=True)
    assert wait_until(started.exists, 10), "the client did not start"
    time.sleep(1.5)
    real1 = REALS["real1"][0]
    on_lb1 = lab.flows("lb1")["flows"]
    assert len(on_lb1) == SERVICES * CONNECTIONS and all(f["real"] == real1 for f in on_lb1), on_lb1

    # A real is added while the connections run: on lb1 they stay on real1 (tracked).
    for lb in ("lb1", "lb2"):
        lab.write_config(lb, ["real1", "real2"], sync_key=key)
        lab.reload(lb)
    time.sleep(1.5)  # several sync rounds (200 ms), and a refresh of every flow's last packet

    failover = time.time()
    lab.make_active("lb2")
    lab.ip("lb1", "link", "set", "eth0", "down")
    out, _ = client.communicate(timeout=SECONDS + 40)
    report = json.loads(out)
    assert len(report) == SERVICES * CONNECTIONS, report
    on_lb2 = {f["client_port"]: f for f in lab.flows("lb2")["flows"]}
    return report, failover, on_lb2


def test_connections_survive_a_failover_with_sync(synclab, tmp_path):
    lab = synclab
    key = tmp_path / "sync.key"
    key.write_text(os.urandom(32).hex() + "\n")
    key.chmod(0o600)
    report, failover, on_lb2 = run_failover(lab, key)

    end = max(r["last_echo"] or 0 for r in report)
    broken = [r for r in report if r["error"] or (r["last_echo"] or 0) < end - 1.0 or (r["last_echo"] or 0) < failover + 3]
    assert not broken, f"connections broken by the failover (at {failover:.2f}): {broken}"
    # lb2 forwarded them all, each on the real it had on lb1, whatever lb2's own table says.
    real1 = REALS["real1"][0]
    for r in report:
        flow = on_lb2.get(r["sport"])
        assert flow and flow["real"] == real1, (r, flow)
    nat = [f for f in on_lb2.values() if f["mode"] == "nat"]
    assert len(nat) == CONNECTIONS and all(f["snat_port"] for f in nat), nat

    sync = lab.status("lb2")["sync"]
    assert sync["signed"] and sync["flows_applied"] >= SERVICES * CONNECTIONS, sync
    assert sync["dropped"] == {}, sync
    assert sync["full_passes"] >= 1 and sync["messages_received"] > 0, sync

    # Datagrams lb2 must refuse: garbage from a stranger (the client), and a well-formed but
    # unsigned heartbeat from lb1's address. Both are counted; the daemon goes on.
    lab.ip("lb1", "link", "set", "eth0", "up")
    heartbeat = b"USYN" + bytes([1, 0, 0, 0, 0, 0, 0, 24]) + bytes(12)
    lab.run("client", PYTHON, HERE, "send", LB["lb2"], SYNC_PORT, os.urandom(64).hex())
    lab.run("lb1", PYTHON, HERE, "send", LB["lb2"], SYNC_PORT, heartbeat.hex())
    assert wait_until(lambda: lab.status("lb2")["sync"]["dropped"] == {"unknown-peer": 1, "unauthenticated": 1}, 5), \
        lab.status("lb2")["sync"]
    assert lab.daemons["lb2"].poll() is None, lab.daemon_log("lb2")

    # lb1 is back on the segment: lb2 hears it again, a second appearance (answered with a full pass).
    assert wait_until(lambda: f"peers present: {LB['lb1']};" in lab.usher("lb2", "status").stdout, 5), \
        lab.usher("lb2", "status").stdout
    # The full pass that answers the appearance follows it: wait for both, not one reading.
    def answered():
        sync = lab.status("lb2")["sync"]
        return sync["peers"][0]["appearances"] == 2 and sync["full_passes"] >= 2
    assert wait_until(answered, 5), lab.status("lb2")["sync"]
    # lb1's sends failed while its link was down (its socket closed and was opened again); its
    # daemon kept running and syncs again.
    assert lab.daemons["lb1"].poll() is None, lab.daemon_log("lb1")
    assert lab.status("lb1")["sync"]["socket_closures"] >= 1, lab.status("lb1")["sync"]


def test_without_sync_the_moved_flows_break(synclab):
    """The same run without `sync:` must fail where sync matters: proves the test above can fail."""
    lab = synclab
    report, failover, on_lb2 = run_failover(lab, False)
    real2 = REALS["real2"][0]
    moved = [r for r in report if on_lb2.get(r["sport"], {}).get("real") == real2]
    for vip in (NAT_VIP, GW_VIP, DSR_VIP):  # fixed ports: the same flows move every run
        assert any(r["vip"] == vip for r in moved), f"lb2 placed no flow of {vip} on real2: choose other source ports"
    survived = [r for r in moved if not r["error"]]
    assert not survived, f"flows lb2 sent to real2 kept echoing without sync: {survived}"
    assert "sync" not in lab.status("lb2") or lab.status("lb2")["sync"] is None


def test_a_sync_address_not_on_the_host_stops_the_daemon_at_start(synclab):
    lab = synclab
    config = lab.write_config("lb1", ["real1"])
    config.write_text(config.read_text().replace(f"address: {LB['lb1']}", "address: 198.51.100.99"))
    done = lab.usher("lb1", "daemon", "-c", config, timeout=60, check=False)
    assert done.returncode == 1, (done.returncode, done.stderr)
    assert "cannot listen on 198.51.100.99 UDP port 7947" in done.stderr, done.stderr
    assert "an address of this host" in done.stderr, done.stderr
