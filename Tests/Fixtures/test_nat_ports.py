"""SNAT port allocation over hundreds of flows (nat.md): every flow's source address and port
is the one nat_model predicts for its CPU (first free candidate of its 5-tuple hash, linear
probing past ports other flows hold), no two flows of a real share an (address, port), each
CPU only uses its own share of the ports, and the pool's addresses are all used.

Both CPUs run at once (one thread each, every run pinned with taskset): the shares are what
keeps them from colliding, so running them together is part of what is tested.
"""

import threading

from scapy.layers.inet import IP, TCP

import checks
import nat_checks
import nat_maps
import nat_model as M
import nat_packets as N
import packets as P
import scenarios as S
from maglev_dump import maglev_table
from nat_flow import NatFlow

VIP = "203.0.113.100"
SERVICE = f"{VIP}:80/tcp"
POOL = ["198.51.100.5", "198.51.100.6", "198.51.100.7"]
PORTS = (40000, 40119)  # with 2 CPUs: 60 ports each on each of 3 addresses, a third held per real
REALS = {"198.51.100.101": "02:00:00:00:01:01", "198.51.100.102": "02:00:00:00:01:02"}
FLOWS_PER_CPU = 120
TABLE = 251


def config():
    return {"snat-pools": [S.snat_pool("many", POOL, PORTS)],
            "services": [S.nat_service("ports", VIP, 80, "tcp", "nat",
                                       [S.nat_real(a, m, 8080) for a, m in REALS.items()], "many",
                                       table_size=TABLE)]}


def client_of(cpu, index):
    """Clients 192.0.2.10-59, ports from 20000 (CPU 0) and 30000 (CPU 1)."""
    return f"192.0.2.{10 + index % 50}", 20000 + 10000 * cpu + index


def predict(table, cpu, alloc):
    """The flows of one CPU, in the order they are sent, each with its predicted SNAT."""
    size, slots = table
    flows = []
    for index in range(FLOWS_PER_CPU):
        client, sport = client_of(cpu, index)
        l3 = N.client(VIP, P.l4_tcp(sport=sport), src=client)
        real = slots[1 + M.client_hash(client, sport, VIP, 80, "tcp") % size]
        chosen = alloc.claim(client, sport, VIP, 80, "tcp", real, 8080)
        assert chosen is not None, f"model: flow {index} on CPU {cpu} finds no port; shrink the load"
        first = alloc.pool.address_port(alloc.pool.candidates(
            M.client_hash(client, sport, VIP, 80, "tcp"))[0], cpu)
        flow = NatFlow("ports", l3, cpu=cpu, real=(real, REALS[real], 8080), snat=chosen[:2])
        flow.probed = (flow.snat, flow.snat_port) != first
        flows.append(flow)
    return flows


def run_cpu(usher, flows, results):
    for flow in flows:
        results.append((flow, *usher.run_packet(P.frame(flow.l3), cpu=flow.cpu)))


def test_hundreds_of_flows_get_the_predicted_distinct_ports(usher):
    usher.apply_config(config(), "nat-ports")
    usher.flush_flows()
    n = usher.global_settings()["nr_cpus"]  # what the program cuts the shares by
    assert n >= 1, "usher_global_v2.nr_cpus is not set"
    cpus = list(range(min(n, 2)))
    table = maglev_table(usher.maps_dump(), SERVICE)
    pool = M.SnatPool(POOL, *PORTS, nr_cpus=n)
    plan = {cpu: predict(table, cpu, M.SnatAllocator(pool, cpu)) for cpu in cpus}
    assert sum(f.probed for flows in plan.values() for f in flows) > 0, \
        "no flow had to probe past a held port: the test proves less than it should"

    before = usher.current_stats()
    results = {cpu: [] for cpu in cpus}
    threads = [threading.Thread(target=run_cpu, args=(usher, plan[cpu], results[cpu])) for cpu in cpus]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    delta = checks.stats_delta(before, usher.stats())
    total = len(cpus) * FLOWS_PER_CPU

    problems = []
    seen = {}
    for cpu in cpus:
        assert len(results[cpu]) == FLOWS_PER_CPU, f"CPU {cpu} ran {len(results[cpu])} flows"
        for flow, verdict, output in results[cpu]:
            step = flow.forward()
            label = f"CPU {cpu} {flow.client}:{flow.client_port}"
            if verdict != "XDP_TX" or output != step.expected:
                problems.append(f"{label}: {verdict}\n{checks.frame_diff(step.expected, output)}")
                continue
            problems += [f"{label}: {p}" for p in nat_checks.checksum_problems(output)]
            sent = IP(output[14:])
            snat = (sent.src, sent[TCP].sport)
            if (sent[TCP].sport - PORTS[0]) % n != cpu:
                problems.append(f"{label}: port {sent[TCP].sport} is not CPU {cpu}'s")
            if snat in seen.setdefault(sent.dst, {}):
                problems.append(f"{label}: {snat} already used towards {sent.dst} "
                                f"by {seen[sent.dst][snat]}")
            seen[sent.dst][snat] = label
    assert not problems, "\n".join(problems[:5] + [f"({len(problems)} problems)"])

    used = {address for by_real in seen.values() for address, _ in by_real}
    assert used == set(POOL), f"pool addresses used: {sorted(used)}"
    assert len(seen) == len(REALS), "both reals must get flows"
    for key, want in {"global.tx.packets": total, "global.ct_new.packets": total,
                      "global.drop_nat_exhausted.packets": 0, "global.nat_reclaimed.packets": 0,
                      "service.ports.new_flows": total}.items():
        assert delta.get(key, 0) == want, f"{key}: moved by {delta.get(key, 0)}, expected {want}"

    held = nat_maps.reply_tuples(usher)
    predicted = {(f.real, 8080, f.snat, f.snat_port, "tcp"): (f.client, f.client_port, VIP, 80, "tcp")
                 for flows in plan.values() for f in flows}
    assert held == predicted, "usher_natrev_v2 must hold exactly the predicted reply tuples"

    # Replies to a sample (every 25th flow of each CPU, run on the other CPU: a reply's
    # translation does not depend on where it runs) reach their own clients.
    for flow in [f for flows in plan.values() for f in flows[::25]]:
        step = flow.reply()
        verdict, output = usher.run_packet(step.packet, cpu=cpus[-1 - flow.cpu])
        assert verdict == "XDP_TX" and output == step.expected, \
            f"reply to {flow.client}:{flow.client_port}\n{checks.frame_diff(step.expected, output)}"
