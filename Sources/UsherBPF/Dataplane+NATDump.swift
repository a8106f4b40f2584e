import CUsherABI
import UsherCore

/// The NAT parts of `maps dump`: SNAT pools, the address filter, nat/gateway flows.
extension Dataplane {
    /// Every entry of usher_snat_v1, by pool id, with the ports in use per address.
    func snatPoolsDump() throws -> [MapsDump.SNATPool] {
        let inUse = try snatPortsInUse()
        return try maps.snatPools.entries(as: (UInt32, usher_snat_pool).self)
            .sorted { $0.0 < $1.0 }
            .map { id, pool in
                let addresses = pool.addresses
                return MapsDump.SNATPool(id: id, addresses: addresses, ports: "\(pool.port_min)-\(pool.port_max)",
                                         portsInUse: addresses.map { inUse[$0] ?? 0 })
            }
    }

    /// How many slots of usher_addrs_v1 carry each flag.
    func addressFilterDump() throws -> MapsDump.AddressFilter {
        let slots = try maps.addresses.arrayEntries(as: UInt32.self, count: Int(USHER_ADDR_SLOTS))
        func count(_ flag: Int32) -> Int { slots.reduce(0) { $0 + ($1 & UInt32(flag) != 0 ? 1 : 0) } }
        return MapsDump.AddressFilter(
            slotsInUse: slots.reduce(0) { $0 + ($1 != 0 ? 1 : 0) },
            vipPort: count(USHER_ADDR_F_VIP_PORT), vipAll: count(USHER_ADDR_F_VIP_ALL),
            snat: count(USHER_ADDR_F_SNAT), gatewayReal: count(USHER_ADDR_F_GW_REAL))
    }

    /// Up to `limit` entries of usher_nat_v2, with the state both sides sent.
    func natFlowsDump(limit: Int, realAddresses: [UInt32: IPAddress]) throws -> MapsDump.NATFlows {
        let (all, _) = try trackedFlowsNATOnly(limit: limit + 1)
        let flows = all.prefix(limit).map { flow, realID in
            MapsDump.NATFlow(
                client: Self.endpoint(flow.client, flow.clientPort), vip: Self.endpoint(flow.vip, flow.vipPort),
                proto: flow.proto.rawValue, snat: Self.endpoint(flow.snatAddress, flow.snatPort ?? 0),
                real: flow.real.map { Self.endpoint($0, flow.realPort) } ?? "#\(realID):\(flow.realPort)",
                realID: realID, serviceID: flow.serviceID, state: flow.state, idleSeconds: flow.idleSeconds)
        }
        return MapsDump.NATFlows(flows: Array(flows), limit: limit, truncated: all.count > limit)
    }
}

extension usher_snat_pool {
    /// The pool's addresses in order (the first `count`).
    var addresses: [IPAddress] {
        let bytes = getBytes(addrs)
        return (0..<min(Int(count), Int(USHER_SNAT_MAX_ADDRS))).compactMap {
            IPAddress(abiBytes: Array(bytes[($0 * 16)..<($0 * 16 + 16)]), family: family)
        }
    }
}
