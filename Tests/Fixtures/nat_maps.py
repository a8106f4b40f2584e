"""Reads the NAT flow tables as the program sees them (bpftool with BTF, on the pinned maps):
usher_natrev_v2 (a reply tuple per claimed SNAT port) and usher_nat_v2 (a client tuple per
flow). The fixtures use them to show what a packet did or did not write."""

import ipaddress

PROTO_NAMES = {6: "tcp", 17: "udp"}


def _address(raw_bytes, family):
    data = bytes(raw_bytes)
    return str(ipaddress.ip_address(data[:4] if family == 4 else data))


def _port(value):
    """A network-order __u16 as bpftool prints it (the memory read as a host-order integer)."""
    return int.from_bytes(int(value).to_bytes(2, "little"), "big")


def tuple_of(key):
    """(src, sport, dst, dport, proto) of a struct usher_flow_key as bpftool formats it."""
    family = key["family"]
    return (_address(key["src"], family), _port(key["sport"]), _address(key["dst"], family),
            _port(key["dport"]), PROTO_NAMES.get(key["proto"], key["proto"]))


def reply_tuples(usher):
    """{(real, real_port, snat address, snat port, proto): client tuple} of usher_natrev_v2."""
    out = {}
    for entry in usher.read_map("usher_natrev_v2"):
        real, real_port, snat, snat_port, proto = tuple_of(entry["key"])
        out[(real, real_port, snat, snat_port, proto)] = tuple_of(entry["value"]["client"])
    return out


def client_tuples(usher):
    """{client tuple (client, port, vip, port, proto): (snat address, snat port)} of usher_nat_v2."""
    out = {}
    for entry in usher.read_map("usher_nat_v2"):
        key = tuple_of(entry["key"])
        value = entry["value"]
        family = entry["key"]["family"]
        out[key] = (_address(value["snat_addr"], family), _port(value["snat_port"]))
    return out
