"""Config scenarios the fixtures apply with `usher apply -f`. Every real has an explicit MAC
(no neighbour resolution; the program answers XDP_TX), and no scenario lists `interfaces:`,
so nothing is ever attached anywhere: packets only reach the program through test_run.

A scenario is a plain dict shaped like the config file; to_yaml() writes it out.
Each service of BASE has its own reals, so per-real counters are never shared.
"""

ENCAP_HASHED = {"source-v4": "198.51.100.64/26", "source-v6": "2001:db8:2::/112"}
ENCAP_FIXED = {"source-v4": "198.51.100.64/32", "source-v6": "2001:db8:2::1/128"}
ENCAP_WIDE = {"source-v4": "198.51.100.0/24", "source-v6": "2001:db8:2::/64"}


def real(address, mac, weight=None):
    entry = {"address": address, "mac": mac}
    if weight is not None:
        entry["weight"] = weight
    return entry


def service(name, vip, port, proto, mode, reals, table_size=None, hash_mode=None):
    entry = {"name": name, "vip": vip, "port": port, "protocol": proto, "mode": mode, "reals": reals}
    if table_size is not None:
        entry["maglev-table-size"] = table_size
    if hash_mode is not None:
        entry["hash"] = hash_mode
    return entry


# name -> (address, MAC) of the one real of each BASE service
REALS = {
    "l2-tcp4": ("198.51.100.11", "02:00:00:00:00:11"),
    "l2-udp4": ("198.51.100.12", "02:00:00:00:00:12"),
    "l2-tcp6": ("2001:db8:1::13", "02:00:00:00:00:13"),
    "l2-udp6": ("2001:db8:1::14", "02:00:00:00:00:14"),
    "ipip-tcp4": ("198.51.100.21", "02:00:00:00:00:21"),
    "ipip-udp4": ("198.51.100.22", "02:00:00:00:00:22"),
    "ipip-tcp6": ("2001:db8:1::23", "02:00:00:00:00:23"),
    "ipip-udp6": ("2001:db8:1::24", "02:00:00:00:00:24"),
    "any-port": ("198.51.100.31", "02:00:00:00:00:31"),
    "exact-443": ("198.51.100.32", "02:00:00:00:00:32"),
    "http": ("198.51.100.41", "02:00:00:00:00:41"),
    "drained": ("198.51.100.52", "02:00:00:00:00:52"),
}

VIP_L2_4 = "203.0.113.10"
VIP_L2_6 = "2001:db8:f::10"
VIP_IPIP_4 = "203.0.113.20"
VIP_IPIP_6 = "2001:db8:f::20"
VIP_ANY = "203.0.113.30"
VIP_HTTP = "203.0.113.40"
VIP_EMPTY = "203.0.113.50"
VIP_DRAINED = "203.0.113.51"
NOT_A_VIP4 = "203.0.113.99"
NOT_A_VIP6 = "2001:db8:f::99"


def _one(name, vip, port, proto, mode):
    return service(name, vip, port, proto, mode, [real(*REALS[name])])


def _base(encapsulation):
    return {
        "encapsulation": encapsulation,
        "services": [
            _one("l2-tcp4", VIP_L2_4, 80, "tcp", "dsr-l2"),
            _one("l2-udp4", VIP_L2_4, 53, "udp", "dsr-l2"),
            _one("l2-tcp6", VIP_L2_6, 80, "tcp", "dsr-l2"),
            _one("l2-udp6", VIP_L2_6, 53, "udp", "dsr-l2"),
            _one("ipip-tcp4", VIP_IPIP_4, 80, "tcp", "dsr-ipip"),
            _one("ipip-udp4", VIP_IPIP_4, 53, "udp", "dsr-ipip"),
            _one("ipip-tcp6", VIP_IPIP_6, 80, "tcp", "dsr-ipip"),
            _one("ipip-udp6", VIP_IPIP_6, 53, "udp", "dsr-ipip"),
            _one("any-port", VIP_ANY, "*", "tcp", "dsr-l2"),
            _one("exact-443", VIP_ANY, 443, "tcp", "dsr-l2"),
            # An L7 service: the XDP program only passes it up to the host (and its proxy).
            {"name": "http", "vip": VIP_HTTP, "port": 80, "protocol": "tcp", "mode": "http",
             "pools": [{"name": "app", "reals": [{"address": REALS["http"][0], "port": 8080}]}],
             "default-pool": "app"},
            service("empty", VIP_EMPTY, 80, "tcp", "dsr-l2", []),
            service("drained", VIP_DRAINED, 80, "tcp", "dsr-l2",
                    [real(*REALS["drained"], weight=0)]),
        ],
    }


# ---- nat and gateway (nat.md) ----------------------------------------------------------
# name -> (address, MAC, port at the real or None: the client's port) of the one real of each
# NAT service; gw-twin shares gw-tcp4's real so that both services map a client to one reply
# tuple.
NAT_REALS = {
    "nat-tcp4": ("198.51.100.71", "02:00:00:00:00:71", 8080),
    "nat-udp4": ("198.51.100.72", "02:00:00:00:00:72", None),
    "nat-tcp6": ("2001:db8:1::71", "02:00:00:00:01:71", 8080),
    "nat-udp6": ("2001:db8:1::72", "02:00:00:00:01:72", None),
    "gw-tcp4": ("198.51.100.81", "02:00:00:00:00:81", 8080),
    "gw-udp4": ("198.51.100.82", "02:00:00:00:00:82", None),
    "gw-tcp6": ("2001:db8:1::81", "02:00:00:00:01:81", 8080),
    "gw-udp6": ("2001:db8:1::82", "02:00:00:00:01:82", None),
    "nat-any": ("198.51.100.91", "02:00:00:00:00:91", None),
    "gw-any": ("198.51.100.92", "02:00:00:00:00:92", None),
    "gw-twin": ("198.51.100.81", "02:00:00:00:00:81", 8080),
}
VIP_NAT4 = "203.0.113.70"
VIP_NAT6 = "2001:db8:f::70"
VIP_GW4 = "203.0.113.80"
VIP_GW6 = "2001:db8:f::80"
VIP_GW_TWIN = "203.0.113.81"
VIP_NAT_ANY = "203.0.113.90"
VIP_GW_ANY = "203.0.113.91"
VIP_NAT_EMPTY = "203.0.113.71"
SNAT4 = ["198.51.100.3", "198.51.100.4"]
SNAT6 = ["2001:db8:1::3", "2001:db8:1::4"]


def nat_real(address, mac, port=None, weight=None):
    entry = real(address, mac, weight)
    if port is not None:
        entry["port"] = port
    return entry


def nat_service(name, vip, port, proto, mode, reals, pool=None, table_size=None):
    entry = service(name, vip, port, proto, mode, reals, table_size=table_size)
    if pool is not None:
        entry["snat-pool"] = pool
    return entry


def snat_pool(name, addresses, ports=None):
    entry = {"name": name, "addresses": list(addresses)}
    if ports is not None:
        entry["ports"] = f"{ports[0]}-{ports[1]}"
    return entry


def _nat_one(name, vip, port, proto):
    address, mac, real_port = NAT_REALS[name]
    mode = "nat" if name.startswith("nat") else "gateway"
    pool = None if mode == "gateway" else ("snat6" if ":" in vip else "snat4")
    return nat_service(name, vip, port, proto, mode, [nat_real(address, mac, real_port)], pool)


def _nat():
    return {
        "snat-pools": [snat_pool("snat4", SNAT4), snat_pool("snat6", SNAT6)],
        "services": [
            _nat_one("nat-tcp4", VIP_NAT4, 80, "tcp"),
            _nat_one("nat-udp4", VIP_NAT4, 53, "udp"),
            _nat_one("nat-tcp6", VIP_NAT6, 80, "tcp"),
            _nat_one("nat-udp6", VIP_NAT6, 53, "udp"),
            _nat_one("gw-tcp4", VIP_GW4, 80, "tcp"),
            _nat_one("gw-udp4", VIP_GW4, 53, "udp"),
            _nat_one("gw-tcp6", VIP_GW6, 80, "tcp"),
            _nat_one("gw-udp6", VIP_GW6, 53, "udp"),
            _nat_one("nat-any", VIP_NAT_ANY, "*", "tcp"),
            _nat_one("gw-any", VIP_GW_ANY, "*", "udp"),
            _nat_one("gw-twin", VIP_GW_TWIN, 80, "tcp"),
            nat_service("nat-empty", VIP_NAT_EMPTY, 80, "tcp", "nat", [], "snat4"),
        ],
    }


SCENARIOS = {
    # One real per service, IP-in-IP sources with host bits from the hash.
    "base": _base(ENCAP_HASHED),
    # The same services, IP-in-IP sources fixed (/32, /128).
    "fixed-source": _base(ENCAP_FIXED),
    # Wide prefixes: 8 host bits for IPv4; for IPv6 /64 the hash fills all of the last 32 bits.
    "wide-source": _base(ENCAP_WIDE),
    # nat and gateway services of both families and protocols, one real each, two SNAT pools.
    "nat": _nat(),
}


def _scalar(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _emit(value, indent, lines):
    pad = "  " * indent
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{pad}{key}:")
                _emit(item, indent + 1, lines)
            else:
                lines.append(f"{pad}{key}: {'[]' if item == [] else '{}' if item == {} else _scalar(item)}")
    else:
        for item in value:
            if isinstance(item, dict):
                sub = []
                _emit(item, indent + 1, sub)
                sub[0] = pad + "- " + sub[0].lstrip()
                lines.extend(sub)
            else:
                lines.append(f"{pad}- {_scalar(item)}")


def to_yaml(config):
    """The scenario as a config file (block style YAML, every string quoted)."""
    lines = []
    _emit(config, 0, lines)
    return "\n".join(lines) + "\n"
