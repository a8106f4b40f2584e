"""A SYN flood against a DSR service evicts none of its established connections (issue 10).

Connections are made while real3 is out of rotation, then real3 comes back: Maglev would now
send about a third of those connections to real3, so only their flow entries keep them on the
real that holds them (a connection that lost its entry reaches real3, which resets it). Then
twice as many spoofed SYNs as the flow table holds, each from its own source, go at the VIP at the
rate one process can write them. A bare SYN makes no entry (BPF/lib/conntrack.h), so every
connection must still answer from its own real.
"""
import json
import os
import subprocess
import time
from pathlib import Path

from labkit import PYTHON, wait_until

HELD = 150
SERVICE = "web-l2"
# Spoofed sources: the router drops what the reals answer them (a blackhole route), so the
# flood's SYN-ACKs end there instead of waiting on neighbour resolution on the client side.
SPOOFED = "192.0.2.128/25"
FLOOD_TOOL = Path(__file__).resolve().parents[2] / "Tools" / "lab-synflood.py"
CLIENT_TOOL = Path(__file__).resolve().parents[2] / "Tools" / "lab-client.py"


def flow_table_capacity(lab):
    """The flows the table is sized for: half its ways (BPF/include/usher/abi.h, usher_ct_set)."""
    shown = subprocess.run(["bpftool", "--json", "map", "show", "pinned", f"{lab.facts['pin_dir']}/usher_ct_v3"],
                           capture_output=True, text=True, timeout=30)
    assert shown.returncode == 0, f"bpftool cannot read the flow table: {shown.stderr}"
    return json.loads(shown.stdout)["max_entries"] // 2


def test_a_syn_flood_larger_than_the_flow_table_leaves_every_connection_on_its_real(balanced_lab):
    lab = balanced_lab
    service = lab.service(SERVICE)
    vip, real3 = service["vip"], lab.real_address("real3")
    lab.usher("real", "disable", SERVICE, real3)

    # 1. HELD connections open and idle, on real1 and real2.
    pause = Path(lab.facts["dir"], "flood-hold")
    first_port = lab.source_ports(HELD)
    holder = subprocess.Popen(
        ["nsenter", f"--net=/run/netns/{lab.name}-client", "--", PYTHON, str(CLIENT_TOOL), "hold", vip,
         "--connections", str(HELD), "--source-port", str(first_port), "--deadline", "150",
         "--pause-file", str(pause)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert wait_until(lambda: Path(f"{pause}.open").exists() or holder.poll() is not None, 30), (
            "the connections did not open within 30 s")
        assert holder.poll() is None, f"the client ended early: {holder.communicate()}"
        assert json.loads(Path(f"{pause}.open").read_text())["established"] == HELD
        held_ports = set(range(first_port, first_port + HELD))
        # Each connection's ACK made its entry (its SYN made none).
        assert wait_until(lambda: len(tracked(lab, held_ports)) == HELD, 5), (
            f"{len(tracked(lab, held_ports))} of {HELD} connections are tracked")
        before = tracked(lab, held_ports)
        assert real3 not in before.values(), before

        # 2. real3 back in rotation: Maglev's table changes, the entries keep the connections.
        lab.usher("real", "enable", SERVICE, real3)
        fresh = lab.get(vip, 60)
        assert fresh["ok"] == 60 and fresh["by_body"].get("real3", 0) > 0, f"real3 takes no new flows: {fresh}"

        # 3. The flood: more distinct spoofed sources than the table has entries.
        capacity = flow_table_capacity(lab)
        # Twice as many: the balancer's veth drops what its ring cannot take at the sender's rate
        # (a tenth to a third here), and at least `capacity` must reach the program.
        count = 2 * capacity
        lab.run("router", "ip", "route", "add", "blackhole", SPOOFED)
        new_before = lab.stats()["global"].get("ct_new", {}).get("packets", 0)
        router = lab.facts["hosts"]["router"]["interfaces"]["br0"]["mac"]
        balancer = lab.facts["hosts"]["lb"]["interfaces"]["eth0"]["mac"]
        flood = lab.run("router", PYTHON, FLOOD_TOOL, "--interface", "br0", "--src-mac", router, "--dst-mac", balancer,
                        "--vip", vip, "--port", service["port"], "--sources", SPOOFED, "--count", count,
                        "--deadline", 120, timeout=180)
        sent = json.loads(flood.stdout)
        assert sent["sent"] == count, sent
        # Every SYN reached the program (each is a new flow to Maglev) and none made an entry.
        assert wait_until(lambda: lab.stats()["global"]["ct_new"]["packets"] - new_before >= capacity, 10), (
            f"only {lab.stats()['global']['ct_new']['packets'] - new_before} of {count} SYNs reached the balancer, "
            f"fewer than the table's {capacity} entries (flood: {sent})")
        total = lab.flows()["total"]
        assert total < HELD + 1000, f"{total} flows tracked after the flood: the SYNs made entries"
        assert tracked(lab, held_ports) == before, "connections lost their entry or changed real in the flood"

        # 4. Every connection still answers, from the real it was on.
        pause.touch()
        out, err = holder.communicate(timeout=60)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.communicate()
    result = json.loads(out)
    assert result["ok"] == HELD, f"{result['failed']} of {HELD} connections broke in the flood: {result} {err}"
    assert "real3" not in result["by_body"], result


def tracked(lab, ports):
    """The real of each tracked flow whose client port is in `ports`: {port: real address}."""
    flows = lab.flows("--client", lab.client_address)["flows"]
    return {f["client_port"]: f["real"] for f in flows if f["client_port"] in ports}
