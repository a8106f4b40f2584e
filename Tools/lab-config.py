#!/usr/bin/python3
"""Writes a lab's usher config (usher.yaml) and its facts (facts.json) for Tools/lab.

    lab-config.py --name NAME --dir DIR config   writes DIR/usher.yaml
    lab-config.py --name NAME --dir DIR facts    writes DIR/facts.json (after the lab is built:
                                                 reads the pids of DIR/*.pid and DIR/usher-bin)
    --ha (before config/facts): a pair of balancers, lb and lb2: the config gets `ha:` and UDP
    services in the DSR modes (a packet every 10 ms measures a failover's gap), the facts lb2.

The addressing plan here and the network Tools/lab builds are the same plan written twice;
Tests/EndToEnd/test_lab.py checks every interface of the facts against the namespaces.
"""
import argparse
import json
import os

SERVER_MTU = 1600  # room for an IP-in-IP header on the server segment; the client side stays 1500
FAR_MTU = 1280     # the link from router2 to real4: path MTU discovery through the balancer

SNAT = {4: "198.51.100.3", 6: "2001:db8:2::3"}
POOLS = {4: "lb-snat", 6: "lb-snat-v6"}
L7_VIP = {4: "203.0.113.14", 6: "2001:db8:100::14"}
API_LISTEN = "198.51.100.2:9443"  # the daemon's API, /metrics and status page over TLS, on the lb
# A pair (--ha): lb2's address (.5) and the reals' gateway (.6), which follows the active balancer.
LB2 = {4: "198.51.100.5", 6: "2001:db8:2::5"}
PAIR_GATEWAY = {4: "198.51.100.6", 6: "2001:db8:2::6"}
HA_ROUTER_ID = 51
TCP_PORTS = [80, 8080]
UDP_PORTS = [9000, 9001]


def mac(segment, host):
    """02:00:00:SS:HH:HH, SS = segment (1 client side, 2 server side, 3 bridge ports, 4 far side)."""
    return f"02:00:00:{segment:02x}:{host >> 8:02x}:{host & 0xff:02x}"


def real_mac(i):
    return mac(2, 0x10 + i)


REALS = [{"name": f"real{i}", "ipv4": f"198.51.100.1{i}", "ipv6": f"2001:db8:2::1{i}", "mac": real_mac(i)}
         for i in (1, 2, 3)]
# Behind router2: the balancer reaches it through router2's MAC (its next hop).
REAL4 = {"name": "real4", "ipv4": "198.51.100.140", "ipv6": "2001:db8:3::14", "mac": mac(2, 4),
         "behind": "router2"}


def service(name, vip, mode, family, port=80, protocol="tcp", real_port=None, reals=REALS):
    entry = {"name": name, "vip": vip, "port": port, "protocol": protocol, "mode": mode, "family": family,
             "reals": [r["name"] for r in reals], "real_port": real_port or port}
    if mode == "nat":
        entry["snat_pool"] = POOLS[family]
        entry["snat"] = SNAT[family]
    return entry, reals


def services(pair=False):
    """Every service of the lab, with the reals (dicts) each one balances over."""
    plan = []
    if pair:
        for family, v in ((4, "203.0.113."), (6, "2001:db8:100::")):
            suffix = "" if family == 4 else "-v6"
            plan += [service(f"udp-l2{suffix}", f"{v}10", "dsr-l2", family, port=9000, protocol="udp"),
                     service(f"udp-ipip{suffix}", f"{v}11", "dsr-ipip", family, port=9000, protocol="udp")]
    for family, v in ((4, "203.0.113."), (6, "2001:db8:100::")):
        suffix = "" if family == 4 else "-v6"
        plan += [
            service(f"web-l2{suffix}", f"{v}10", "dsr-l2", family),
            service(f"web-ipip{suffix}", f"{v}11", "dsr-ipip", family),
            service(f"web-nat{suffix}", f"{v}12", "nat", family, real_port=8080),
            service(f"udp-nat{suffix}", f"{v}12", "nat", family, port=9000, protocol="udp", real_port=9001),
            service(f"web-gw{suffix}", f"{v}13", "gateway", family),
            service(f"udp-gw{suffix}", f"{v}13", "gateway", family, port=9000, protocol="udp"),
            service(f"web-pmtu{suffix}", f"{v}15", "nat", family, real_port=8080, reals=[REAL4]),
        ]
    # real3 as a sorry server: it takes new flows only while real1 and real2 are both down.
    plan.append(service("web-sorry", "203.0.113.12", "nat", 4, port=8080, real_port=8080,
                        reals=REALS[:2] + [dict(REALS[2], backup=True)]))
    plan.append(service("web-l7", L7_VIP[4], "http", 4))
    plan.append(service("web-l7s", L7_VIP[4], "https", 4, port=443))
    return plan


def ha_fields():
    """The pair's VRRP settings: the same file on both balancers (each leaves itself out of peers)."""
    return ["ha:", "  interface: eth0", f"  virtual-router-id: {HA_ROUTER_ID}",
            f"  peers: [198.51.100.2, {LB2[4]}]", "  advert-interval: 100ms",
            f"  addresses: [{PAIR_GATEWAY[4]}/25, {PAIR_GATEWAY[6]}/64]"]


def sync_fields(directory):
    """The pair's flow-state sync (`sync:`), for nat and gateway flows to survive a failover: one
    file for both balancers, so `peers:` lists both and each daemon finds its own address."""
    return ["sync:", f"  peers: [198.51.100.2, {LB2[4]}]", f"  key-file: {directory}/sync.key", "  interval: 250ms"]


def config(name, directory, pair=False):
    lines = [
        f"# The usher config of lab {name}, written by Tools/lab up: the balancer applies it with",
        f"#   Tools/lab usher {name} apply -f {directory}/usher.yaml",
        f"# and the lab's proxy (usher proxy -c, in namespace {name}-lb) serves its http/https services.",
        "interfaces:",
        "  - name: eth0",
        "    xdp-mode: native",
        "encapsulation:",
        "  source-v4: 198.51.100.64/26",
        "  source-v6: 2001:db8:2::1:0/112",
        "snat-pools:",
    ]
    for family in (4, 6):
        lines += [f"  - name: {POOLS[family]}", f"    addresses: [{SNAT[family]}]", "    ports: 1024-65535"]
    if pair:
        lines += ha_fields() + sync_fields(directory)
    else:  # the API over TLS on lb's own address (a pair's two balancers share one file)
        lines += ["api:", f"  listen: {API_LISTEN}", f"  tls-certificate: {directory}/api.pem",
                  f"  tls-key: {directory}/api.key", f"  token-file: {directory}/api.token"]
    lines.append("services:")
    for entry, reals in services(pair):
        lines += [f"  - name: {entry['name']}", f"    vip: {entry['vip']}", f"    port: {entry['port']}",
                  f"    protocol: {entry['protocol']}", f"    mode: {entry['mode']}"]
        if entry["mode"] in ("http", "https"):
            lines += l7_fields(entry, directory)
            continue
        if entry["mode"] == "nat":
            lines.append(f"    snat-pool: {entry['snat_pool']}")
        lines += health_fields(entry)
        lines.append("    reals:")
        for real in reals:
            lines.append(f"      - address: {real['ipv4' if entry['family'] == 4 else 'ipv6']}")
            lines.append(f"        mac: {real['mac']}")
            if entry["mode"] in ("nat", "gateway") and entry["real_port"] != entry["port"]:
                lines.append(f"        port: {entry['real_port']}")
            if real.get("backup"):
                lines.append("        backup: true")
    return "\n".join(lines) + "\n"


# Health checks of the L4 services (run by `usher daemon`; `usher apply` alone checks nothing):
# quick enough for the tests' time bounds (out within fall x interval + timeout + 1 s = 3.5 s).
CHECK_TIMING = "interval: 1s, timeout: 500ms, rise: 2, fall: 2"
SLOW_START = {"web-ipip": "6s"}


def health_fields(entry):
    if entry["protocol"] == "udp":
        check = f"{{ type: udp, send: ping, expect-regex: '\"real\"', {CHECK_TIMING} }}"
        lines = [f"    health-check: {check}", "    on-down: reset"]
    else:
        lines = [f"    health-check: {{ type: http, path: /healthz, expect-status: 200, {CHECK_TIMING} }}"]
    if entry["name"] in SLOW_START:
        lines.append(f"    slow-start: {SLOW_START[entry['name']]}")
    return lines


def l7_fields(entry, directory):
    lines = []
    if entry["mode"] == "https":
        lines += ["    tls:", "      certificates:",
                  f"        - cert: {directory}/l7.pem", f"          key: {directory}/l7.key"]
    lines += [f"    access-log: {directory}/proxy-access.log",
              "    pools:", "      - name: reals", "        scheduler: round-robin",
              "        health-check: { type: http, path: /healthz, expect-status: 200, interval: 2s, "
              "timeout: 1s, rise: 1, fall: 2 }",
              "        reals:"]
    for real in REALS:
        lines += [f"          - address: {real['ipv4']}", "            port: 80"]
    lines.append("    default-pool: reals")
    return lines


def pid(directory, what):
    try:
        return int(open(f"{directory}/{what}.pid").read())
    except (OSError, ValueError):
        return None


def iface(mac_address, mtu, peer=None, **extra):
    entry = {"mac": mac_address, "mtu": mtu, **extra}
    if peer:
        entry["peer"] = peer
    return entry


def facts(name, directory, pair=False):
    ns = lambda host: f"{name}-{host}"
    usher = open(f"{directory}/usher-bin").read().strip() if os.path.exists(f"{directory}/usher-bin") else ""
    proxy = pid(directory, "proxy")
    hosts = {
        "client": {"netns": ns("client"), "interfaces": {
            "eth0": iface(mac(1, 0x10), 1500, "cl0", ipv4="192.0.2.10/24", ipv6="2001:db8:1::10/64")},
            "gateway4": "192.0.2.1", "gateway6": "2001:db8:1::1"},
        "router": {"netns": ns("router"), "interfaces": {
            "cl0": iface(mac(1, 1), 1500, "eth0", ipv4="192.0.2.1/24", ipv6="2001:db8:1::1/64"),
            "br0": iface(mac(2, 1), SERVER_MTU, ipv4="198.51.100.1/25", ipv6="2001:db8:2::1/64",
                         ports=["lb0", "r1", "r2", "r3", "rt2"]),
            "lb0": iface(mac(3, 2), SERVER_MTU, "eth0", xdp="pass"),
            **{f"r{i}": iface(mac(3, 0x10 + i), SERVER_MTU, "eth0") for i in (1, 2, 3)},
            "rt2": iface(mac(3, 4), SERVER_MTU, "eth0")},
            "routes": {"203.0.113.0/24": "198.51.100.2", "2001:db8:100::/64": "2001:db8:2::2",
                       "198.51.100.128/25": "198.51.100.4", "2001:db8:3::/64": "2001:db8:2::4"}},
        "lb": {"netns": ns("lb"), "interfaces": {
            "eth0": iface(mac(2, 2), SERVER_MTU, "lb0", ipv4="198.51.100.2/25", ipv6="2001:db8:2::2/64",
                          snat4=SNAT[4], snat6=SNAT[6])},
            "loopback": [L7_VIP[4], L7_VIP[6]],
            "gateway4": "198.51.100.1", "gateway6": "2001:db8:2::1", "forwarding": True,
            "proxy": {"pid": proxy, "log": f"{directory}/proxy.out", "access_log": f"{directory}/proxy-access.log",
                      "cert": f"{directory}/l7.pem"} if proxy else None},
        "router2": {"netns": ns("router2"), "interfaces": {
            "eth0": iface(mac(2, 4), SERVER_MTU, "rt2", ipv4="198.51.100.4/25", ipv6="2001:db8:2::4/64"),
            "r4": iface(mac(4, 1), FAR_MTU, "eth0", ipv4="198.51.100.129/25", ipv6="2001:db8:3::1/64")},
            "gateway4": "198.51.100.1", "gateway6": "2001:db8:2::1"},
    }
    for i, real in enumerate(REALS, start=1):
        hosts[real["name"]] = {"netns": ns(real["name"]), "interfaces": {
            "eth0": iface(real["mac"], SERVER_MTU, f"r{i}", ipv4=f"{real['ipv4']}/25", ipv6=f"{real['ipv6']}/64")},
            "gateway4": "198.51.100.1", "gateway6": "2001:db8:2::1",
            "policy_routing": {"from": [real["ipv4"], real["ipv6"]], "table": 100,
                               "gateway4": "198.51.100.2", "gateway6": "2001:db8:2::2"},
            "log": f"{directory}/{real['name']}.log", "pid": pid(directory, real["name"])}
    hosts["real4"] = {"netns": ns("real4"), "interfaces": {
        "eth0": iface(mac(4, 0x14), FAR_MTU, "r4", ipv4=f"{REAL4['ipv4']}/25", ipv6=f"{REAL4['ipv6']}/64")},
        "gateway4": "198.51.100.129", "gateway6": "2001:db8:3::1", "advmss4": 1460, "advmss6": 1440,
        "log": f"{directory}/real4.log", "pid": pid(directory, "real4")}
    if pair:
        pair_facts(name, directory, hosts)
    return {
        "name": name, "dir": directory, "config": f"{directory}/usher.yaml", "pair": pair,
        "pin_dir": f"/sys/fs/bpf/usher-{name}", "state_dir": f"{directory}/state", "usher": usher,
        "hosts": hosts,
        "reals": [{k: v for k, v in r.items() if k != "behind"} for r in REALS] +
                 [{k: v for k, v in REAL4.items()}],
        "snat": {"ipv4": SNAT[4], "ipv6": SNAT[6], "pools": {POOLS[4]: SNAT[4], POOLS[6]: SNAT[6]}},
        "http_ports": TCP_PORTS, "udp_ports": UDP_PORTS,
        "services": [entry for entry, _ in services(pair)],
        "ha": {"balancers": ["lb", "lb2"], "virtual_router_id": HA_ROUTER_ID, "peers": ["198.51.100.2", LB2[4]],
               "gateway4": PAIR_GATEWAY[4], "gateway6": PAIR_GATEWAY[6], "sync": True} if pair else None,
        "api": {"url": f"https://{API_LISTEN}/", "socket": f"{directory}/state/api.sock",
                "token_file": f"{directory}/api.token", "cert": f"{directory}/api.pem"},
    }


def pair_facts(name, directory, hosts):
    """What a pair changes: lb2, the router's on-link VIP range, the addresses that follow the
    active balancer, the reals' gateway."""
    hosts["router"]["interfaces"]["lb2p"] = iface(mac(3, 5), SERVER_MTU, "eth0", xdp="pass")
    hosts["router"]["interfaces"]["br0"]["ports"].append("lb2p")
    hosts["router"]["routes"].update({"203.0.113.0/24": "br0", "2001:db8:100::/64": "br0"})
    for host, address4, address6 in (("lb", "198.51.100.2", "2001:db8:2::2"), ("lb2", LB2[4], LB2[6])):
        suffix = "" if host == "lb" else "-lb2"
        hosts[host] = {
            "netns": f"{name}-{host}", "interfaces": {
                "eth0": iface(mac(2, 2 if host == "lb" else 5), SERVER_MTU, "lb0" if host == "lb" else "lb2p",
                              ipv4=f"{address4}/25", ipv6=f"{address6}/64")},
            "gateway4": "198.51.100.1", "gateway6": "2001:db8:2::1", "forwarding": True,
            "pin_dir": f"/sys/fs/bpf/usher-{name}{suffix}", "state_dir": f"{directory}/state{suffix}",
            "daemon": {"pid": pid(directory, f"daemon{suffix}"), "log": f"{directory}/daemon{suffix}.out"}}
    for real in REALS:
        hosts[real["name"]]["policy_routing"].update(gateway4=PAIR_GATEWAY[4], gateway6=PAIR_GATEWAY[6])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--ha", action="store_true", help="a pair of balancers, lb and lb2")
    parser.add_argument("what", choices=["config", "facts"])
    args = parser.parse_args()
    if args.what == "config":
        text, path = config(args.name, args.dir, args.ha), f"{args.dir}/usher.yaml"
    else:
        text, path = json.dumps(facts(args.name, args.dir, args.ha), indent=2) + "\n", f"{args.dir}/facts.json"
    with open(path + ".tmp", "w") as file:
        file.write(text)
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    main()
