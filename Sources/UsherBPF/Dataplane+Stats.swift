import CUsherABI
import UsherCore

extension Dataplane {
    /// Reads every counter: the global ones, those of each service in the VIP table and of
    /// each present real. Per-CPU values are summed.
    public func readStats() throws -> StatsSnapshot {
        var snapshot = StatsSnapshot(global: try readGlobalCounters())
        let live = try maps.readLiveIDs()
        for id in live.services {
            let values = try maps.serviceStats.lookupPerCPU(id, as: usher_service_stats.self)
            snapshot.services[id] = ServiceStats(
                packets: values.reduce(0) { $0 &+ $1.packets }, bytes: values.reduce(0) { $0 &+ $1.bytes },
                newFlows: values.reduce(0) { $0 &+ $1.new_flows }, noReal: values.reduce(0) { $0 &+ $1.no_real },
                natExhausted: values.reduce(0) { $0 &+ $1.nat_exhausted },
                replyPackets: values.reduce(0) { $0 &+ $1.reply_packets }, replyBytes: values.reduce(0) { $0 &+ $1.reply_bytes })
        }
        for id in live.reals {
            let values = try maps.realStats.lookupPerCPU(id, as: usher_real_stats.self)
            snapshot.reals[id] = RealStats(
                packets: values.reduce(0) { $0 &+ $1.packets }, bytes: values.reduce(0) { $0 &+ $1.bytes },
                newFlows: values.reduce(0) { $0 &+ $1.new_flows })
        }
        return snapshot
    }
}

extension Dataplane {
    /// The global counters alone (usher_stats_v2, a few lookups), by name.
    public func readGlobalCounters() throws -> [String: CounterValue] {
        var global: [String: CounterValue] = [:]
        for (index, name) in StatsSnapshot.counterNames.enumerated() {
            let values = try maps.stats.lookupPerCPU(UInt32(index), as: usher_counter.self)
            global[name] = CounterValue(packets: values.reduce(0) { $0 &+ $1.packets }, bytes: values.reduce(0) { $0 &+ $1.bytes })
        }
        return global
    }
}

extension DataplaneMaps {
    /// The ids in use: services in usher_vips_v1 and present reals in usher_reals_v2.
    func readLiveIDs() throws -> (services: Set<UInt32>, reals: Set<UInt32>) {
        var services = Set<UInt32>()
        for key in try vips.keys(as: usher_vip_key.self) {
            if let value = try vips.lookup(key, as: usher_service.self) { services.insert(value.id) }
        }
        let all = try reals.arrayEntries(as: usher_real.self, count: Int(USHER_MAX_REALS))
        let present = all.indices.filter { all[$0].flags & UInt8(USHER_REAL_F_PRESENT) != 0 }.map { UInt32($0) }
        return (services, Set(present))
    }
}
