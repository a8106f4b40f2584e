"""Driving a lab (Tools/lab) from tests: hosts, the usher CLI on the balancer, HTTP clients.

Everything runs with a timeout; a Lab is always torn down by the fixture that made it.
"""
import json
import os
import secrets
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LAB_TOOL = REPO / "Tools" / "lab"
CLIENT_TOOL = REPO / "Tools" / "lab-client.py"
PYTHON = "/usr/bin/python3"


def usher_binary():
    """The usher binary under test: $USHER_BIN, else this checkout's .build/debug/usher."""
    return Path(os.environ.get("USHER_BIN") or REPO / ".build" / "debug" / "usher")


def require_root():
    import pytest

    if os.geteuid() != 0:
        pytest.skip("end-to-end tests build network namespaces and attach XDP programs: run them as root")


# Every name unique_name hands out is recorded here with the pid of the process that asked, so
# that what a test made (namespaces NAME and NAME-*, pins whose name holds NAME, a Tools/lab
# lab) is removed even when the process died before its teardown (a timeout, a kill, a machine
# stopped mid-run): sweep_orphans, at the start of every pytest session and of Tools/test.
LAB_REGISTRY = Path("/run/usher-test-labs")


def unique_name(prefix="t"):
    name = prefix + secrets.token_hex(3)
    try:
        LAB_REGISTRY.mkdir(mode=0o700, exist_ok=True)
        (LAB_REGISTRY / name).write_text(f"{os.getpid()}\n")
    except PermissionError:
        pass  # not root: such a test skips before it makes anything
    return name


def _running(pid):
    """Whether pid runs (a zombie does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat[stat.rindex(")") + 1:].split()[0] != "Z"


def remove_leftovers(name):
    """Removes everything a lab named `name` may have left: Tools/lab's own lab, every process
    in and every namespace named NAME or NAME-*, every pin directory whose name holds NAME.
    Returns whether there was anything to remove."""
    found = False
    if Path("/run/usher-lab", name).exists():
        found = True
        subprocess.run([str(LAB_TOOL), "down", name], capture_output=True, timeout=60)
    for ns in sorted(Path("/run/netns").glob(f"{name}*")):
        if ns.name != name and not ns.name.startswith(name + "-"):
            continue
        found = True
        pids = subprocess.run(["ip", "netns", "pids", ns.name], capture_output=True, text=True, timeout=10).stdout
        for pid in pids.split():
            try:
                os.kill(int(pid), 9)
            except (ProcessLookupError, ValueError):
                pass
        subprocess.run(["ip", "netns", "del", ns.name], capture_output=True, timeout=10)
    for pins in Path("/sys/fs/bpf").glob(f"*{name}*"):
        found = True
        subprocess.run(["rm", "-rf", str(pins)], capture_output=True, timeout=10)
    return found


def sweep_orphans():
    """Removes what labs of processes that no longer run left behind; returns the names of
    those that had left something (the registry entries of the others just go)."""
    if os.geteuid() != 0 or not LAB_REGISTRY.is_dir():
        return []
    swept = []
    for entry in sorted(LAB_REGISTRY.iterdir()):
        try:
            owner = int(entry.read_text().strip() or 0)
        except (ValueError, OSError):
            owner = 0
        if owner and _running(owner):
            continue
        if remove_leftovers(entry.name):
            swept.append(entry.name)
        entry.unlink(missing_ok=True)
    return swept


class Stream:
    """A long-lived GET /stream in the client namespace (Tools/lab-client.py stream)."""

    def __init__(self, process, seconds, port):
        self.process = process
        self.seconds = seconds
        self.port = port  # the client's source port
        self.first = None

    def wait_first(self, timeout=5.0):
        """The name of the real server that answers this stream (from its first line)."""
        if self.first is None:
            line = self._readline(timeout)
            event = json.loads(line) if line else {}
            if event.get("event") != "first":
                self.process.kill()
                raise AssertionError(f"the stream did not start: {line!r} {self.process.stderr.read()!r}")
            self.first = event
        return self.first["real"]

    def result(self):
        """The client's final report: {"intact", "lines", "expected", "real", "error", ...}."""
        self.wait_first()
        try:
            out, err = self.process.communicate(timeout=self.seconds + 15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise AssertionError("the stream client did not finish in time")
        lines = [line for line in out.splitlines() if line.strip()]
        if not lines:
            raise AssertionError(f"the stream client printed no report; stderr: {err!r}")
        return json.loads(lines[-1])

    def _readline(self, timeout):
        import selectors

        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            if not selector.select(timeout):
                return ""
        return self.process.stdout.readline()

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=5)


class Lab:
    def __init__(self, name, facts):
        self.name = name
        self.facts = facts
        self.streams = []
        # Client source ports are handed out once per lab, below the kernel's ephemeral range:
        # every connection of a test is a new 5-tuple, so it must be a new flow for usher.
        self.next_port = 10000

    @classmethod
    def up(cls, name, with_usher=True, daemon=False, ha=False):
        args = [str(LAB_TOOL), "up", name, "--json"] + ([] if with_usher else ["--no-usher"])
        args += ["--daemon"] if daemon else []
        args += ["--ha"] if ha else []
        env = dict(os.environ, USHER_BIN=str(usher_binary()))
        done = subprocess.run(args, capture_output=True, text=True, timeout=90, env=env)
        if done.returncode != 0:
            subprocess.run([str(LAB_TOOL), "down", name], capture_output=True, timeout=60)
            raise AssertionError(f"Tools/lab up {name} failed ({done.returncode}):\n{done.stderr}")
        return cls(name, json.loads(done.stdout))

    def down(self):
        for stream in self.streams:
            stream.stop()
        subprocess.run([str(LAB_TOOL), "down", self.name], capture_output=True, timeout=60)

    # -- facts --------------------------------------------------------------------------------

    @property
    def client_address(self):
        return self.facts["hosts"]["client"]["interfaces"]["eth0"]["ipv4"].split("/")[0]

    @property
    def client_address6(self):
        return self.facts["hosts"]["client"]["interfaces"]["eth0"]["ipv6"].split("/")[0]

    def service(self, name):
        return next(s for s in self.facts["services"] if s["name"] == name)

    def real_address(self, real, family=4):
        entry = next(r for r in self.facts["reals"] if r["name"] == real)
        return entry["ipv4" if family == 4 else "ipv6"]

    # -- running things -----------------------------------------------------------------------

    def run(self, host, *command, timeout=30, check=True):
        """Runs a command in a host's network namespace (nsenter --net, so bpffs stays visible)."""
        argv = ["nsenter", f"--net=/run/netns/{self.name}-{host}", "--", *map(str, command)]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        if check and done.returncode != 0:
            raise AssertionError(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
        return done

    def usher(self, *args, timeout=30, check=True):
        """Runs `usher ARGS` on the balancer with the lab's pin and state directories."""
        return self.run(
            "lb", usher_binary(), "--pin-dir", self.facts["pin_dir"], "--state-dir",
            self.facts["state_dir"], *args, timeout=timeout, check=check,
        )

    def reals(self, service=None):
        """`usher real list --json` (of one service): each real with its health."""
        return json.loads(self.usher("real", "list", "--json", *([service] if service else [])).stdout)

    def real_state(self, service, real):
        address = self.real_address(real)
        return next(r["state"] for r in self.reals(service) if r["address"] == address)

    def server(self, real, action):
        """Stops or starts the real server program of `real` (Tools/lab server)."""
        done = subprocess.run([str(LAB_TOOL), "server", self.name, real, action], capture_output=True, text=True,
                              timeout=30)
        assert done.returncode == 0, f"Tools/lab server {real} {action} failed: {done.stderr}"

    def start_daemon(self, host="lb"):
        """Starts `usher daemon` on a balancer again (Tools/lab daemon NAME start HOST)."""
        done = subprocess.run([str(LAB_TOOL), "daemon", self.name, "start", host], capture_output=True, text=True,
                              timeout=60, env=dict(os.environ, USHER_BIN=str(usher_binary())))
        assert done.returncode == 0, f"Tools/lab daemon start failed: {done.stderr}"

    def kill_balancer(self, host):
        """`host` dies as a host does (Tools/lab kill): its processes killed, its link down."""
        done = subprocess.run([str(LAB_TOOL), "kill", self.name, host], capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, f"Tools/lab kill {host} failed: {done.stderr}"

    def revive_balancer(self, host):
        """The dead `host` starts again (Tools/lab revive): link up, then `usher daemon`."""
        done = subprocess.run([str(LAB_TOOL), "revive", self.name, host], capture_output=True, text=True,
                              timeout=60, env=dict(os.environ, USHER_BIN=str(usher_binary())))
        assert done.returncode == 0, f"Tools/lab revive {host} failed: {done.stderr}"

    def daemon_pid(self):
        return int(Path(self.facts["dir"], "daemon.pid").read_text())

    def daemon_log(self):
        return Path(self.facts["dir"], "daemon.out").read_text(errors="replace")

    def apply(self):
        return self.usher("apply", "-f", self.facts["config"], timeout=60)

    def stats(self):
        return json.loads(self.usher("stats", "--json").stdout)

    def flows(self, *filters, limit=100000):
        """`usher flows --json` on the balancer: {"flows": [...], "shown", "total"}."""
        return json.loads(self.usher("flows", "--json", "--limit", limit, *filters).stdout)

    def source_ports(self, count):
        first = self.next_port
        self.next_port += count
        assert self.next_port < 32768, "the test used up the lab's client ports"
        return first

    def get(self, host, count, port=80, concurrency=4, timeout=3.0, tls=False, max_errors=20):
        """`count` GET / requests from the client, one TCP connection (and client port) each:
        the summary dict. tls: HTTPS, verified against the lab's certificate. After `max_errors`
        failures no more requests are issued (they count as failed): a broken path fails fast."""
        deadline = 30 + count * 0.2
        extra = ["--tls", "--ca", f"{self.facts['dir']}/l7.pem"] if tls else []
        done = self.run(
            "client", PYTHON, CLIENT_TOOL, "get", host, "--port", port, "--count", count,
            "--concurrency", concurrency, "--timeout", timeout, "--deadline", deadline,
            "--source-port", self.source_ports(count), "--max-errors", max_errors, *extra,
            timeout=deadline + 15, check=False,
        )
        if not done.stdout.strip():
            raise AssertionError(f"the HTTP client printed nothing; stderr: {done.stderr}")
        return json.loads(done.stdout)

    def udp(self, host, count, port=9000):
        """`count` UDP request/response exchanges from the client, each from its own port: the
        summary dict ({"ok", "by_real", "seen": [[real, client, local, local_port, n]], ...})."""
        deadline = 10 + count * 3
        done = self.run(
            "client", PYTHON, CLIENT_TOOL, "udp", host, "--port", port, "--count", count,
            "--source-port", self.source_ports(count), "--deadline", deadline, "--max-errors", 5,
            timeout=deadline + 15, check=False,
        )
        if not done.stdout.strip():
            raise AssertionError(f"the UDP client printed nothing; stderr: {done.stderr}")
        return json.loads(done.stdout)

    def hold(self, host, connections, port=80, deadline=90):
        """`connections` TCP connections held open at once, then a GET / on each: the summary
        ({"established", "open_at_once", "ok", "failed", "by_body", "errors", "seconds", ...})."""
        done = self.run(
            "client", PYTHON, CLIENT_TOOL, "hold", host, "--port", port, "--connections", connections,
            "--source-port", self.source_ports(connections), "--deadline", deadline,
            timeout=deadline + 20, check=False,
        )
        if not done.stdout.strip():
            raise AssertionError(f"the client printed nothing; stderr: {done.stderr}")
        return json.loads(done.stdout)

    def transfer(self, host, size, port=80, timeout=10.0):
        """An upload and a download of `size` bytes, checked byte for byte:
        {"upload": {"ok", "real", "seconds", "error"}, "download": {...}}."""
        done = self.run(
            "client", PYTHON, CLIENT_TOOL, "transfer", host, "--port", port, "--bytes", size,
            "--timeout", timeout, "--source-port", self.source_ports(2),
            timeout=4 * timeout + 30, check=False,
        )
        if not done.stdout.strip():
            raise AssertionError(f"the transfer client printed nothing; stderr: {done.stderr}")
        return json.loads(done.stdout)

    def stream(self, host, seconds, port=80):
        """Starts a long-lived GET /stream?seconds=S from the client (a Stream)."""
        source_port = self.source_ports(1)
        argv = ["nsenter", f"--net=/run/netns/{self.name}-client", "--", PYTHON, str(CLIENT_TOOL),
                "stream", host, "--port", str(port), "--seconds", str(seconds),
                "--source-port", str(source_port)]
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        stream = Stream(process, seconds, source_port)
        self.streams.append(stream)
        return stream

    # -- what the real servers saw ------------------------------------------------------------

    def log(self, real):
        """Every request real server `real` logged, oldest first."""
        path = Path(self.facts["hosts"][real]["log"])
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def log_marks(self, reals=("real1", "real2", "real3")):
        """How many requests each real has logged so far (pass to `requests_since`)."""
        return {real: len(self.log(real)) for real in reals}

    def requests_since(self, marks, path="/"):
        """Requests for `path` ("udp": datagrams) each real logged after `marks`."""
        return {real: [e for e in self.log(real)[mark:] if e["path"] == path] for real, mark in marks.items()}


def service_stats(stats, name):
    entries = [s for s in stats.get("services", []) if s.get("name") == name]
    assert entries, f"usher stats has no service {name}: {stats.get('services')}"
    return entries[0]


def real_stats(stats, address, service=None):
    """The counters of a real server, summed over its entries; only those of `service` (a lab
    service dict) when the stats name a service per real, by name or as "VIP:PORT/PROTO"."""
    names = set()
    if service is not None:
        vip = f"[{service['vip']}]" if ":" in service["vip"] else service["vip"]
        names = {service["name"], f"{vip}:{service['port']}/{service['protocol']}",
                 f"{service['vip']}:{service['port']}/{service['protocol']}"}
    total = {"packets": 0, "bytes": 0, "new_flows": 0}
    for entry in stats.get("reals", []):
        if entry.get("address") != address:
            continue
        if names and "service" in entry and entry["service"] not in names:
            continue
        for key in total:
            total[key] += entry.get(key, 0)
    return total


def wait_until(predicate, timeout, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


if __name__ == "__main__":
    # Tools/test: `python3 Tests/EndToEnd/labkit.py --sweep`
    import sys

    if sys.argv[1:] != ["--sweep"]:
        sys.exit("usage: labkit.py --sweep")
    for name in sweep_orphans():
        print(f"removed what lab {name} left (its process had ended)")
