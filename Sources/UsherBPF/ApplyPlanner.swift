import CUsherABI
import UsherCore

/// Phase one of `apply`: resolves every next hop, gives ids, computes and builds every changed
/// Maglev table, and decides what to write and what to remove — without writing any map.
/// Any error thrown here leaves the running tables exactly as they were.
struct ApplyPlanner {
    let config: BalancerConfig
    let previous: DataplaneState?
    let live: LiveTables
    let resolver: NeighborResolving
    /// Possible CPUs (libbpf_num_possible_cpus): each takes its own share of every SNAT pool's ports.
    var nrCPUs: UInt32 = 1
    /// Creates and fills an inner Maglev map (slot 0 = M, then the real ids); returns it and
    /// its kernel map id. Injected so the planning can be tested without a kernel.
    let buildTable: (_ serviceID: UInt32, _ slots: [UInt32]) throws -> (OwnedFD, UInt32)

    func plan() throws -> ApplyPlan {
        var plan = ApplyPlan()
        try checkServices()
        let poolIDs = try planSNATPools(into: &plan)
        planAddressFilter(into: &plan)

        // Services: ids by key, reused; new ones lowest-first among ids no live VIP uses.
        let liveServiceIDs = Set(live.vips.values.map(\.id))
        var serviceAllocator = IDAllocator(taken: liveServiceIDs, limit: UInt32(USHER_MAX_SERVICES), what: "service")
        var serviceIDs: [ServiceKey: UInt32] = [:]
        for service in config.services {
            let reusable = live.vips[service.key].map(\.id).flatMap { $0 < UInt32(USHER_MAX_SERVICES) ? $0 : nil }
            let id = try reusable ?? serviceAllocator.next()
            serviceIDs[service.key] = id
            if !liveServiceIDs.contains(id) { plan.newServiceIDs.append(id) }
        }

        // Reals: one entry per (service, address) membership, so that removing a real from one
        // service reschedules that service's flows only. Next hops are resolved once per address.
        let balanced = config.services.filter(\.mode.isLayer4)
        let explicitMACs = try explicitMACs(of: balanced)
        let addresses = Set(balanced.flatMap { $0.reals.map(\.address) }).sorted()
        var hops: [IPAddress: NextHop] = [:]
        for address in addresses where explicitMACs[address] == nil {
            hops[address] = try nextHop(for: address, warnings: &plan.warnings)
        }
        var services: [UInt32: VirtualService] = [:]
        var members = Set<LiveTables.Membership>()
        var ports: [LiveTables.Membership: UInt16] = [:] // nat/gateway: the port at the real
        for service in balanced {
            guard let serviceID = serviceIDs[service.key] else { continue }
            services[serviceID] = service
            for real in service.reals {
                let member = LiveTables.Membership(serviceID: serviceID, address: real.address)
                members.insert(member)
                if service.mode.isNAT, ports[member] == nil { ports[member] = real.port ?? 0 }
            }
        }
        let memberships = members.sorted()
        var realIDs: [LiveTables.Membership: UInt32] = [:]
        var realAllocator = IDAllocator(taken: Set(live.reals.keys), limit: UInt32(USHER_MAX_REALS), what: "real")
        let liveRealIDs = live.realIDsByMembership()
        for member in memberships {
            realIDs[member] = try liveRealIDs[member] ?? realAllocator.next()
        }
        for member in memberships {
            guard let id = realIDs[member], let service = services[member.serviceID] else { continue }
            let mac = explicitMACs[member.address] ?? hops[member.address]?.mac
            let value = realEntry(member, mac: mac, hop: hops[member.address], port: ports[member] ?? 0)
            plan.next.reals[id] = value
            if let current = live.reals[id], sameBytes(current, value) {
                // unchanged
            } else {
                plan.realWrites.append(.init(id: id, value: value, isNew: live.reals[id] == nil))
            }
            if let mac {
                plan.state.reals.append(.init(service: service.key, serviceID: member.serviceID, address: member.address,
                                              id: id, mac: mac, nextHop: hops[member.address]))
            }
        }

        // Service entries: VIP values and Maglev tables.
        var plannedIDs = Set<UInt32>()
        for service in config.services {
            guard let id = serviceIDs[service.key] else { continue }
            plannedIDs.insert(id)
            var entry = DataplaneState.Service(
                name: service.name, key: service.key, id: id, mode: service.mode,
                hashSourceOnly: service.hashSourceOnly, tableSize: 0, backends: [], tableMapID: nil)
            if service.mode.isLayer4 {
                entry.tableSize = service.maglevTableSize
                entry.backends = backends(of: service, id: id, realIDs: realIDs)
                entry.tableMapID = try table(for: entry, into: &plan)
            } else if live.maglevMapIDs[id] != nil {
                plan.maglevClears.append(id) // turned into an L7 service: its table goes after the VIP entry changes
            }
            let value = service.abiService(id: id, snatPool: service.mode == .nat ? service.snatPool.flatMap { poolIDs[$0] } ?? 0 : 0)
            plan.next.vips.append((service.key.abi, value))
            if live.vips[service.key].map({ !sameBytes($0, value) }) ?? true {
                plan.vipWrites.append(.init(key: service.key.abi, value: value))
            }
            plan.state.services.append(entry)
        }

        planGlobal(into: &plan)

        // Removals: VIPs of services no longer configured, their tables, and every membership
        // no longer configured (a real removed from one service, all reals of a removed service).
        let wantedKeys = Set(config.services.map(\.key))
        for (key, value) in live.vips where !wantedKeys.contains(key) {
            plan.vipDeletes.append(key.abi)
            if live.maglevMapIDs[value.id] != nil, !plannedIDs.contains(value.id) { plan.maglevClears.append(value.id) }
        }
        plan.vipDeletes += live.strayVIPKeys
        let usedRealIDs = Set(realIDs.values)
        plan.realClears = live.reals.keys.filter { !usedRealIDs.contains($0) }.sorted()
        return plan
    }

    // MARK: Steps

    /// The next hop of a real. A new address is resolved, provoking the neighbour entry if need
    /// be, and failing the apply if it cannot be. An address already in the maps takes the
    /// kernel's current entry if there is one (so a replaced server's new MAC is picked up) and
    /// otherwise keeps the next hop it has: draining or removing a real server that stopped
    /// answering must not fail because of it.
    private func nextHop(for address: IPAddress, warnings: inout [String]) throws -> NextHop {
        guard let known = knownNextHop(of: address) else { return try resolver.nextHop(for: address) }
        if let current = resolver.currentNextHop(for: address) { return current }
        warnings.append("real \(address): no usable neighbour entry now; keeping its next hop \(known.mac) on \(known.interface)")
        return known
    }

    /// The next hop a live entry of this address was written with (any membership), if it has one.
    private func knownNextHop(of address: IPAddress) -> NextHop? {
        for real in live.reals.values {
            guard IPAddress(abiBytes: getBytes(real.addr), family: real.family) == address,
                  let mac = MACAddress(bytes: getBytes(real.dst_mac)), !mac.isZero else { continue }
            let recorded = previous?.reals.first { $0.address == address }?.nextHop
            let source = MACAddress(bytes: getBytes(real.src_mac)) ?? mac
            return NextHop(ifindex: real.ifindex, interface: recorded?.interface ?? "ifindex \(real.ifindex)",
                           mac: mac, sourceMAC: source, gateway: recorded?.gateway)
        }
        return nil
    }

    /// The inner map id the service will use after the apply; builds a new table when its
    /// inputs (size, reals, weights, ids) changed or the map in use is not the one recorded.
    private func table(for entry: DataplaneState.Service, into plan: inout ApplyPlan) throws -> UInt32? {
        let current = live.maglevMapIDs[entry.id]
        if entry.backends.isEmpty {
            if current != nil { plan.tableSwaps.append(.init(serviceID: entry.id, table: nil)) }
            return nil
        }
        if let before = previous?.services.first(where: { $0.key == entry.key }),
           before.id == entry.id, before.tableSize == entry.tableSize, before.backends == entry.backends,
           let recorded = before.tableMapID, recorded == current {
            plan.next.tables[entry.id] = .init(mapID: recorded, fd: nil)
            return recorded
        }
        let slots = Maglev.table(
            backends: entry.backends.map { MaglevBackend(key: $0.address.bytes, weight: $0.weight) },
            size: Int(entry.tableSize))
        let values = [entry.tableSize] + slots.map { $0 < 0 ? UInt32(USHER_NO_REAL) : entry.backends[Int($0)].realID }
        let (fd, mapID) = try buildTable(entry.id, values)
        plan.tableSwaps.append(.init(serviceID: entry.id, table: fd))
        plan.next.tables[entry.id] = .init(mapID: mapID, fd: fd)
        return mapID
    }

    /// The reals that take new flows (weight above zero), ordered by address, each once, with
    /// the ids of their memberships of this service.
    private func backends(of service: VirtualService, id: UInt32,
                          realIDs: [LiveTables.Membership: UInt32]) -> [DataplaneState.Backend] {
        var seen = Set<IPAddress>()
        return service.activeReals
            .filter { seen.insert($0.address).inserted }
            .compactMap { real in
                realIDs[.init(serviceID: id, address: real.address)].map {
                    DataplaneState.Backend(address: real.address, realID: $0, weight: real.weight)
                }
            }
            .sorted { $0.address < $1.address }
    }

    /// The usher_reals_v3 value of one membership (`port`: nat/gateway's port at the real, 0 =
    /// the client's destination port). Service ids are below USHER_MAX_SERVICES
    /// (4096), so they fit service_id's 16 bits.
    private func realEntry(_ member: LiveTables.Membership, mac: MACAddress?, hop: NextHop?, port: UInt16) -> usher_real {
        var value = zeroed(usher_real.self)
        setBytes(&value.addr, member.address.paddedBytes)
        value.family = member.address.familyCode
        value.flags = UInt8(USHER_REAL_F_PRESENT)
        value.service_id = UInt16(truncatingIfNeeded: member.serviceID)
        value.port = port.bigEndian
        if let mac { setBytes(&value.dst_mac, mac.bytes) }
        if let hop {
            setBytes(&value.src_mac, hop.sourceMAC.bytes)
            value.ifindex = hop.ifindex
        }
        return value
    }

    /// The `mac:` given to each real; the same real given two different MACs is an error.
    private func explicitMACs(of services: [VirtualService]) throws -> [IPAddress: MACAddress] {
        var macs: [IPAddress: (mac: MACAddress, service: String)] = [:]
        for service in services {
            for real in service.reals {
                guard let mac = real.mac else { continue }
                if let earlier = macs[real.address], earlier.mac != mac {
                    throw BPFError(call: "apply", subject: "real \(real.address)",
                                   message: "it has mac \(earlier.mac) in service \(earlier.service) and \(mac) in service \(service.name); " +
                                       "a real server has one next hop, so give the same mac (or none) everywhere")
                }
                macs[real.address] = (mac, service.name)
            }
        }
        return macs.mapValues(\.mac)
    }

    /// What the data plane cannot represent, even if the validator let it through.
    private func checkServices() throws {
        var keys = Set<ServiceKey>()
        for service in config.services {
            guard keys.insert(service.key).inserted else {
                throw BPFError(call: "apply", subject: "service \(service.name)", message: "another service already has \(service.key)")
            }
            guard service.mode.isLayer4 else { continue }
            if service.mode.isNAT { try checkNAT(service) }
            guard service.maglevTableSize >= 7, service.maglevTableSize <= UInt32(USHER_MAGLEV_MAX_SIZE) else {
                throw BPFError(call: "apply", subject: "service \(service.name)",
                               message: "maglev-table-size \(service.maglevTableSize) is outside 7...\(USHER_MAGLEV_MAX_SIZE)")
            }
            if service.mode == .dsrIPIP {
                if let real = service.reals.first(where: { $0.address.isV4 != service.vip.isV4 }) {
                    throw BPFError(call: "apply", subject: "service \(service.name)",
                                   message: "real \(real.address) is \(real.address.familyName) but the VIP is \(service.vip.familyName); dsr-ipip encapsulates in the VIP's family")
                }
                let source = service.vip.isV4 ? config.encapsulation.sourceV4 : config.encapsulation.sourceV6
                if source == nil {
                    throw BPFError(call: "apply", subject: "service \(service.name)",
                                   message: "dsr-ipip needs encapsulation: source-\(service.vip.isV4 ? "v4" : "v6") in the config")
                }
            }
        }
        guard config.services.count <= Int(USHER_MAX_SERVICES) else {
            throw BPFError(call: "apply", subject: "the service table", message: "\(config.services.count) services; at most \(USHER_MAX_SERVICES)")
        }
    }
}
