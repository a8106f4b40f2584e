import CUsherABI
import CUsherBench
import Foundation
import UsherBPF

/// The long-running state of the flow table: a balancer that has run for a while has filled its
/// table, and a set-associative table is never emptied, so every set is full and each new flow
/// replaces the way of its set seen least recently. A fresh table is a state no running
/// balancer is in (issue 10).
extension XDPBench {
    /// Fills the balancer's flow table: every way holds a flow no case uses, seen just now.
    /// Returns the ways written.
    @discardableResult
    public func fillFlowTable() -> Int {
        flows.fillEveryWay(seen: Dataplane.monotonicNanoseconds(), Self.agingKey)
        return FlowTable.ways
    }

    /// Fills the flow-table candidate's table (`candidate`): every way of every set holds a
    /// flow no case uses, seen just now: its long-running state, as `fillFlowTable` is the
    /// balancer's. Returns the ways written.
    @discardableResult
    public func fillSetAssociative() throws -> Int {
        guard candidate != nil else {
            throw BPFError(call: "bench", subject: "set-associative table", message: "this bench runs the balancer, not a candidate")
        }
        let seen = Dataplane.monotonicNanoseconds()
        func way(_ index: UInt32) -> usher_cand_sa_entry {
            let key = Self.agingKey(Int(index))
            let words = withUnsafeBytes(of: key) { $0.loadUnaligned(as: (UInt64, UInt64, UInt64, UInt64, UInt64).self) }
            // Any nonzero check word: no packet's flow is a filler's, so none matches it anyway.
            return usher_cand_sa_entry(key: words, real_id: 0, service_id: 0, last_seen_ns: seen, check: 1, pad: 0)
        }
        let ways = UInt32(USHER_CAND_SA_WAYS)
        try Self.fill(candidateTables[0], count: UInt32(USHER_CAND_SA_SETS)) { set in
            let first = set * ways
            return usher_cand_sa_set(way: (way(first), way(first + 1), way(first + 2), way(first + 3)))
        }
        return Int(USHER_CAND_SA_SETS) * Int(ways)
    }

    /// How many ways of the candidate's table hold a flow (check word set); 0 for the balancer.
    public func setAssociativeHeld() throws -> Int {
        guard candidate != nil else { return 0 }
        return try candidateTables[0].entries(as: (UInt32, usher_cand_sa_set).self).reduce(0) { held, entry in
            withUnsafeBytes(of: entry.1.way) { raw in
                held + raw.bindMemory(to: usher_cand_sa_entry.self).filter { $0.check != 0 }.count
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

    /// Ages the balancer's NAT tables (LRU hashes): each filled to capacity from every CPU in turn
    /// (keys of flows no case uses, values empty), then emptied, so that their free entries come
    /// back in the order flows left, not the order the kernel allocated them.
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
                let keys = (start..<min(start + 65536, UInt32(cpu + 1) * perCPU)).map { Self.agingKey(Int($0)) }
                try natFlows.updateBatch(keys: keys, values: Array(repeating: usher_nat_flow(), count: keys.count))
                try natReplies.updateBatch(keys: keys, values: Array(repeating: usher_nat_reply(), count: keys.count))
                start += UInt32(keys.count)
            }
        }
        return (try Self.empty(natFlows, as: usher_nat_flow.self), try Self.empty(natReplies, as: usher_nat_reply.self))
    }

    /// Flow `index` (< 2^24) of the ageing flows: TCP from 192.0.2.(index >> 16), port
    /// index & 0xffff, to 203.0.113.1:80. No packet of the cases carries them.
    static func agingKey(_ index: Int) -> usher_flow_key {
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
            if let flow = flows.lookup(key), flow.service_id == serviceID,
               flow.real_id == realIDs[Int(idx) % realIDs.count] {
                kept += 1
            }
        }
        return kept
    }

    /// Flows in the balancer's flow table now.
    public func conntrackEntries() -> Int {
        flows.count()
    }
}
