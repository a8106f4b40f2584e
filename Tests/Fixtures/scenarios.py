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


SCENARIOS = {
    # One real per service, IP-in-IP sources with host bits from the hash.
    "base": _base(ENCAP_HASHED),
    # The same services, IP-in-IP sources fixed (/32, /128).
    "fixed-source": _base(ENCAP_FIXED),
    # Wide prefixes: 8 host bits for IPv4; for IPv6 /64 the hash fills all of the last 32 bits.
    "wide-source": _base(ENCAP_WIDE),
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
