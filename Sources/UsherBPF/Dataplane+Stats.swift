import CUsherABI
import UsherCore

extension Dataplane {
    /// Reads every counter: the global ones, those of each service in the VIP table and of
    /// each present real. Per-CPU values are summed.
    public func readStats() throws -> StatsSnapshot {
        var snapshot = StatsSnapshot(global: try readGlobalCounters())
        let live = try maps.readLiveIDs()
        // Every service and real slot in a few batch reads, then the live ones kept.
        let services = try maps.serviceStats.perCPUArray(
            count: Int(USHER_MAX_SERVICES), as: usher_service_stats.self, initial: ServiceStats()) { sum, v in
            sum.packets &+= v.packets; sum.bytes &+= v.bytes; sum.newFlows &+= v.new_flows; sum.noReal &+= v.no_real
            sum.natExhausted &+= v.nat_exhausted; sum.replyPackets &+= v.reply_packets; sum.replyBytes &+= v.reply_bytes
        }
        for id in live.services where Int(id) < services.count { snapshot.services[id] = services[Int(id)] }
        let reals = try maps.realStats.perCPUArray(count: Int(USHER_MAX_REALS), as: usher_real_stats.self,
                                                   initial: RealStats()) { sum, v in
            sum.packets &+= v.packets; sum.bytes &+= v.bytes; sum.newFlows &+= v.new_flows
        }
        for id in live.reals where Int(id) < reals.count { snapshot.reals[id] = reals[Int(id)] }
        return snapshot
    }
}

extension Dataplane {
    /// The global counters alone (usher_stats_v3, a few lookups), by name.
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
    /// The ids in use in the running generation: services in usher_vips_v2 and present reals in
    /// usher_reals_v3.
    func readLiveIDs() throws -> (services: Set<UInt32>, reals: Set<UInt32>) {
        let slot = try runningGeneration() & 1
        let services = Set(try vipEntries(slot: slot).map(\.1.id))
        let all = try realEntries(slot: slot)
        let present = all.indices.filter { all[$0].flags & UInt8(USHER_REAL_F_PRESENT) != 0 }.map { UInt32($0) }
        return (services, Set(present))
    }
}
