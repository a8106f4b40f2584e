"""A lab of three balancers announcing a VIP over BGP to an ECMP router (test_cluster.py).

    client -- router ==(bridge br0)== lb1, lb2, lb3, real1, real2, real3
              (BIRD 2, ECMP)           (usher daemon + its bird each)

The router runs BIRD 2 with one eBGP session (and BFD) per balancer and family and installs
each VIP's route with every balancer as a next hop (`merge paths on`), hashing flows by their
ports (fib_multipath_hash_policy=1, for IPv4 and IPv6). The segment is dual-stack: every host
also has an address in 2001:db8:1::/64, the client 2001:db8:2::10 behind the router. Each balancer's daemon runs its own bird, rendered from its
`bgp:` section. The reals answer dsr-l2 flows straight to the router. The programs run in the
namespaces (echo server, long-lived clients) are synclab.py's.
"""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from synclab import HERE as PROGRAMS, PYTHON, SyncLab, sh, wait_listening

HOSTS = ["router", "client", "lb1", "lb2", "lb3", "real1", "real2", "real3"]
BALANCERS = ["lb1", "lb2", "lb3"]
ROUTER = "198.51.100.1"
LB = {"lb1": "198.51.100.2", "lb2": "198.51.100.3", "lb3": "198.51.100.4"}
REALS = {"real1": ("198.51.100.11", "02:00:00:02:00:11"), "real2": ("198.51.100.12", "02:00:00:02:00:12"),
         "real3": ("198.51.100.13", "02:00:00:02:00:13")}
VIP, PORT = "203.0.113.22", 80
# IPv6: the router 2001:db8:1::1 on the segment and 2001:db8:2::1 towards the client.
ROUTER6, CLIENT6 = "2001:db8:1::1", "2001:db8:2::10"
LB6 = {"lb1": "2001:db8:1::2", "lb2": "2001:db8:1::3", "lb3": "2001:db8:1::4"}
REALS6 = {"real1": "2001:db8:1::11", "real2": "2001:db8:1::12", "real3": "2001:db8:1::13"}
VIP6 = "2001:db8:100::22"
NAT_VIP = "203.0.113.20"
# Each balancer's own SNAT address: a nat flow's replies return to the balancer that translated it.
SNAT = {"lb1": "198.51.100.32", "lb2": "198.51.100.33", "lb3": "198.51.100.34"}
ROUTER_AS, LB_AS = 65000, 65001


class ClusterLab(SyncLab):
    """SyncLab's namespaces, daemons and teardown, with this file's hosts and topology."""
    hosts = HOSTS

    def __init__(self, name, usher, workdir):
        super().__init__(name, usher, workdir)
        self.router_bird = None

    def up(self):
        # ECMP hashed on the 5-tuple, so each connection of one client stays on one balancer.
        self.build_segment("/24", ["net.ipv4.fib_multipath_hash_policy=1", "net.ipv6.conf.all.forwarding=1",
                                   "net.ipv6.fib_multipath_hash_policy=1"])
        self.ip("router", "addr", "add", f"{ROUTER6}/64", "dev", "br0")
        self.ip("router", "addr", "add", "2001:db8:2::1/64", "dev", "cl0")
        self.ip("client", "addr", "add", f"{CLIENT6}/64", "dev", "eth0")
        self.ip("client", "-6", "route", "add", "default", "via", "2001:db8:2::1")
        for n, lb in enumerate(BALANCERS, start=2):
            self.add_balancer(lb, f"02:00:00:03:00:0{n}", f"02:00:00:02:00:0{n}", f"{LB[lb]}/24")
            self.ip(lb, "addr", "add", f"{SNAT[lb]}/24", "dev", "eth0", "noprefixroute")
            self.ip(lb, "addr", "add", f"{LB6[lb]}/64", "dev", "eth0")
            self.ip(lb, "-6", "route", "add", "default", "via", ROUTER6)
            # No unknown unicast to a balancer: once a dead balancer's port is down, frames still
            # sent to its MAC must not be flooded to the others (a router's own links would not).
            self.run("router", "bridge", "link", "set", "dev", lb + "p", "flood", "off")
        for real, (address, mac) in REALS.items():
            self.add_dsr_real(real, mac, f"{address}/24", VIP)
            # dsr-l2 over IPv6: the VIP on loopback too (Linux answers neighbour solicitations only
            # for the addresses of the link they arrive on), replies by the router.
            self.ip(real, "addr", "add", f"{REALS6[real]}/64", "dev", "eth0")
            self.ip(real, "addr", "add", f"{VIP6}/128", "dev", "lo")
            self.ip(real, "-6", "route", "add", "default", "via", ROUTER6)
            self.popen(real, PYTHON, PROGRAMS, "echo", real, PORT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.start_router_bird()
        for real, (address, _) in REALS.items():
            wait_listening(self, real, address, PORT)

    def start_router_bird(self):
        lines = [f'log "{self.dir}/router-bird.log" all;', "router id 192.0.2.1;", "protocol device {}",
                 'protocol bfd { interface "*" { min rx interval 100 ms; min tx interval 100 ms; multiplier 3; }; }',
                 # Every balancer's route to the VIP as one multipath route in the kernel.
                 "protocol kernel { ipv4 { export all; }; merge paths on limit 16; }",
                 "protocol kernel { ipv6 { export all; }; merge paths on limit 16; }"]
        for lb in BALANCERS:
            for name, neighbor, family in ((lb, LB[lb], "ipv4"), (lb + "_v6", LB6[lb], "ipv6")):
                lines.append(f"protocol bgp {name} {{ local as {ROUTER_AS}; neighbor {neighbor} as {LB_AS}; hold time 3; "
                             f"connect retry time 1; error wait time 1, 10; bfd on; {family} {{ import all; export none; }}; }}")
        config = self.dir / "router-bird.conf"
        config.write_text("\n".join(lines) + "\n")
        self.router_socket = str(self.dir / "router-bird.ctl")
        self.router_bird = self.popen("router", "/usr/sbin/bird", "-f", "-c", config, "-s", self.router_socket,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def down(self):
        if self.router_bird and self.router_bird.poll() is None:
            self.router_bird.kill()
            self.router_bird.wait(timeout=10)
        super().down()

    # -- the daemons --------------------------------------------------------------------------

    def write_config(self, lb, reals, sync=True, down=(), nat=False, v6=False):
        """`lb`'s config: the dsr-l2 service `app` on VIP (and `app6` on VIP6 with `v6`, announced
        over its own IPv6 session), optionally the nat service `app-nat`."""
        peers = ", ".join(LB[other] for other in BALANCERS if other != lb)
        lines = ["interfaces:", "  - name: eth0", "    xdp-mode: native",
                 "snat-pools:", "  - name: own", f"    addresses: [{SNAT[lb]}]", "    ports: 20000-29999",
                 "bgp:", f"  local-as: {LB_AS}", f"  router-id: {LB[lb]}",
                 "  neighbors:", f"    - address: {ROUTER}", f"      as: {ROUTER_AS}"]
        lines += [f"    - address: {ROUTER6}", f"      as: {ROUTER_AS}"] if v6 else []
        if sync:
            lines += ["sync:", f"  address: {LB[lb]}", f"  peers: [{peers}]", "  interval: 200ms"]
        lines += ["services:", "  - name: app", f"    vip: {VIP}", f"    port: {PORT}", "    protocol: tcp",
                  "    mode: dsr-l2", "    maglev-table-size: 251", "    reals:"]
        for real in reals:
            address, mac = REALS[real]
            lines += [f"      - address: {address}", f"        mac: {mac}"]
            lines += ["        disabled: true"] if real in down else []
        if v6:
            lines += ["  - name: app6", f"    vip: {VIP6}", f"    port: {PORT}", "    protocol: tcp", "    mode: dsr-l2",
                      "    maglev-table-size: 251", "    reals:"]
            for real in reals:
                lines += [f"      - address: {REALS6[real]}", f"        mac: {REALS[real][1]}"]
        if nat:
            lines += ["  - name: app-nat", f"    vip: {NAT_VIP}", f"    port: {PORT}", "    protocol: tcp", "    mode: nat",
                      "    snat-pool: own", "    maglev-table-size: 251", "    reals:"]
            lines += [f"      - address: {REALS[real][0]}" for real in reals]
        path = self.dir / f"{lb}.yaml"
        path.write_text("\n".join(lines) + "\n")
        return path

    def kill(self, lb):
        """The balancer dies: its link goes down and every process in it is killed."""
        self.ip("router", "link", "set", lb + "p", "down")
        self.ip(lb, "link", "set", "eth0", "down")
        for pid in sh("ip", "netns", "pids", self.ns(lb), check=False).stdout.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass

    def next_hops(self, vip=VIP):
        """The balancers the router's route to `vip` (IPv4 or IPv6) leads to now."""
        v6 = ":" in vip
        out = self.ip("router", "-6" if v6 else "-4", "-j", "route", "show", vip).stdout
        routes = json.loads(out or "[]")
        hops = set()
        for route in routes:
            if "gateway" in route:
                hops.add(route["gateway"])
            for hop in route.get("nexthops", []):
                hops.add(hop["gateway"])
        return {lb for lb, address in (LB6 if v6 else LB).items() if address in hops}

    def packets(self, lb, service="app"):
        """Packets of `service` this balancer forwarded (usher stats)."""
        stats = json.loads(self.usher(lb, "stats", "--json").stdout)
        return sum(s.get("packets", 0) for s in stats.get("services", []) if s.get("name") == service)

    def commands(self, host):
        """The names of the processes running in the host's namespace."""
        names = []
        for pid in sh("ip", "netns", "pids", self.ns(host), check=False).stdout.split():
            try:
                names.append(Path(f"/proc/{pid}/comm").read_text().strip())
            except OSError:
                pass
        return names

    def flows(self, lb):
        return json.loads(self.usher(lb, "flows", "--json").stdout)["flows"]

    def bird_protocols(self):
        return self.run("router", "/usr/sbin/birdc", "-s", self.router_socket, "show", "protocols", check=False).stdout


def probe(vip, port, first_port, seconds):
    """New connections one after another (a new source port each, 20 ms apart) for `seconds`:
    each connects, sends a line and waits for its echo within 250 ms. Prints a JSON list of
    [time started, ok]."""
    import socket
    results = []
    end = time.time() + seconds
    sport = first_port
    v6 = ":" in vip
    while time.time() < end and sport < first_port + 5000:
        started = time.time()
        ok = False
        try:
            with socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_STREAM) as sock:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind(("::" if v6 else "0.0.0.0", sport))
                sock.settimeout(0.25)
                sock.connect((vip, port))
                sock.sendall(b"probe\n")
                ok = sock.recv(64) == b"probe\n"
        except OSError:
            ok = False
        results.append([started, ok])
        sport += 1
        time.sleep(max(0.0, 0.02 - (time.time() - started)))
    print(json.dumps(results))


if __name__ == "__main__":
    if sys.argv[1] == "probe":
        probe(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
    else:
        sys.exit(f"unknown command {sys.argv[1]}")
