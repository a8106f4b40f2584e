#!/usr/bin/env python3
"""The cluster's part of the demo (Tools/demo --cluster): a router running BIRD with ECMP and
three balancers, each `usher daemon` with a `bgp:` section announcing the VIP (the lab of
Tests/EndToEnd/clusterlab.py, in namespaces of a name unique to the run, removed at the end
whatever happens). Long-lived connections spread over the three; one balancer dies; the
router withdraws its route, and the connections it carried go on through the other two.

    Tools/lab-demo-cluster.py USHER_BINARY
"""
import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Tests" / "EndToEnd"))
from clusterlab import BALANCERS, LB, PORT, VIP, ClusterLab  # noqa: E402
from labkit import unique_name, wait_until  # noqa: E402
from synclab import HERE as PROGRAMS, PYTHON  # noqa: E402

CONNECTIONS = 150
SECONDS = 12


def banner(text):
    print(f"\n\033[1m== {text}\033[0m", flush=True)


def show_route(lab):
    route = lab.ip("router", "route", "show", VIP).stdout.strip() or "(no route)"
    print("  router: ip route show " + VIP + "\n    " + route.replace("\n", "\n    "))


def show_bgp(lab, lb):
    text = lab.usher(lb, "status", check=False).stdout
    for line in text.splitlines():
        if line.startswith("BGP"):
            print(f"  {lb}: {line}")


def demo(lab):
    banner("a router (BIRD, ECMP by ports) and three balancers, each usher daemon with bgp:")
    for lb in BALANCERS:
        lab.start_daemon(lb, lab.write_config(lb, ["real1", "real2"]))
    if not wait_until(lambda: lab.next_hops() == set(BALANCERS), 30):
        print(f"the router's route leads to {lab.next_hops()}, not to all three:\n{lab.bird_protocols()}")
        return 1
    config = (lab.dir / "lb1.yaml").read_text()
    print("  lb1's bgp: section\n    " + config[config.index("bgp:"):config.index("sync:")].strip().replace("\n", "\n    "))
    show_route(lab)
    for lb in BALANCERS:
        wait_until(lambda: "Established" in lab.usher(lb, "status", check=False).stdout, 5)
        show_bgp(lab, lb)

    banner(f"{CONNECTIONS} long-lived connections to {VIP}:{PORT}, each a line every 100 ms for {SECONDS} s")
    started = lab.dir / "client.started"
    client = lab.popen("client", PYTHON, PROGRAMS, "client", f"{VIP}:{PORT}", 30000, CONNECTIONS, SECONDS, started,
                       stdout=subprocess.PIPE, text=True)
    if not wait_until(started.exists, 10):
        print("the client did not start")
        return 1
    time.sleep(2)
    before = {lb: lab.packets(lb) for lb in BALANCERS}
    print("  packets each balancer forwarded (usher stats): " + ", ".join(f"{lb} {n}" for lb, n in before.items()))

    banner("lb3 dies: its link down, its daemon and its bird killed")
    death = time.time()
    lab.kill("lb3")
    withdrawn = None
    while time.time() < death + 5:
        if "lb3" not in lab.next_hops():
            withdrawn = time.time() - death
            break
        time.sleep(0.02)
    print(f"  the router withdrew lb3's route {withdrawn:.2f} s after its death (BFD)" if withdrawn is not None
          else "  the router did not withdraw lb3's route within 5 s")
    show_route(lab)
    show_bgp(lab, "lb1")
    time.sleep(2)
    after = {lb: lab.packets(lb) - before[lb] for lb in ("lb1", "lb2")}
    print("  packets since, lb1 and lb2 (they carry lb3's flows now): " + ", ".join(f"{lb} {n}" for lb, n in after.items()))

    banner("what the client saw")
    out, _ = client.communicate(timeout=SECONDS + 40)
    report = json.loads(out)
    end = max(r["last_echo"] or 0 for r in report)
    broken = [r for r in report if r["error"] or (r["last_echo"] or 0) < end - 1.0]
    print(f"  {len(report) - len(broken)} of {len(report)} connections echoed to the end; broken: {len(broken)}")
    print("  The connections are those opened before lb3 died: the two others' identical Maglev tables and the")
    print("  flow state synced between the three keep each on its real. The cluster under systemd: Docs/DEPLOYMENT.md.")
    return 0 if withdrawn is not None and withdrawn < 1.0 and not broken and len(report) == CONNECTIONS else 1


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    # A timeout's SIGTERM unwinds like Ctrl-C, through the `finally` that removes the lab.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    workdir = tempfile.mkdtemp(prefix="usher-cluster-demo-")
    lab = ClusterLab(unique_name("dc"), sys.argv[1], workdir)
    try:
        lab.up()
        return demo(lab)
    finally:
        banner("removing the lab")
        lab.down()
        print(f"  namespaces {lab.name}-* removed; logs in {workdir}")


if __name__ == "__main__":
    sys.exit(main())
