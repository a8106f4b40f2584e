import CUsherABI
import UsherCore

/// The NAT parts of planning an apply: SNAT pool ids and entries, the address filter, and the
/// NAT knobs of the global entry.
extension ApplyPlanner {
    /// Gives each pool used by a nat service an id, stable across applies: the id the previous
    /// apply gave its name (its content may have changed), else a live entry with the same
    /// content, else the lowest id no live pool holds. Plans the writes of new or changed pools
    /// and the removal of the others. Returns the ids by pool name.
    func planSNATPools(into plan: inout ApplyPlan) throws -> [String: UInt32] {
        var wanted: [SNATPool] = []
        for service in config.services where service.mode == .nat {
            guard let name = service.snatPool, let pool = config.snatPool(named: name) else { continue }
            if !wanted.contains(where: { $0.name == name }) { wanted.append(pool) }
        }
        var ids: [String: UInt32] = [:]
        var assigned = Set<UInt32>()
        let values = Dictionary(uniqueKeysWithValues: wanted.map { ($0.name, $0.abiPool) })
        for pool in wanted {
            if let id = previous?.snatPools.first(where: { $0.name == pool.name })?.id,
               id < UInt32(USHER_MAX_SNAT_POOLS), !assigned.contains(id) {
                ids[pool.name] = id
                assigned.insert(id)
            }
        }
        for pool in wanted where ids[pool.name] == nil {
            guard let value = values[pool.name],
                  let id = live.snatPools.keys.sorted().first(where: { !assigned.contains($0) && sameBytes(live.snatPools[$0]!, value) })
            else { continue }
            ids[pool.name] = id
            assigned.insert(id)
        }
        var allocator = IDAllocator(taken: assigned.union(live.snatPools.keys), limit: UInt32(USHER_MAX_SNAT_POOLS), what: "SNAT pool")
        for pool in wanted where ids[pool.name] == nil {
            let id = try allocator.next()
            ids[pool.name] = id
            assigned.insert(id)
        }
        for pool in wanted {
            guard let id = ids[pool.name], let value = values[pool.name] else { continue }
            if live.snatPools[id].map({ !sameBytes($0, value) }) ?? true { plan.snatWrites.append(.init(id: id, value: value)) }
            plan.state.snatPools.append(.init(name: pool.name, id: id))
        }
        plan.snatDeletes = live.snatPools.keys.filter { !assigned.contains($0) }.sorted()
        return ids
    }

    /// The address filter's set-before and clear-after writes.
    func planAddressFilter(into plan: inout ApplyPlan) {
        let (sets, clears) = AddressFilter(config).changes(from: live.addressSlots)
        plan.addressSets = sets
        plan.addressClears = clears
    }

    /// The global entry: encapsulation sources, the possible CPUs, NAT timeouts, and
    /// USHER_GLOBAL_F_NAT while a nat or gateway service exists. When it changes, a merged value
    /// goes in before the tables (new knobs, the union of flags, old sources kept where the new
    /// config has none) and the exact one after the removals.
    func planGlobal(into plan: inout ApplyPlan) {
        var global = config.encapsulation.abiGlobal
        global.nr_cpus = nrCPUs
        global.nat_tcp_idle_s = config.nat.tcpIdleSeconds
        global.nat_tcp_closed_s = config.nat.tcpClosedSeconds
        global.nat_udp_idle_s = config.nat.udpIdleSeconds
        if config.services.contains(where: \.mode.isNAT) { global.flags |= UInt32(USHER_GLOBAL_F_NAT) }
        guard !sameBytes(global, live.global) else { return }
        var merged = global
        merged.flags |= live.global.flags
        if getBytes(global.encap_src4) == [0, 0, 0, 0] {
            merged.encap_src4 = live.global.encap_src4
            merged.encap_src4_hostmask = live.global.encap_src4_hostmask
        }
        if getBytes(global.encap_src6).allSatisfy({ $0 == 0 }) {
            merged.encap_src6 = live.global.encap_src6
            merged.encap_src6_hostmask = live.global.encap_src6_hostmask
        }
        if !sameBytes(merged, live.global) { plan.globalBefore = merged }
        if !sameBytes(merged, global) { plan.global = global }
    }

    /// What the data plane cannot represent in a nat or gateway service.
    func checkNAT(_ service: VirtualService) throws {
        func refuse(_ message: String) -> BPFError { BPFError(call: "apply", subject: "service \(service.name)", message: message) }
        if let real = service.reals.first(where: { $0.address.isV4 != service.vip.isV4 }) {
            throw refuse("real \(real.address) is \(real.address.familyName) but the VIP is \(service.vip.familyName); " +
                "\(service.mode.rawValue) translates within the VIP's family")
        }
        guard service.mode == .nat else { return }
        guard let name = service.snatPool else {
            throw refuse("mode nat needs a snat-pool: the source addresses the real servers see")
        }
        guard let pool = config.snatPool(named: name) else {
            throw refuse("snat-pool \(name) is not defined; add it under snat-pools:")
        }
        guard !pool.addresses.isEmpty, pool.addresses.count <= Int(USHER_SNAT_MAX_ADDRS) else {
            throw refuse("snat-pool \(name) has \(pool.addresses.count) addresses; give 1 to \(USHER_SNAT_MAX_ADDRS)")
        }
        if let other = pool.addresses.first(where: { $0.isV4 != service.vip.isV4 }) {
            throw refuse("snat-pool \(name) address \(other) is \(other.familyName) but the VIP is \(service.vip.familyName)")
        }
        guard pool.ports.lower >= 1, pool.ports.count >= Int(nrCPUs) else {
            throw refuse("snat-pool \(name) ports \(pool.ports) give fewer than one port to each of the \(nrCPUs) CPUs; " +
                "widen the range (at least \(nrCPUs) ports, from 1)")
        }
    }
}

extension SNATPool {
    /// The value of usher_snat_v1 for this pool.
    var abiPool: usher_snat_pool {
        var value = zeroed(usher_snat_pool.self)
        setBytes(&value.addrs, addresses.prefix(Int(USHER_SNAT_MAX_ADDRS)).flatMap(\.paddedBytes))
        value.count = UInt8(min(addresses.count, Int(USHER_SNAT_MAX_ADDRS)))
        value.family = addresses.first?.familyCode ?? 0
        value.port_min = ports.lower
        value.port_max = ports.upper
        return value
    }
}
