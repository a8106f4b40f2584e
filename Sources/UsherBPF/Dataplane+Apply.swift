import CLibBPF
import CUsherABI
import Foundation
import UsherCore

extension Dataplane {
    /// Makes the maps say what `config` says, and returns what was written for the next apply.
    ///
    /// First everything that can fail is done without touching the running tables: every
    /// next hop is resolved, every id given, every changed Maglev table computed and built in a
    /// new inner map. Then `journal` is told what is about to run (before the first write; not
    /// at all when nothing changes), so that an apply killed half-way can be completed or undone
    /// (`generation`: the number that will be running once it is done). Then: the new bits of
    /// the address filter, new stats zeroed, SNAT pools, the global entry's new knobs; the whole
    /// next generation of services, reals and Maglev tables written into the slot packets do
    /// not read, and the switch to it — one write, so every service changes at once; last, the
    /// global entry as configured, SNAT pools no longer used and the address filter's bits no
    /// longer wanted. A real entry is one (service, real) membership, so a real removed from one
    /// service loses that service's tracked flows (the data plane reschedules them) even while
    /// other services still list it.
    ///
    /// - Parameter previous: the state the last apply returned; used to skip rebuilding tables
    ///   whose inputs did not change. Ids are always taken from the maps themselves.
    public func apply(_ config: BalancerConfig, previous: DataplaneState?, resolver: NeighborResolving,
                      journal: (_ state: DataplaneState, _ generation: UInt32) throws -> Void = { _, _ in }) throws -> DataplaneState {
        let timer = ApplyTimer()
        let live = try maps.readLive()
        timer.mark("read live tables")
        let fills = MaglevTableFills()
        let cpus = UInt32(try BPFSystem.possibleCPUs())
        let mapped = try maps.maglevTakesMappedTables(live: live)
        let planner = ApplyPlanner(config: config, previous: previous, live: live, resolver: resolver, nrCPUs: cpus) { id, slots in
            try timer.measure("create inner tables") {
                try self.createMaglevTable(serviceID: id, slots: slots, mapped: mapped, fills: fills)
            }
        }
        let plan = try planner.plan()
        timer.mark("plan")
        try fills.run()
        timer.mark("fill \(plan.tableSwaps.count) inner tables")
        var state = plan.state
        state.warnings = plan.warnings + fills.warnings
        if !plan.changesNothing {
            let generation = plan.switches ? live.generation &+ 1 : live.generation
            try journal(state, generation)
            try write(plan, generation: generation, timer: timer)
            timer.mark("write")
        }
        timer.report()
        return state
    }

    /// The running generation's number (usher_gen_v1): what an interrupted apply is judged by.
    public func runningGeneration() throws -> UInt32 {
        try maps.runningGeneration()
    }

    private func write(_ plan: ApplyPlan, generation: UInt32, timer: ApplyTimer) throws {
        try maps.addresses.updateBatch(keys: plan.addressSets.map(\.slot), values: plan.addressSets.map(\.value))
        for write in plan.realWrites where write.isNew {
            try maps.realStats.zeroPerCPU(write.id, valueSize: MemoryLayout<usher_real_stats>.size)
        }
        for id in plan.newServiceIDs {
            try maps.serviceStats.zeroPerCPU(id, valueSize: MemoryLayout<usher_service_stats>.size)
        }
        for write in plan.snatWrites {
            try maps.snatPools.update(write.id, write.value)
        }
        if let global = plan.globalBefore {
            try maps.global.update(UInt32(0), global)
        }
        if plan.switches {
            // One batch of outer Maglev slots: the kernel waits for running programs (an RCU
            // grace period) once per call, not per slot.
            try timer.measure("next generation and switch") {
                try maps.writeGeneration(plan.next, number: generation)
            }
        }
        if let global = plan.global {
            try maps.global.update(UInt32(0), global)
        }
        for id in plan.snatDeletes {
            try maps.snatPools.delete(id)
        }
        try maps.addresses.updateBatch(keys: plan.addressClears.map(\.slot), values: plan.addressClears.map(\.value))
    }

    /// A new inner Maglev map (MaglevInnerMap): an array of u32 with BPF_F_INNER_MAP, and
    /// BPF_F_MMAPABLE if `mapped`, of `slots.count` entries (slot 0 = M, then the real ids),
    /// filled. Returns its fd and kernel id, and what the fill had to warn about.
    func buildMaglevTable(serviceID: UInt32, slots: [UInt32], mapped: Bool = true) throws -> (OwnedFD, UInt32, [String]) {
        let fills = MaglevTableFills()
        let (table, id) = try createMaglevTable(serviceID: serviceID, slots: slots, mapped: mapped, fills: fills)
        try fills.run(workers: 1)
        return (table, id, fills.warnings)
    }

    /// The same map, created empty; its slots are queued on `fills`, to be written before it is used.
    func createMaglevTable(serviceID: UInt32, slots: [UInt32], mapped: Bool,
                           fills: MaglevTableFills) throws -> (OwnedFD, UInt32) {
        let name = "usher_mg_\(serviceID)"
        let owned = try MaglevInnerMap.create(name: name, count: slots.count, mapped: mapped, serviceID: serviceID)
        let id = try MapFD(fd: owned.fd, name: name).info().id
        try fills.add(owned, name: name, slots: slots, mapped: mapped)
        return (owned, id)
    }
}
