extension BalancerConfig {
    /// Every address the active balancer of a pair holds: each VIP (as a host prefix), each
    /// SNAT pool's address (the real servers answer nat flows to it), and `ha.addresses`; each
    /// once, in that order.
    public var haAddresses: [IPPrefix] {
        var out: [IPPrefix] = []
        var seen = Set<IPAddress>()
        func add(_ prefix: IPPrefix?) {
            guard let prefix, seen.insert(prefix.address).inserted else { return }
            out.append(prefix)
        }
        for service in services { add(IPPrefix(address: service.vip, length: service.vip.bytes.count * 8)) }
        for pool in snatPools { for address in pool.addresses { add(IPPrefix(address: address, length: address.bytes.count * 8)) } }
        for prefix in ha?.addresses ?? [] { add(prefix) }
        return out
    }
}
