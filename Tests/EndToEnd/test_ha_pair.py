"""The active/passive pair (`ha:`, Docs/DEPLOYMENT.md): two balancers, lb and lb2, run `usher
daemon` with one config; keepalived (run by each daemon) gives the VIPs to lb. Long-lived
connections carry a packet every 10 ms from the client; lb dies (its link down, every process
of it killed): lb2 takes the VIPs, and the client sees its bytes echoed on the same connections
after a gap it measures. lb comes back: no preemption, nothing breaks."""
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import require_usher
from browser import SocketPage
from labkit import PYTHON, REPO, Lab, require_root, unique_name, wait_until

PROBE = REPO / "Tools" / "lab-probe.py"
KEEPALIVED = "/usr/sbin/keepalived"
# The failover budget at the client: the "within 1 s" with default settings.
MAX_GAP_MS = 1000
# How long a TCP connection may wait for its lost segments: the gap plus the sender's
# retransmission backoff (200 ms minimum RTO, doubling), which no balancer can shorten.
MAX_TCP_STALL_MS = 3000


@pytest.fixture
def pair_lab():
    """A lab with two balancers (Tools/lab up --ha): lb active, lb2 backup."""
    require_root()
    require_usher()
    if not os.access(KEEPALIVED, os.X_OK):
        pytest.fail(f"keepalived is not installed at {KEEPALIVED}: run Tools/install-deps")
    lab = Lab.up(unique_name(), ha=True)
    try:
        yield lab
    finally:
        lab.down()


def role(lab, host):
    """The role keepalived last gave `host`, as its daemon wrote it in daemon.json."""
    path = Path(lab.facts["hosts"][host]["state_dir"], "daemon.json")
    try:
        return (json.loads(path.read_text()).get("ha") or {}).get("role")
    except (OSError, ValueError):
        return None


def vip_holders(lab, vip):
    """The balancers that hold `vip` on a link that is up (a dead one keeps its addresses)."""
    return [host for host in ("lb", "lb2")
            if vip in lab.run(host, "ip", "-o", "addr", "show", "dev", "eth0", "up").stdout]


class Probes:
    """Tools/lab-probe.py in the client namespace: connections with a packet every 10 ms."""

    def __init__(self, lab, tcp, udp, seconds):
        argv = ["nsenter", f"--net=/run/netns/{lab.name}-client", "--", PYTHON, str(PROBE), "--seconds", str(seconds)]
        argv += [arg for name, target in tcp for arg in ("--tcp", f"{name}={target}")]
        argv += [arg for name, target in udp for arg in ("--udp", f"{name}={target}")]
        self.seconds = seconds
        self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.started = time.monotonic()
        line = self.process.stdout.readline()
        event = json.loads(line) if line.strip() else {}
        if event.get("event") != "ready":
            self.process.kill()
            raise AssertionError(f"the probes did not start: {line!r} {self.process.stderr.read()!r}")
        self.reals = event["probes"]

    def at(self):
        """Seconds since the probes started sending."""
        return time.monotonic() - self.started

    def report(self):
        try:
            out, err = self.process.communicate(timeout=self.seconds + 20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise AssertionError("the probes did not finish in time")
        lines = [json.loads(line) for line in out.splitlines() if line.strip()]
        assert lines and lines[-1]["event"] == "report", f"no report from the probes: {out!r} {err!r}"
        return {p["name"]: p for p in lines[-1]["probes"]}

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=5)


def target(lab, service):
    entry = lab.service(service)
    vip = f"[{entry['vip']}]" if ":" in entry["vip"] else entry["vip"]
    return f"{vip}:{entry['port']}"


def fail_over_and_back(lab, tcp_services, udp_services, connections=3):
    """Probes through the services; lb dies 2 s in; lb2 must take over; lb comes back 5 s
    later. Returns (report, when lb's kill began and ended, when it was back), in probe time."""
    tcp = [(f"{s}#{i}", target(lab, s)) for s in tcp_services for i in range(connections)]
    udp = [(s, target(lab, s)) for s in udp_services]
    probes = Probes(lab, tcp, udp, seconds=16)
    try:
        time.sleep(2)
        assert role(lab, "lb") == "master" and role(lab, "lb2") == "backup"
        began = probes.at()
        lab.kill_balancer("lb")
        died = (began, probes.at())
        assert wait_until(lambda: role(lab, "lb2") == "master", timeout=3, interval=0.02), \
            f"lb2 did not become active within 3 s: {role(lab, 'lb2')}"
        took_over = probes.at() - died[0]
        time.sleep(4)
        back = probes.at()
        lab.revive_balancer("lb")
        assert wait_until(lambda: role(lab, "lb") == "backup", timeout=10), f"lb came back as {role(lab, 'lb')}"
        # No preemption: lb2 keeps the VIPs, lb holds none of them.
        assert role(lab, "lb2") == "master"
        assert vip_holders(lab, lab.service(tcp_services[0])["vip"]) == ["lb2"]
        report = probes.report()
    finally:
        probes.stop()
    print(f"\nlb2 said master {took_over * 1000:.0f} ms after lb died")
    for name, p in report.items():
        print(f"  {name:16} {p['kind']} via {p['real']}: {p['received']}/{p['sent']} answered, "
              f"failover gap {failover_gap(p, died)} ms, longest gap {p['max_gap_ms']} ms at {p['gap_at']} s, "
              f"error {p['error']}")
    return report, died, back


def failover_gap(probe, died):
    """The gap (ms) that overlaps the balancer's death (`died`: when the kill began and ended,
    in probe time), if the probe saw one over 30 ms."""
    spans = [ms for began, ms in probe["gaps"] if began <= died[1] and began + ms / 1000 >= died[0]]
    return max(spans) if spans else None


def test_dsr_connections_survive_the_active_balancers_death_and_its_return(pair_lab):
    lab = pair_lab
    report, died, back = fail_over_and_back(
        lab, ["web-l2", "web-ipip", "web-l2-v6", "web-ipip-v6"], ["udp-l2", "udp-ipip", "udp-l2-v6", "udp-ipip-v6"])
    for name, probe in report.items():
        assert probe["error"] is None, f"{name}: {probe['error']}"
        if probe["kind"] == "udp":
            # The service's gap as the client sees it: no answer for at most this long.
            assert probe["max_gap_ms"] < MAX_GAP_MS, f"{name}: no answer for {probe['max_gap_ms']} ms"
            assert failover_gap(probe, died) is not None, f"{name}: no gap when lb died: {probe['gaps']}"
            continue
        # Every byte came back, in order, on the same connection, also after lb's return.
        assert probe["received"] == probe["sent"], f"{name}: {probe['received']} of {probe['sent']} echoed"
        assert probe["last_answer_at"] > back + 3, f"{name}: no echo after lb came back"
        assert probe["max_gap_ms"] < MAX_TCP_STALL_MS, f"{name}: stalled for {probe['max_gap_ms']} ms"
    # The connections were spread over the reals (Maglev), and each stayed on its real.
    assert len({p["real"] for p in report.values() if p["kind"] == "tcp"}) >= 2
    status = lab.run("lb2", lab.facts["usher"], "--pin-dir", lab.facts["hosts"]["lb2"]["pin_dir"], "--state-dir",
                     lab.facts["hosts"]["lb2"]["state_dir"], "status").stdout
    assert "HA role:      master" in status, status
    # The API and the status page say so too.
    api_socket = Path(lab.facts["hosts"]["lb2"]["state_dir"], "api.sock")
    ha = json.loads(lab.run("lb2", "curl", "-sf", "--max-time", "5", "--unix-socket", api_socket,
                            "http://usher/api/v1/status").stdout)["ha"]
    assert (ha["role"], ha["interface"]) == ("master", "eth0"), ha
    popen = lambda *argv: subprocess.Popen(["nsenter", f"--net=/run/netns/{lab.name}-lb2", "--", *map(str, argv)],
                                           start_new_session=True)
    with SocketPage(popen, lambda *argv, **kw: lab.run("lb2", *argv, **kw), api_socket) as page:
        dom = page.dom()
    assert '<span id="ha">HA <span class="state master" data-state="master">master</span>' in dom, dom[:3000]


@pytest.mark.parametrize("mode", ["nat", "gateway"])
def test_translated_connections_survive_a_failover_with_flow_sync(pair_lab, mode):
    lab = pair_lab
    if not lab.facts["ha"]["sync"]:
        pytest.skip("nat and gateway flows carry state (translations, SNAT ports) that survives a failover only "
                    "with flow-state sync between the daemons (`sync:`), which the lab's config does not have yet "
                    "(Tools/lab-config.py sync_fields)")
    services = {"nat": ["web-nat", "web-nat-v6"], "gateway": ["web-gw", "web-gw-v6"]}[mode]
    report, _, back = fail_over_and_back(lab, services, [])
    for name, probe in report.items():
        assert probe["error"] is None, f"{name}: {probe['error']}"
        assert probe["received"] == probe["sent"], f"{name}: {probe['received']} of {probe['sent']} echoed"
        assert probe["last_answer_at"] > back + 3, f"{name}: no echo after lb came back"


def test_a_stopped_daemon_hands_the_vips_to_its_peer_at_once(pair_lab):
    """SIGTERM (systemctl stop) on the active daemon: keepalived leaves with a priority-0
    advertisement, so lb2 takes over without waiting out three intervals; DSR flows go on."""
    lab = pair_lab
    probes = Probes(lab, [("web-l2#0", target(lab, "web-l2"))], [("udp-l2", target(lab, "udp-l2"))], seconds=6)
    try:
        time.sleep(1.5)
        os.kill(int(Path(lab.facts["dir"], "daemon.pid").read_text()), signal.SIGTERM)
        assert wait_until(lambda: role(lab, "lb2") == "master", timeout=3, interval=0.02)
        assert wait_until(lambda: vip_holders(lab, "203.0.113.10") == ["lb2"], timeout=3)
        report = probes.report()
    finally:
        probes.stop()
    print(f"\nstop: {report}")
    assert report["web-l2#0"]["error"] is None and report["web-l2#0"]["received"] == report["web-l2#0"]["sent"]
    assert report["udp-l2"]["max_gap_ms"] < MAX_GAP_MS, report["udp-l2"]


def test_a_keepalived_that_dies_is_started_again_and_the_pair_stays_whole(pair_lab):
    """keepalived killed under a running daemon (the backup's): the daemon starts it again, it
    comes back as the backup, and the active balancer keeps the VIPs throughout."""
    lab = pair_lab
    state = Path(lab.facts["hosts"]["lb2"]["state_dir"])
    before = json.loads((state / "daemon.json").read_text())["ha"]
    os.kill(before["keepalivedPID"], signal.SIGKILL)
    assert wait_until(lambda: json.loads((state / "daemon.json").read_text())["ha"]["restarts"] == 1, timeout=5)
    assert wait_until(lambda: role(lab, "lb2") == "backup", timeout=5), role(lab, "lb2")
    after = json.loads((state / "daemon.json").read_text())["ha"]
    assert after["keepalivedPID"] != before["keepalivedPID"]
    assert role(lab, "lb") == "master"
    assert vip_holders(lab, "203.0.113.10") == ["lb"]
    assert lab.get("203.0.113.10", 20)["ok"] == 20


def test_a_vip_added_on_reload_follows_the_active_balancer(pair_lab):
    """A new service in the file, `usher reload` on both: keepalived's config is rendered again,
    the active balancer holds the new VIP (the backup does not) and serves it."""
    lab = pair_lab
    config = Path(lab.facts["config"])
    config.write_text(config.read_text() + "\n".join([
        "  - name: web-new", "    vip: 203.0.113.20", "    port: 80", "    protocol: tcp", "    mode: dsr-l2",
        "    reals:", "      - address: 198.51.100.11", "        mac: 02:00:00:02:00:11", ""]))
    for host in ("lb", "lb2"):
        hosts = lab.facts["hosts"][host]
        lab.run(host, lab.facts["usher"], "--pin-dir", hosts["pin_dir"], "--state-dir", hosts["state_dir"], "reload")
    assert wait_until(lambda: vip_holders(lab, "203.0.113.20/32") == ["lb"], timeout=5), vip_holders(lab, "203.0.113.20/32")
    # The real holds the new VIP on loopback, as a DSR real server does.
    lab.run("real1", "ip", "addr", "add", "203.0.113.20/32", "dev", "lo")
    assert lab.get("203.0.113.20", 10)["ok"] == 10
    # The backup knows it too, for the day it takes over.
    backup_conf = Path(lab.facts["hosts"]["lb2"]["state_dir"], "keepalived.conf")
    assert wait_until(lambda: "203.0.113.20/32 dev eth0" in backup_conf.read_text(), timeout=5)


def test_a_pair_keepalived_refuses_stops_the_daemon_before_it_applies_anything(tmp_path):
    """An `ha:` keepalived cannot run (its interface is not there): `usher daemon` says what
    keepalived said and what to check, exits 1, and has pinned nothing."""
    require_root()
    binary = require_usher()
    if not os.access(KEEPALIVED, os.X_OK):
        pytest.fail(f"keepalived is not installed at {KEEPALIVED}: run Tools/install-deps")
    namespace = unique_name()
    pins = Path(f"/sys/fs/bpf/usher-{namespace}")
    config = tmp_path / "usher.yaml"
    config.write_text("ha: { interface: nosuch0, virtual-router-id: 51, peers: [198.51.100.5] }\n"
                      "services:\n  - { name: web, vip: 203.0.113.10, port: 80, protocol: tcp, mode: dsr-l2,"
                      " reals: [{ address: 198.51.100.11, mac: '02:00:00:02:00:11' }] }\n")
    subprocess.run(["ip", "netns", "add", namespace], check=True, timeout=10)
    try:
        done = subprocess.run(["nsenter", f"--net=/run/netns/{namespace}", "--", str(binary), "--pin-dir", str(pins),
                               "--state-dir", str(tmp_path / "state"), "daemon", "-c", str(config)],
                              capture_output=True, text=True, timeout=60)
        pinned = pins.exists() and any(pins.iterdir())
    finally:
        subprocess.run(["ip", "netns", "del", namespace], timeout=10)
        subprocess.run(["rm", "-rf", str(pins)], timeout=10)
    assert done.returncode == 1, done.stderr
    assert "keepalived refuses the config rendered from ha:" in done.stderr
    assert "interface nosuch0" in done.stderr and "check ha.interface" in done.stderr
    assert "ready" not in done.stderr
    assert not pinned, "the daemon applied the config before refusing"


def test_new_nat_and_gateway_connections_work_through_whichever_balancer_is_active(pair_lab):
    """The SNAT addresses and the reals' gateway (ha.addresses) follow the VIPs: new nat and
    gateway connections succeed before lb dies and through lb2 after, the reals answering to
    the address that moved."""
    lab = pair_lab
    for vip in ("203.0.113.12", "203.0.113.13", "2001:db8:100::12", "2001:db8:100::13"):
        assert lab.get(vip, 12)["ok"] == 12, vip
    lab.kill_balancer("lb")
    assert wait_until(lambda: role(lab, "lb2") == "master", timeout=3, interval=0.02)
    for address in ("198.51.100.3/32", "198.51.100.6/25"):
        assert vip_holders(lab, address) == ["lb2"], address
    for vip in ("203.0.113.12", "203.0.113.13", "2001:db8:100::12", "2001:db8:100::13"):
        result = lab.get(vip, 12)
        assert result["ok"] == 12, (vip, result)


def test_a_crashed_active_daemon_started_again_hands_over_and_comes_back_as_backup(pair_lab):
    """The active daemon dies alone (SIGKILL): its keepalived keeps the VIPs and the data plane
    forwards. Started again by hand, the new daemon stops that keepalived (SIGTERM: a priority-0
    advert, lb2 takes over at once) and runs its own, as the backup; the connections go on."""
    lab = pair_lab
    probes = Probes(lab, [("web-l2#0", target(lab, "web-l2"))], [("udp-l2", target(lab, "udp-l2"))], seconds=8)
    try:
        time.sleep(1)
        os.kill(lab.daemon_pid(), signal.SIGKILL)
        time.sleep(1)
        assert vip_holders(lab, "203.0.113.10/32") == ["lb"], "the VIPs must stay while keepalived runs"
        lab.start_daemon("lb")
        assert wait_until(lambda: role(lab, "lb") == "backup" and role(lab, "lb2") == "master", timeout=10), \
            (role(lab, "lb"), role(lab, "lb2"))
        assert vip_holders(lab, "203.0.113.10/32") == ["lb2"]
        report = probes.report()
    finally:
        probes.stop()
    print(f"\ncrash and restart: {report}")
    for name, probe in report.items():
        assert probe["error"] is None, f"{name}: {probe['error']}"
        assert probe["max_gap_ms"] < MAX_GAP_MS, f"{name}: {probe['gaps']}"
    assert report["web-l2#0"]["received"] == report["web-l2#0"]["sent"]
