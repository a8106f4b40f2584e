import CLibBPF
import CUsherABI
import Foundation
import UsherCore

extension Dataplane {
    /// Makes the maps say what `config` says, and returns what was written for the next apply.
    ///
    /// First everything that can fail is done without touching the running tables: every
    /// next hop is resolved, every id given, every changed Maglev table computed and built in a
    /// new inner map. Then, in an order that never exposes an id pointing at nothing: real
    /// entries (new stats zeroed first), Maglev tables swapped in one update each, VIP entries,
    /// the global entry; last, VIPs of removed services, their tables, and real entries no
    /// longer configured. A real entry is one (service, real) membership, so a real removed
    /// from one service loses that service's tracked flows (the data plane reschedules them)
    /// even while other services still list it.
    ///
    /// - Parameter previous: the state the last apply returned; used to skip rebuilding tables
    ///   whose inputs did not change. Ids are always taken from the maps themselves.
    public func apply(_ config: BalancerConfig, previous: DataplaneState?, resolver: NeighborResolving) throws -> DataplaneState {
        let live = try maps.readLive()
        let planner = ApplyPlanner(config: config, previous: previous, live: live, resolver: resolver) { id, slots in
            try self.buildMaglevTable(serviceID: id, slots: slots)
        }
        let plan = try planner.plan()
        try write(plan)
        var state = plan.state
        state.warnings = plan.warnings
        return state
    }

    private func write(_ plan: ApplyPlan) throws {
        for write in plan.realWrites where write.isNew {
            try maps.realStats.zeroPerCPU(write.id, valueSize: MemoryLayout<usher_real_stats>.size)
        }
        for write in plan.realWrites {
            try maps.reals.update(write.id, write.value)
        }
        for id in plan.newServiceIDs {
            try maps.serviceStats.zeroPerCPU(id, valueSize: MemoryLayout<usher_service_stats>.size)
        }
        for swap in plan.tableSwaps {
            if let table = swap.table {
                try maps.maglev.update(swap.serviceID, table.fd)
            } else {
                try maps.maglev.delete(swap.serviceID)
            }
        }
        for write in plan.vipWrites {
            try maps.vips.update(write.key, write.value)
        }
        if let global = plan.global {
            try maps.global.update(UInt32(0), global)
        }
        for key in plan.vipDeletes {
            try maps.vips.delete(key)
        }
        for id in plan.maglevClears {
            try maps.maglev.delete(id)
        }
        for id in plan.realClears {
            try maps.reals.update(id, zeroed(usher_real.self))
        }
    }

    /// A new inner Maglev map: BPF_MAP_TYPE_ARRAY of u32 with BPF_F_INNER_MAP, `slots.count`
    /// entries (slot 0 = M, then the real ids), filled. Returns its fd and kernel id.
    func buildMaglevTable(serviceID: UInt32, slots: [UInt32]) throws -> (OwnedFD, UInt32) {
        var opts = bpf_map_create_opts()
        opts.sz = MemoryLayout<bpf_map_create_opts>.size
        opts.map_flags = UInt32(BPF_F_INNER_MAP)
        let name = "usher_mg_\(serviceID)"
        let fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, name, 4, 4, UInt32(slots.count), &opts)
        guard fd >= 0 else {
            throw BPFError.call("bpf_map_create", on: "Maglev table of service id \(serviceID) (\(slots.count) slots)", errno: errno)
        }
        let owned = OwnedFD(fd)
        let map = MapFD(fd: fd, name: name)
        try map.updateArray(slots)
        return (owned, try map.info().id)
    }
}
