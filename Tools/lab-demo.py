#!/usr/bin/python3
"""The traffic and the report of Tools/demo, for a lab that is up with its config applied.

    lab-demo.py LAB_DIR [--requests N]

For every service of the lab (facts.json): N HTTP requests (one TCP connection each), or 30
UDP exchanges for a UDP service, from the client; then a table of how they spread over the real
servers, what each real saw (source address → the address and port it answered on), and a
2 MB upload and download through the nat service whose real sits behind a 1280-byte link;
and a SYN flood of twice the flow table against 100 idle connections, which all survive.
"""
import argparse
import collections
import json
import subprocess
import sys
import time
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
PYTHON = "/usr/bin/python3"
REALS = ("real1", "real2", "real3", "real4")
HOW = {
    "dsr-l2": "the client's own packets, to the VIP on the real's loopback; reply straight to the router",
    "dsr-ipip": "the same, inside IP-in-IP (the real decapsulates); reply straight to the router",
    "nat": "the balancer's SNAT address, to the real's own address and port; reply to the balancer",
    "gateway": "the client's address, to the real's own address; reply via the balancer (its gateway)",
    "http": "the proxy on the balancer (X-Forwarded-For: the client), keep-alive pool",
    "https": "the same, TLS terminated by the proxy",
}


def client(facts, *args, timeout=180):
    argv = ["nsenter", f"--net=/run/netns/{facts['name']}-client", "--", PYTHON, str(TOOLS / "lab-client.py"), *map(str, args)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    try:
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return {"ok": 0, "failed": None, "errors": {done.stderr.strip()[-200:] or "no output": 1}}


def usher(facts, *args):
    argv = ["nsenter", f"--net=/run/netns/{facts['name']}-lb", "--", facts["usher"], "--pin-dir", facts["pin_dir"],
            "--state-dir", facts["state_dir"], *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60)


def logs(facts):
    return {real: [json.loads(line) for line in Path(facts["hosts"][real]["log"]).read_text().splitlines()]
            for real in REALS}


def vip_port(vip, port):
    return f"[{vip}]:{port}" if ":" in vip else f"{vip}:{port}"


def run_services(facts, requests):
    rows = []
    for service in facts["services"]:
        before = {real: len(entries) for real, entries in logs(facts).items()}
        vip, port = service["vip"], service["port"]
        if service["protocol"] == "udp":
            result = client(facts, "udp", vip, "--port", port, "--count", 30)
            spread = result.get("by_real", {})
        else:
            tls = ["--tls", "--ca", f"{facts['dir']}/l7.pem"] if service["mode"] == "https" else []
            result = client(facts, "get", vip, "--port", port, "--count", requests, "--concurrency", 4, *tls)
            spread = result.get("by_body", {})
        after = logs(facts)
        seen = collections.Counter()
        for real in REALS:
            for entry in after[real][before[real]:]:
                # The daemon's health checks come from the balancer's own address: UDP checks look
                # like the client's datagrams (HTTP ones ask for /healthz).
                if entry["path"] == "udp" and entry["client"] in BALANCER:
                    continue
                if entry["path"] in ("/", "udp"):
                    seen[(entry["client"], entry["forwarded_for"], entry["local"], entry["local_port"])] += 1
        rows.append((service, result, spread, seen))
    return rows


# The balancer's own addresses on the server segment (Tools/lab-config.py), where checks come from.
BALANCER = ("198.51.100.2", "2001:db8:2::2")


def print_spread(rows):
    print(f"{'service':<12} {'VIP:port':<24} {'proto':<5} {'mode':<8} {'ok':>5} {'failed':>6}  "
          + "  ".join(f"{r:>11}" for r in REALS[:3]))
    for service, result, spread, _ in rows:
        total = max(result.get("ok") or 0, 1)
        cells = "  ".join(f"{spread.get(r, 0):>5} ({100 * spread.get(r, 0) / total:3.0f}%)" for r in REALS[:3])
        if spread.get("real4"):
            cells = f"{'real4: ' + str(spread['real4']):>37}"
        failed = result.get("failed")
        print(f"{service['name']:<12} {vip_port(service['vip'], service['port']):<24} {service['protocol']:<5} "
              f"{service['mode']:<8} {result.get('ok', 0):>5} {'?' if failed is None else failed:>6}  {cells}")
        if result.get("errors"):
            print(f"{'':<12} errors: {result['errors']}")


def print_seen(rows):
    print("source address → the address:port the real answered on (the client is 192.0.2.10, 2001:db8:1::10)")
    for service, _, _, seen in rows:
        sources = sorted({(src, fwd) for src, fwd, _, _ in seen}, key=lambda s: (s[0], s[1] or ""))
        locals_ = sorted({vip_port(local, port) for _, _, local, port in seen})
        text = ", ".join(src + (f" (X-Forwarded-For {fwd})" if fwd else "") for src, fwd in sources) or "nothing"
        print(f"  {service['name']:<12} {text:<42} → {' '.join(locals_)}")
        print(f"  {'':<12} {HOW.get(service['mode'], '')}")


def run_pmtu(facts):
    for service in (s for s in facts["services"] if s["name"].startswith("web-pmtu")):
        before = usher_counter(facts, "nat_icmp")
        report = client(facts, "transfer", service["vip"], "--bytes", 2 << 20)
        moved = usher_counter(facts, "nat_icmp") - before
        for way in ("upload", "download"):
            r = report.get(way, {})
            state = "intact" if r.get("ok") else f"FAILED ({r.get('error')})"
            print(f"  {service['name']:<12} 2 MiB {way:<8} {state:<10} {r.get('seconds', '?')} s, served by {r.get('real')}")
        print(f"  {'':<12} ICMP errors translated by the balancer (nat_icmp): {moved}")


def run_syn_flood(facts, held=100):
    """Idle connections to web-l2, then twice the flow table's size in spoofed SYNs from the
    router (Tests/EndToEnd/test_syn_flood.py): a SYN makes no entry, so every connection stays."""
    vip = next(s["vip"] for s in facts["services"] if s["name"] == "web-l2")
    pause = Path(facts["dir"]) / "demo-flood-hold"
    argv = ["nsenter", f"--net=/run/netns/{facts['name']}-client", "--", PYTHON, str(TOOLS / "lab-client.py"), "hold", vip,
            "--connections", str(held), "--source-port", "12000", "--deadline", "120", "--pause-file", str(pause)]
    holder = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(300):
            if Path(f"{pause}.open").exists() or holder.poll() is not None:
                break
            time.sleep(0.1)
        shown = subprocess.run(["bpftool", "--json", "map", "show", "pinned", f"{facts['pin_dir']}/usher_ct_v3"],
                               capture_output=True, text=True, timeout=30)
        capacity = json.loads(shown.stdout)["max_entries"] // 2  # the flows it is sized for: half its ways
        count = capacity * 2
        router = [f"--net=/run/netns/{facts['name']}-router", "--"]
        subprocess.run(["nsenter", *router, "ip", "route", "replace", "blackhole", "192.0.2.128/25"], check=True)
        tracked = lambda: json.loads(usher(facts, "flows", "--json", "--limit", "1").stdout)["total"]
        before_tracked, before_new = tracked(), usher_counter(facts, "ct_new")
        print(f"  {held} connections to web-l2 ({vip}) open and idle; {before_tracked} flows tracked; "
              f"the flow table holds {capacity:,}")
        flood = subprocess.run(
            ["nsenter", *router, PYTHON, str(TOOLS / "lab-synflood.py"), "--interface", "br0",
             "--src-mac", facts["hosts"]["router"]["interfaces"]["br0"]["mac"],
             "--dst-mac", facts["hosts"]["lb"]["interfaces"]["eth0"]["mac"], "--vip", vip, "--port", "80",
             "--sources", "192.0.2.128/25", "--count", str(count), "--deadline", "90"],
            capture_output=True, text=True, timeout=120)
        sent = json.loads(flood.stdout or "{}")
        print(f"  {sent.get('sent', 0):,} spoofed SYNs, each from its own source, in {sent.get('seconds')} s; "
              f"the balancer saw {usher_counter(facts, 'ct_new') - before_new:,} as new flows; {tracked()} flows tracked after")
    finally:
        pause.touch()
        try:
            out, _ = holder.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            holder.kill()
            out, _ = holder.communicate()
    result = json.loads(out.strip().splitlines()[-1]) if out.strip() else {"ok": 0, "errors": {"no output": 1}}
    print(f"  then a request on each idle connection: {result['ok']} of {held} answered, by real: "
          f"{result.get('by_body')} {result.get('errors') or ''}")
    return result["ok"] == held


def usher_counter(facts, name):
    done = usher(facts, "stats", "--json")
    try:
        return json.loads(done.stdout)["global"][name]["packets"]
    except (ValueError, KeyError):
        return 0


def banner(text):
    print(f"\n\033[1m== {text}\033[0m", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lab_dir")
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    facts = json.loads((Path(args.lab_dir) / "facts.json").read_text())
    banner(f"{args.requests} HTTP requests (30 UDP exchanges for UDP services) to every service, from the client")
    rows = run_services(facts, args.requests)
    banner("how they spread over the real servers")
    print_spread(rows)
    banner("what each real server saw")
    print_seen(rows)
    banner("path MTU: real4 sits behind router2's 1280-byte link; the client sends 1500-byte packets")
    run_pmtu(facts)
    banner("a SYN flood against established connections (a bare SYN makes no flow entry)")
    flood_ok = run_syn_flood(facts)
    failed = sum(1 for _, result, _, _ in rows if result.get("failed") != 0)
    return 1 if failed or not flood_ok else 0


if __name__ == "__main__":
    sys.exit(main())
