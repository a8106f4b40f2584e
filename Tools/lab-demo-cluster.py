#!/usr/bin/env python3
"""The cluster's part of the demo (Tools/demo --cluster): a router running BIRD with ECMP and
three balancers, each `usher daemon` with a `bgp:` section announcing an IPv4 and an IPv6 VIP,
each over a session of its family (the lab of
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
from clusterlab import BALANCERS, PORT, VIP, VIP6, ClusterLab  # noqa: E402
from labkit import unique_name, wait_until  # noqa: E402
from synclab import HERE as PROGRAMS, PYTHON  # noqa: E402

CONNECTIONS = 75  # to each VIP
SECONDS = 12


def banner(text):
    print(f"\n\033[1m== {text}\033[0m", flush=True)


def show_route(lab):
    for family, vip in (("-4", VIP), ("-6", VIP6)):
        route = lab.ip("router", family, "route", "show", vip).stdout.strip() or "(no route)"
        print(f"  router: ip {family} route show {vip}\n    " + route.replace("\n", "\n    "))


def show_bgp(lab, lb):
    text = lab.usher(lb, "status", check=False).stdout
    for line in text.splitlines():
        if line.startswith("BGP"):
            print(f"  {lb}: {line}")


def demo(lab):
    banner("a router (BIRD, ECMP by ports) and three balancers, each usher daemon with bgp:")
    for lb in BALANCERS:
        lab.start_daemon(lb, lab.write_config(lb, ["real1", "real2"], v6=True))
    for vip in (VIP, VIP6):
        if not wait_until(lambda: lab.next_hops(vip) == set(BALANCERS), 30):
            print(f"the router's route to {vip} leads to {lab.next_hops(vip)}, not to all three:\n{lab.bird_protocols()}")
            return 1
    config = (lab.dir / "lb1.yaml").read_text()
    print("  lb1's bgp: section\n    " + config[config.index("bgp:"):config.index("sync:")].strip().replace("\n", "\n    "))
    show_route(lab)
    for lb in BALANCERS:
        wait_until(lambda: lab.usher(lb, "status", check=False).stdout.count("Established") == 2, 5)
        show_bgp(lab, lb)

    banner(f"{CONNECTIONS} long-lived connections to {VIP}:{PORT} and {CONNECTIONS} to [{VIP6}]:{PORT}, "
           f"each a line every 100 ms for {SECONDS} s")
    started = lab.dir / "client.started"
    client = lab.popen("client", PYTHON, PROGRAMS, "client", f"{VIP}:{PORT},[{VIP6}]:{PORT}", 30000, CONNECTIONS,
                       SECONDS, started, stdout=subprocess.PIPE, text=True)
    if not wait_until(started.exists, 10):
        print("the client did not start")
        return 1
    time.sleep(2)
    before = {lb: lab.packets(lb) + lab.packets(lb, "app6") for lb in BALANCERS}
    print("  packets each balancer forwarded (usher stats): " + ", ".join(f"{lb} {n}" for lb, n in before.items()))

    banner("lb3 dies: its link down, its daemon and its bird killed")
    death = time.time()
    lab.kill("lb3")
    withdrawn = None
    while time.time() < death + 5:
        if "lb3" not in lab.next_hops() and "lb3" not in lab.next_hops(VIP6):
            withdrawn = time.time() - death
            break
        time.sleep(0.02)
    print(f"  the router withdrew lb3's routes (IPv4 and IPv6) {withdrawn:.2f} s after its death (BFD)"
          if withdrawn is not None else "  the router did not withdraw lb3's routes within 5 s")
    show_route(lab)
    show_bgp(lab, "lb1")
    time.sleep(2)
    after = {lb: lab.packets(lb) + lab.packets(lb, "app6") - before[lb] for lb in ("lb1", "lb2")}
    print("  packets since, lb1 and lb2 (they carry lb3's flows now): " + ", ".join(f"{lb} {n}" for lb, n in after.items()))

    banner("what the client saw")
    out, _ = client.communicate(timeout=SECONDS + 40)
    report = json.loads(out)
    end = max(r["last_echo"] or 0 for r in report)
    broken = [r for r in report if r["error"] or (r["last_echo"] or 0) < end - 1.0]
    print(f"  {len(report) - len(broken)} of {len(report)} connections echoed to the end; broken: {len(broken)}")
    print("  The connections are those opened before lb3 died: the two others' identical Maglev tables and the")
    print("  flow state synced between the three keep each on its real. The cluster under systemd: Docs/DEPLOYMENT.md.")
    return 0 if withdrawn is not None and withdrawn < 1.0 and not broken and len(report) == 2 * CONNECTIONS else 1


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
