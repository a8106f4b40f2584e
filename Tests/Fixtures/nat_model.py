"""The SNAT port choice of nat.md, in Python, so the fixtures predict the source address and port
the XDP program gives a new nat flow (and which flow is refused when a pool is full).

    n = max(nr_cpus, 1), cpu = the CPU the packet runs on, per_cpu = ports // n,
    total = count * per_cpu, h = the 5-tuple flow hash of the client's tuple,
    candidate i = (h + i) % total for i < min(USHER_NAT_PROBES, total),
    address = addrs[candidate // per_cpu], port = port_min + (candidate % per_cpu) * n + cpu.

A candidate is taken when its reply tuple {real, real port, SNAT address, SNAT port, protocol}
is held by a flow that is not stale; the first free (or stale) candidate wins. Gateway flows
have one candidate: the client's own address and port.
"""

import flowhash

USHER_NAT_PROBES = 32  # abi.h
PROTO = {"tcp": 6, "udp": 17}


def possible_cpus(path="/sys/devices/system/cpu/possible"):
    """What libbpf_num_possible_cpus() gives: one more than the highest possible CPU
    ("0-1" -> 2, "0-3,5" -> 6; per-CPU maps are sized the same way)."""
    with open(path, encoding="ascii") as file:
        text = file.read().strip()
    highest = max(int(part.split("-")[-1]) for part in text.split(","))
    return highest + 1


class SnatPool:
    """One usher_snat_pool as the program sees it, with the CPU count it shares ports by."""

    def __init__(self, addresses, port_min=1024, port_max=65535, nr_cpus=1):
        assert addresses and port_min <= port_max
        self.addresses = list(addresses)
        self.port_min, self.port_max = port_min, port_max
        self.n = max(nr_cpus, 1)
        self.per_cpu = (port_max - port_min + 1) // self.n
        self.total = len(self.addresses) * self.per_cpu

    def address_port(self, candidate, cpu):
        """(address, port) of candidate index `candidate` on CPU `cpu`."""
        assert 0 <= candidate < self.total and 0 <= cpu < self.n
        address = self.addresses[candidate // self.per_cpu]
        return address, self.port_min + (candidate % self.per_cpu) * self.n + cpu

    def candidates(self, hash_value):
        """The candidate indices a new flow tries, in order."""
        return [(hash_value + i) % self.total for i in range(min(USHER_NAT_PROBES, self.total))]

    def ports_of_cpu(self, cpu):
        """Every port CPU `cpu` may hand out (on each address)."""
        return {self.port_min + k * self.n + cpu for k in range(self.per_cpu)}


def client_hash(client, client_port, vip, vip_port, proto):
    """The hash nat.md allocates by: the 5-tuple flow hash (flags 0) of the client's tuple,
    whatever the service's hash option."""
    return flowhash.flow_hash(client, vip, client_port, vip_port, PROTO.get(proto, proto))


class SnatAllocator:
    """The reply tuples one CPU holds in one pool, and the choice a new flow makes.

    `held` maps a reply tuple (real, real_port, snat address, snat port, proto) to the client
    tuple holding it. `stale` (a set of client tuples) marks flows the program may reclaim
    (closed or idle past their timeout)."""

    def __init__(self, pool, cpu):
        self.pool, self.cpu = pool, cpu
        self.held = {}
        self.stale = set()

    def choose(self, client, client_port, vip, vip_port, proto, real, real_port):
        """(address, port, reclaimed) for a new flow, or None when every candidate is held by a
        live flow (the flow is dropped: drop_nat_exhausted)."""
        hash_value = client_hash(client, client_port, vip, vip_port, proto)
        me = (client, client_port, vip, vip_port, proto)
        for candidate in self.pool.candidates(hash_value):
            address, port = self.pool.address_port(candidate, self.cpu)
            key = (real, real_port, address, port, proto)
            holder = self.held.get(key)
            if holder is None or holder == me:
                return address, port, False
            if holder in self.stale:
                return address, port, True
        return None

    def claim(self, client, client_port, vip, vip_port, proto, real, real_port):
        """choose(), then record the claim as the program does (a reclaimed tuple's old flow
        is forgotten). Returns what choose() returned."""
        chosen = self.choose(client, client_port, vip, vip_port, proto, real, real_port)
        if chosen is not None:
            address, port, _ = chosen
            key = (real, real_port, address, port, proto)
            old = self.held.get(key)
            if old is not None:
                self.stale.discard(old)
                self.forget(old)
            self.held[key] = (client, client_port, vip, vip_port, proto)
        return chosen

    def forget(self, client_tuple):
        for key in [k for k, v in self.held.items() if v == client_tuple]:
            del self.held[key]
