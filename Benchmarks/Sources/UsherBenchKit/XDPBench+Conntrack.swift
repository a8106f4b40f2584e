import CUsherABI
import CUsherBench
import Foundation
import UsherBPF

/// The long-running state of the connection-tracking table: a balancer that has run for a while
/// has filled its table to capacity and seen flows leave, so its free entries come back in the
/// order flows were removed, not in the order the kernel allocated them, and the LRU lists have
/// turned over. A fresh table is a state no running balancer is in (issue 10).
extension XDPBench {
    /// Fills the balancer's table to capacity from every CPU in turn (an LRU table with
    /// BPF_F_NO_COMMON_LRU gives each CPU its own share of entries and lists; writing `capacity`
    /// flows on each CPU fills every share and makes each evict), then empties it. The flows are
    /// those of `frame` varied over source ports and address bytes, spread over `realIDs` of
    /// service `serviceID`; they are written and removed by the kernel's map code, as a data
    /// plane's inserts and a flow reset would. The calling thread's CPU affinity is restored.
    public func ageConntrack(frame: [UInt8], serviceID: UInt32, realIDs: [UInt32]) throws {
        let cpus = try BPFSystem.possibleCPUs()
        let perCPU = min(conntrackCapacity, UInt32((1 << 24) / max(cpus, 1)))
        let variation = try FlowVariation.sourceFlows(of: frame, count: nil)
        try CPUAffinity.forEach(cpus: cpus) { cpu in
            try trackFlows(of: frame, variation: variation, count: perCPU, serviceID: serviceID, realIDs: realIDs,
                           firstIndex: UInt32(cpu) * perCPU)
        }
        try emptyConntrack()
    }

    /// Removes every entry of the balancer's connection-tracking table, in the kernel's
    /// iteration order (by hash bucket: scattered with respect to the order of the inserts).
    public func emptyConntrack() throws {
        try Self.empty(conntrack, as: usher_flow.self)
    }

    /// Fills the flow-table candidate's tables (`candidate`): every way of every set holds a
    /// flow no case uses, seen just now. The long-running state of such a table: it is never
    /// emptied, and once it has run a while every set is full, so a new flow replaces the way of
    /// its set seen least recently. Returns the ways written.
    @discardableResult
    public func fillSetAssociative() throws -> Int {
        guard let candidate else {
            throw BPFError(call: "bench", subject: "set-associative table", message: "this bench runs the balancer, not a candidate")
        }
        let seen = Dataplane.monotonicNanoseconds()
        func way(_ index: UInt32) -> usher_cand_sa_entry {
            let key = Self.agingKey(index)
            let words = withUnsafeBytes(of: key) { $0.loadUnaligned(as: (UInt64, UInt64, UInt64, UInt64, UInt64).self) }
            // Any nonzero check word: no packet's flow is a filler's, so none matches it anyway.
            return usher_cand_sa_entry(key: words, real_id: 0, service_id: 0, last_seen_ns: seen, check: 1, pad: 0)
        }
        switch candidate {
        case .fourWay:
            let ways = UInt32(USHER_CAND_SA_WAYS)
            try Self.fill(candidateTables[0], count: UInt32(USHER_CAND_SA_SETS)) { set in
                let first = set * ways
                return usher_cand_sa_set(way: (way(first), way(first + 1), way(first + 2), way(first + 3)))
            }
            return Int(USHER_CAND_SA_SETS) * Int(ways)
        case .tagged:
            let ways = UInt32(USHER_CAND_ST_WAYS)
            try Self.fill(candidateTables[1], count: UInt32(USHER_CAND_ST_SETS) * ways, way)
            // Tags spread as flows' are (a filler's tag matches a packet's as often as another
            // flow's would: its way is then read and refused by its key), never 0 (empty).
            let now = UInt16(truncatingIfNeeded: seen >> USHER_CAND_ST_TICK_SHIFT)
            try Self.fill(candidateTables[0], count: UInt32(USHER_CAND_ST_SETS)) { set in
                var tags = usher_cand_st_tags()
                withUnsafeMutableBytes(of: &tags.tag) { raw in
                    for i in 0..<Int(ways) {
                        let mixed = (set &* ways &+ UInt32(i)) &* 0x9E37_79B1
                        raw.storeBytes(of: UInt16(truncatingIfNeeded: mixed >> 16) | 1, toByteOffset: 2 * i, as: UInt16.self)
                    }
                }
                withUnsafeMutableBytes(of: &tags.seen) { raw in
                    for i in 0..<Int(ways) { raw.storeBytes(of: now, toByteOffset: 2 * i, as: UInt16.self) }
                }
                return tags
            }
            return Int(USHER_CAND_ST_SETS) * Int(ways)
        }
    }

    /// How many ways of the candidate's table hold a flow (4-way: check word set; tagged: tag set).
    public func setAssociativeHeld() throws -> Int {
        switch candidate {
        case nil:
            return 0
        case .fourWay:
            return try candidateTables[0].entries(as: (UInt32, usher_cand_sa_set).self).reduce(0) { held, entry in
                withUnsafeBytes(of: entry.1.way) { raw in
                    held + raw.bindMemory(to: usher_cand_sa_entry.self).filter { $0.check != 0 }.count
                }
            }
        case .tagged:
            return try candidateTables[0].entries(as: (UInt32, usher_cand_st_tags).self).reduce(0) { held, entry in
                withUnsafeBytes(of: entry.1.tag) { raw in held + raw.bindMemory(to: UInt16.self).filter { $0 != 0 }.count }
            }
        }
    }

    /// Writes `value(i)` at index i of the array `map`, for i in 0..<count, in batches.
    private static func fill<V: BitwiseCopyable>(_ map: MapFD, count: UInt32, _ value: (UInt32) -> V) throws {
        var start: UInt32 = 0
        while start < count {
            let keys = Array(start..<min(start + 4096, count))
            try map.updateBatch(keys: keys, values: keys.map(value))
            start += UInt32(keys.count)
        }
    }

    /// Ages the balancer's NAT tables as `ageConntrack` ages the flow table: each filled to
    /// capacity from every CPU in turn (keys of flows no case uses, values empty), then emptied.
    /// Meant for private tables (`privateNAT`): the pinned ones would lose their flows. Returns
    /// how many entries each table held when full, before it was emptied.
    @discardableResult
    public func ageNAT() throws -> (flows: Int, replies: Int) {
        let cpus = try BPFSystem.possibleCPUs()
        let capacity = UInt32(USHER_NAT_DEFAULT_ENTRIES)
        let perCPU = min(capacity, UInt32((1 << 24) / max(cpus, 1)))
        try CPUAffinity.forEach(cpus: cpus) { cpu in
            var start = UInt32(cpu) * perCPU
            while start < UInt32(cpu + 1) * perCPU {
                let keys = (start..<min(start + 65536, UInt32(cpu + 1) * perCPU)).map(Self.agingKey)
                try natFlows.updateBatch(keys: keys, values: Array(repeating: usher_nat_flow(), count: keys.count))
                try natReplies.updateBatch(keys: keys, values: Array(repeating: usher_nat_reply(), count: keys.count))
                start += UInt32(keys.count)
            }
        }
        return (try Self.empty(natFlows, as: usher_nat_flow.self), try Self.empty(natReplies, as: usher_nat_reply.self))
    }

    /// Flow `index` (< 2^24) of the ageing flows: TCP from 192.0.2.(index >> 16), port
    /// index & 0xffff, to 203.0.113.1:80. They never meet a packet: the tables are emptied first.
    static func agingKey(_ index: UInt32) -> usher_flow_key {
        var key = usher_flow_key()
        withUnsafeMutableBytes(of: &key.src) { $0[0] = 192; $0[1] = 0; $0[2] = 2; $0[3] = UInt8(index >> 16 & 0xff) }
        withUnsafeMutableBytes(of: &key.dst) { $0[0] = 203; $0[1] = 0; $0[2] = 113; $0[3] = 1 }
        key.sport = UInt16(index & 0xffff).bigEndian
        key.dport = UInt16(80).bigEndian
        key.proto = 6
        key.family = 4
        return key
    }

    /// Removes every entry of `map` (keyed by flows), in the kernel's iteration order; returns
    /// how many it removed.
    @discardableResult
    static func empty<V: BitwiseCopyable>(_ map: MapFD, as _: V.Type) throws -> Int {
        var removed = 0
        while true {
            let keys: [usher_flow_key] = try map.entries(as: (usher_flow_key, V).self, limit: 65536).map(\.0)
            if keys.isEmpty { return removed }
            // An entry evicted between the read and the delete is skipped; the next pass sees the rest.
            try map.deleteBatch(keys: keys)
            removed += keys.count
        }
    }

    /// How many of the `count` flows `trackFlows(of:variation:count:serviceID:realIDs:)` wrote
    /// (same arguments) are still tracked on the real it gave them.
    public func countTracked(of frame: [UInt8], variation: FlowVariation, count: UInt32,
                             serviceID: UInt32, realIDs: [UInt32]) throws -> UInt32 {
        let layout = try FrameLayout(frame)
        var kept: UInt32 = 0
        for idx in 0..<count {
            let key = layout.flowKey(of: variation.apply(to: frame, index: idx))
            if let flow: usher_flow = try conntrack.lookup(key), flow.service_id == serviceID,
               flow.real_id == realIDs[Int(idx) % realIDs.count] {
                kept += 1
            }
        }
        return kept
    }

    /// Entries in the balancer's connection-tracking table now.
    public func conntrackEntries() throws -> Int {
        try conntrack.entries(as: (usher_flow_key, usher_flow).self).count
    }
}
