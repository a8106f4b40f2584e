"""A lab of two balancers for flow-state sync (test_flow_sync.py), apart from Tools/lab.

    client -- router ==(bridge br0)== lb1, lb2, real1, real2  (dsr replies: real -> router -> client)

The router sends the VIP range to the active balancer (a static route, as an upstream router
told by BGP or by hand would). The active balancer also holds the floating addresses the reals
answer to: the SNAT address (nat replies) and the reals' gateway (gateway replies). A failover
moves them by hand: addresses deleted on lb1 and added on lb2 with gratuitous ARPs, the
router's route changed, lb1's link downed.

Run as a script inside a namespace, it is the lab's programs: `echo` (a TCP echo server) and
`client` (long-lived connections that send a line every 100 ms and check the echo), `send` (one
UDP datagram) and `garp` (gratuitous ARPs).
"""
import json
import os
from contextlib import contextmanager
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

PYTHON = "/usr/bin/python3"
HERE = Path(__file__).resolve()
HOSTS = ["router", "client", "lb1", "lb2", "real1", "real2"]
CLIENT = "192.0.2.10"
LB = {"lb1": "198.51.100.2", "lb2": "198.51.100.5"}
LB_MAC = {"lb1": "02:00:00:02:00:02", "lb2": "02:00:00:02:00:05"}
REALS = {"real1": ("198.51.100.11", "02:00:00:02:00:11"), "real2": ("198.51.100.12", "02:00:00:02:00:12")}
SNAT = "198.51.100.3"
GATEWAY = "198.51.100.6"  # the reals' gateway for their own traffic: floating, like the SNAT address
NAT_VIP, GW_VIP, DSR_VIP = "203.0.113.20", "203.0.113.21", "203.0.113.22"
NAT_PORT, GW_PORT, DSR_PORT = 8080, 8081, 80
SYNC_PORT = 7947


def sh(*argv, timeout=30, check=True):
    done = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, argv))} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done


class SyncLab:
    hosts = HOSTS

    def __init__(self, name, usher, workdir):
        self.name = name
        self.usher_bin = str(usher)
        self.dir = Path(workdir)
        self.daemons = {}

    def ns(self, host):
        return f"{self.name}-{host}"

    def ip(self, host, *args):
        return sh("ip", "-n", self.ns(host), *args)

    def run(self, host, *argv, timeout=30, check=True):
        return sh("nsenter", f"--net=/run/netns/{self.ns(host)}", "--", *argv, timeout=timeout, check=check)

    def popen(self, host, *argv, **kwargs):
        return subprocess.Popen(["nsenter", f"--net=/run/netns/{self.ns(host)}", "--", *map(str, argv)],
                                start_new_session=True, **kwargs)

    def pin_dir(self, host):
        return f"/sys/fs/bpf/usher-{self.name}-{host}"

    def state_dir(self, host):
        return self.dir / f"state-{host}"

    def usher(self, host, *args, timeout=30, check=True):
        return self.run(host, self.usher_bin, "--pin-dir", self.pin_dir(host), "--state-dir", self.state_dir(host),
                        *args, timeout=timeout, check=check)

    # -- building -----------------------------------------------------------------------------

    def veth(self, ha, a, mac_a, hb, b, mac_b):
        self.ip(ha, "link", "add", a, "address", mac_a, "type", "veth", "peer", "name", b, "address", mac_b,
                "netns", self.ns(hb))
        self.run(ha, "ethtool", "-K", a, "tx", "off")
        self.run(hb, "ethtool", "-K", b, "tx", "off")
        self.ip(ha, "link", "set", a, "up")
        self.ip(hb, "link", "set", b, "up")

    def build_segment(self, prefix, router_sysctls=()):
        """Every host's namespace, the client behind the router, the router's bridge br0 with
        198.51.100.1`prefix` (the balancers' and reals' segment)."""
        for host in self.hosts:
            sh("ip", "netns", "add", self.ns(host), timeout=10)
            self.ip(host, "link", "set", "lo", "up")
            # No duplicate address detection: an IPv6 address is usable at once, as the lab's others.
            self.run(host, "sysctl", "-qw", "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0",
                     "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0")
        self.veth("router", "cl0", "02:00:00:01:00:01", "client", "eth0", "02:00:00:01:00:10")
        self.ip("client", "addr", "add", f"{CLIENT}/24", "dev", "eth0")
        self.ip("client", "route", "add", "default", "via", "192.0.2.1")
        self.run("router", "sysctl", "-qw", "net.ipv4.ip_forward=1", *router_sysctls)
        self.ip("router", "addr", "add", "192.0.2.1/24", "dev", "cl0")
        self.ip("router", "link", "add", "br0", "address", "02:00:00:02:00:01", "type", "bridge", "stp_state", "0")
        self.ip("router", "link", "set", "br0", "up")
        self.ip("router", "addr", "add", f"198.51.100.1{prefix}", "dev", "br0")

    def add_balancer(self, lb, port_mac, mac, address):
        """A balancer on the bridge (port `lb`p) with `address` (ADDRESS/LEN), routing by the router."""
        port = lb + "p"
        self.veth("router", port, port_mac, lb, "eth0", mac)
        self.ip("router", "link", "set", port, "master", "br0")
        self.run(lb, "sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv4.conf.all.send_redirects=0")
        self.ip(lb, "addr", "add", address, "dev", "eth0")
        self.ip(lb, "route", "add", "default", "via", "198.51.100.1")
        self.ip(lb, "route", "add", "unreachable", "203.0.113.0/24")
        # Frames the balancer sends with XDP_TX reach the bridge only if its port runs XDP.
        self.run("router", self.usher_bin, "--pin-dir", self.pin_dir("router-" + lb), "--state-dir",
                 self.state_dir("router"), "attach", port, "--program", "pass")

    def add_dsr_real(self, real, mac, address, vip):
        """A real on the bridge (port r`N`) with `address` (ADDRESS/LEN) and `vip` on its loopback."""
        port = "r" + real[-1]
        self.veth("router", port, "02:00:00:03:00:1" + real[-1], real, "eth0", mac)
        self.ip("router", "link", "set", port, "master", "br0")
        self.ip(real, "addr", "add", address, "dev", "eth0")
        # dsr-l2: the VIP on loopback, never answered for on the segment; replies go to the router.
        self.run(real, "sysctl", "-qw", "net.ipv4.conf.all.arp_ignore=1", "net.ipv4.conf.all.arp_announce=2")
        self.ip(real, "addr", "add", f"{vip}/32", "dev", "lo")
        self.ip(real, "route", "add", "default", "via", "198.51.100.1")

    def up(self):
        self.build_segment("/25")
        for lb, address in LB.items():
            self.add_balancer(lb, "02:00:00:03:00:0" + lb[-1], LB_MAC[lb], f"{address}/25")
        for real, (address, mac) in REALS.items():
            self.add_dsr_real(real, mac, f"{address}/25", DSR_VIP)
            # Its own traffic (gateway replies to clients) leaves through the floating gateway.
            self.ip(real, "rule", "add", "from", address, "lookup", "100")
            self.ip(real, "route", "add", "198.51.100.0/25", "dev", "eth0", "table", "100")
            self.ip(real, "route", "add", "default", "via", GATEWAY, "table", "100")
            self.popen(real, PYTHON, HERE, "echo", real, NAT_PORT, GW_PORT, DSR_PORT, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        self.make_active("lb1", announce=False)
        for real, (address, _) in REALS.items():
            wait_listening(self, real, address, NAT_PORT)

    def make_active(self, lb, announce=True):
        """lb takes the floating addresses and the router's route (the other one gives them up)."""
        other = "lb2" if lb == "lb1" else "lb1"
        for address in (SNAT, GATEWAY):
            if announce:
                self.ip(other, "addr", "del", f"{address}/25", "dev", "eth0")
            self.ip(lb, "addr", "add", f"{address}/25", "dev", "eth0", "noprefixroute")
        self.ip("router", "route", "replace", "203.0.113.0/24", "via", LB[lb])
        if announce:
            for address in (SNAT, GATEWAY):
                self.run(lb, PYTHON, HERE, "garp", "eth0", LB_MAC[lb], address)

    def down(self):
        for process in self.daemons.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
        for host in self.hosts:
            # Every process left in the namespace (echo servers, clients) goes with it.
            pids = sh("ip", "netns", "pids", self.ns(host), check=False).stdout.split()
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            sh("ip", "netns", "del", self.ns(host), check=False)
        for pins in Path("/sys/fs/bpf").glob(f"usher-{self.name}-*"):
            for entry in pins.iterdir():
                entry.unlink()
            pins.rmdir()

    # -- the daemons --------------------------------------------------------------------------

    def write_config(self, lb, reals, sync_key=None):
        lines = ["interfaces:", "  - name: eth0", "    xdp-mode: native",
                 "snat-pools:", "  - name: lb-snat", f"    addresses: [{SNAT}]", "    ports: 20000-29999"]
        if sync_key is not False:
            peer = LB["lb2" if lb == "lb1" else "lb1"]
            lines += ["sync:", f"  address: {LB[lb]}", f"  peers: [{peer}]", "  interval: 200ms"]
            lines += [f"  key-file: {sync_key}"] if sync_key else []
        lines.append("services:")
        for name, vip, mode, port in (("app-nat", NAT_VIP, "nat", NAT_PORT), ("app-gw", GW_VIP, "gateway", GW_PORT),
                                      ("app-dsr", DSR_VIP, "dsr-l2", None)):
            lines += [f"  - name: {name}", f"    vip: {vip}", "    port: 80", "    protocol: tcp", f"    mode: {mode}",
                      "    maglev-table-size: 251"]
            lines += ["    snat-pool: lb-snat"] if mode == "nat" else []
            lines.append("    reals:")
            for real in reals:
                address, mac = REALS[real]
                lines += [f"      - address: {address}", f"        mac: {mac}"] + ([f"        port: {port}"] if port else [])
        path = self.dir / f"{lb}.yaml"
        path.write_text("\n".join(lines) + "\n")
        return path

    def start_daemon(self, lb, config):
        log = open(self.dir / f"{lb}-daemon.out", "ab")
        process = self.popen(lb, self.usher_bin, "--pin-dir", self.pin_dir(lb), "--state-dir", self.state_dir(lb),
                             "daemon", "-c", config, "--threads", "2", stdin=subprocess.DEVNULL, stdout=log,
                             stderr=subprocess.STDOUT)
        self.daemons[lb] = process
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if "ready" in self.daemon_log(lb):
                return
            if process.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"usher daemon on {lb} did not become ready:\n{self.daemon_log(lb)}")

    def daemon_log(self, lb):
        return (self.dir / f"{lb}-daemon.out").read_text(errors="replace")

    def reload(self, lb):
        self.usher(lb, "reload", timeout=60)

    def status(self, lb):
        return json.loads(self.usher(lb, "status", "--json").stdout)

    def flows(self, lb):
        return json.loads(self.usher(lb, "flows", "--json").stdout)


@contextmanager
def built_lab(cls, workdir):
    """A lab of class `cls` (SyncLab or a subclass) built with a unique name in `workdir`, always torn down."""
    import pytest
    from labkit import require_root, unique_name, usher_binary

    require_root()
    binary = usher_binary()
    if not os.access(binary, os.X_OK):
        pytest.fail(f"usher binary not found at {binary}: run 'swift build' first, or set USHER_BIN")
    lab = cls(unique_name(), binary, workdir)
    try:
        lab.up()
        yield lab
    finally:
        lab.down()


def wait_listening(lab, host, address, port, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if lab.run(host, "ss", "-Htln", f"sport = :{port}").stdout.strip():
            return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on {address}:{port} in {host}")


# -- the programs run inside the namespaces ---------------------------------------------------

def echo_server(name, ports):
    """Echoes every line back, prefixed with the real's name, on each port."""
    def serve(conn):
        with conn:
            conn.settimeout(120)
            try:
                while True:
                    data = conn.recv(4096)
                    if not data:
                        return
                    conn.sendall(data)
            except OSError:
                return

    def listen(port):
        # Both families on one socket: the IPv4 VIPs' flows and the IPv6 ones.
        server = socket.create_server(("::", port), family=socket.AF_INET6, dualstack_ipv6=True, reuse_port=True)
        while True:
            conn, _ = server.accept()
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    for port in ports[1:]:
        threading.Thread(target=listen, args=(port,), daemon=True).start()
    listen(ports[0])


def split_target(target):
    """("VIP", port) from "VIP:port" or "[VIP6]:port"."""
    vip, port = target.rsplit(":", 1)
    return vip.strip("[]"), int(port)


def client(targets, first_port, count, seconds, start_file):
    """`count` connections to each VIP:port (or [VIP6]:port) of `targets` from fixed source
    ports; each sends a numbered line every 100 ms for `seconds` and checks that the same line
    comes back. Prints a JSON report: per connection its VIP, source port, echoes, the time of
    its last echo, its error."""
    results = []
    lock = threading.Lock()
    end = time.time() + seconds

    def run(vip, port, sport):
        result = {"vip": vip, "sport": sport, "echoes": 0, "last_echo": None, "error": None}
        try:
            v6 = ":" in vip
            sock = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.bind(("::" if v6 else "0.0.0.0", sport))
            sock.settimeout(5)
            sock.connect((vip, port))
            n = 0
            buffer = b""
            while time.time() < end:
                line = f"{sport} {n}\n".encode()
                sock.sendall(line)
                while b"\n" not in buffer:
                    chunk = sock.recv(4096)
                    if not chunk:
                        raise ConnectionError("closed by the peer")
                    buffer += chunk
                got, buffer = buffer.split(b"\n", 1)
                if got + b"\n" != line:
                    raise ConnectionError(f"echo {got!r} for {line!r}")
                result["echoes"] += 1
                result["last_echo"] = time.time()
                n += 1
                time.sleep(0.1)
            sock.close()
        except (OSError, ConnectionError) as error:
            result["error"] = f"{type(error).__name__}: {error}"
        with lock:
            results.append(result)

    threads = []
    for index, target in enumerate(targets):
        vip, port = split_target(target)
        for i in range(count):
            sport = first_port + index * max(100, count) + i
            threads.append(threading.Thread(target=run, args=(vip, port, sport)))
    for thread in threads:
        thread.start()
    Path(start_file).write_text(str(time.time()))
    for thread in threads:
        thread.join(seconds + 30)
    print(json.dumps(results))


def gratuitous_arp(interface, mac, address):
    """Three gratuitous ARP requests (sender = target = address) from `mac` on `interface`."""
    hw = bytes.fromhex(mac.replace(":", ""))
    ip = socket.inet_aton(address)
    frame = b"\xff" * 6 + hw + b"\x08\x06" + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + hw + ip + b"\x00" * 6 + ip
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as sock:
        sock.bind((interface, 0))
        for _ in range(3):
            sock.send(frame)
            time.sleep(0.05)


def send_datagram(address, port, payload_hex):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.sendto(bytes.fromhex(payload_hex), (address, int(port)))


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "echo":
        echo_server(sys.argv[2], [int(p) for p in sys.argv[3:]])
    elif command == "client":
        client(sys.argv[2].split(","), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), sys.argv[6])
    elif command == "send":
        send_datagram(sys.argv[2], sys.argv[3], sys.argv[4])
    elif command == "garp":
        gratuitous_arp(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(f"unknown command {command}")
