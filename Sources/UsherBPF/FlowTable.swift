import CLibBPF
import CUsherABI
import Foundation
import UsherCore

/// The dsr flow table, `usher_ctset_v3` (a set's tags and ages) and `usher_ct_v3` (its ways), as
/// the control plane reads and writes it: both arrays mapped into this process
/// (BPF_F_MMAPABLE), so listing a million flows reads the 8 MB of tag lines and only the ways
/// that hold a flow, with no system call per flow. The layout and the rules are the data
/// plane's (usher/abi.h, usher_ct_set; BPF/lib/conntrack.h): the flow hash picks the set and
/// gives the tag; a way is written key first and check word last, then its tag; a new flow
/// takes an empty way, else the one seen least recently.
///
/// The data plane writes the same memory at the same time. A way it is writing fails its check
/// word and is skipped (a flow written in that instant may be missing from one listing); a way
/// written here reads to the data plane as empty until its check word is in place.
package final class FlowTable: @unchecked Sendable {
    private let sets: UnsafeMutableRawPointer
    private let ways: UnsafeMutableRawPointer
    private let setsLength: Int
    private let waysLength: Int

    /// The number of ways (twice the flows the table is sized for).
    package static let ways = Int(USHER_CT_SETS) * Int(USHER_CT_WAYS)
    static let setStride = MemoryLayout<usher_ct_set>.stride
    static let wayStride = MemoryLayout<usher_ct_way>.stride
    // Offsets in a way (usher_ct_way) and in a set's line (usher_ct_set).
    private static let realOffset = MemoryLayout<usher_ct_way>.offset(of: \.real_id)!
    private static let serviceOffset = MemoryLayout<usher_ct_way>.offset(of: \.service_id)!
    private static let seenOffset = MemoryLayout<usher_ct_way>.offset(of: \.last_seen_ns)!
    private static let checkOffset = MemoryLayout<usher_ct_way>.offset(of: \.check)!
    private static let agesOffset = MemoryLayout<usher_ct_set>.offset(of: \.seen)!

    /// Maps the two arrays. They must be the data plane's: ARRAY maps of USHER_CT_SETS lines and
    /// USHER_CT_SETS × USHER_CT_WAYS ways, created BPF_F_MMAPABLE.
    package init(sets setMap: MapFD, ways wayMap: MapFD) throws {
        for (map, entries, size) in [(setMap, Int(USHER_CT_SETS), Self.setStride), (wayMap, Self.ways, Self.wayStride)] {
            let info = try map.info()
            guard info.type == BPF_MAP_TYPE_ARRAY.rawValue, Int(info.max_entries) == entries, Int(info.value_size) == size,
                  info.map_flags & UInt32(BPF_F_MMAPABLE) != 0 else {
                throw BPFError(call: "mmap", subject: "map \(map.name)",
                               message: "not this build's flow table (an array of \(entries) × \(size) bytes, mmapable); "
                                   + "remove the pin directory's stale maps or run this build's `usher` against its own")
            }
        }
        setsLength = Self.pageRounded(Int(USHER_CT_SETS) * Self.setStride)
        waysLength = Self.pageRounded(Self.ways * Self.wayStride)
        sets = try Self.map(setMap, length: setsLength)
        do {
            ways = try Self.map(wayMap, length: waysLength)
        } catch {
            munmap(sets, setsLength)
            throw error
        }
    }

    deinit {
        munmap(sets, setsLength)
        munmap(ways, waysLength)
    }

    // MARK: Reading

    /// Every flow the table holds, in the order of its sets (at most `limit`).
    package func entries(limit: Int = .max) -> [(usher_flow_key, usher_flow)] {
        var out: [(usher_flow_key, usher_flow)] = []
        guard limit > 0 else { return out }
        forEachHeld { _, key, flow in
            out.append((key, flow))
            return out.count < limit
        }
        return out
    }

    /// How many flows the table holds.
    package func count() -> Int {
        var held = 0
        forEachHeld { _, _, _ in held += 1; return true }
        return held
    }

    /// The flow's state, or nil if no way holds it.
    package func lookup(_ key: usher_flow_key) -> usher_flow? {
        let (hash, set, tag) = Self.place(key)
        guard let way = find(key, hash: hash, set: set, tag: tag) else { return nil }
        return flow(at: way)
    }

    // MARK: Writing

    /// Writes the flow's way: the way that holds it, else a new one by the data plane's rule
    /// (an empty way of its set, else the one seen least recently), its age the flow's
    /// `last_seen_ns`. A new way may evict another flow, as the data plane's insert does.
    package func update(_ key: usher_flow_key, _ flow: usher_flow) {
        let (hash, set, tag) = Self.place(key)
        let tick = UInt16(truncatingIfNeeded: flow.last_seen_ns >> UInt64(USHER_CT_TICK_SHIFT))
        if let way = find(key, hash: hash, set: set, tag: tag) {
            write(way, key: nil, flow, hash: hash)
            storeAge(set: set, way: way % Int(USHER_CT_WAYS), tick)
            return
        }
        occupy(set: set, slot: victim(set: set, tick: tick), key: key, flow, hash: hash, tag: tag, tick: tick)
    }

    /// Removes the flow (every way that holds it); returns whether one did.
    @discardableResult
    package func delete(_ key: usher_flow_key) -> Bool {
        let (hash, set, tag) = Self.place(key)
        var removed = false
        while let way = find(key, hash: hash, set: set, tag: tag) {
            clear(way)
            removed = true
        }
        return removed
    }

    /// Removes every flow for which `remove` is true; returns how many.
    @discardableResult
    package func removeAll(where remove: (usher_flow_key, usher_flow) -> Bool = { _, _ in true }) -> Int {
        var removed = 0
        forEachHeld { way, key, flow in
            if remove(key, flow) {
                clear(way)
                removed += 1
            }
            return true
        }
        return removed
    }

    /// Writes every way: way i holds `key(i)` (a flow no packet carries: the benchmark's
    /// long-running state of the table, full, every new flow then replacing a way), to no real
    /// of no service, seen at `seen`, its tag the key's (so tags spread as flows' do).
    package func fillEveryWay(seen: UInt64, _ key: (Int) -> usher_flow_key) {
        let tick = UInt16(truncatingIfNeeded: seen >> UInt64(USHER_CT_TICK_SHIFT))
        for way in 0..<Self.ways {
            let flowKey = key(way)
            let (hash, _, tag) = Self.place(flowKey)
            occupy(set: way / Int(USHER_CT_WAYS), slot: way % Int(USHER_CT_WAYS), key: flowKey,
                   usher_flow(real_id: 0, service_id: 0, last_seen_ns: seen), hash: hash, tag: tag, tick: tick)
        }
    }

    /// How many ways are tagged (hold a flow, or are being written).
    package func occupiedWays() -> Int {
        var occupied = 0
        for set in 0..<Int(USHER_CT_SETS) {
            for quad in 0..<Int(USHER_CT_WAYS) / 4 {
                var tags = sets.load(fromByteOffset: set * Self.setStride + 8 * quad, as: UInt64.self)
                while tags != 0 {
                    if tags & 0xffff != 0 { occupied += 1 }
                    tags >>= 16
                }
            }
        }
        return occupied
    }

    // MARK: The data plane's rules

    /// The flow's hash (usher_flow_hash, BPF/lib/hash.h), set and tag (usher_ct_find).
    static func place(_ key: usher_flow_key) -> (hash: UInt32, set: Int, tag: UInt16) {
        let hash = withUnsafeBytes(of: key) { raw -> UInt32 in
            let words = key.family == UInt8(USHER_FAMILY_V4) ? 1 : 4
            func fold(_ base: Int) -> UInt32 {
                (0..<words).reduce(0) { $0 ^ raw.loadUnaligned(fromByteOffset: base + 4 * $1, as: UInt32.self) }
            }
            let ports = UInt32(key.sport) << 16 | UInt32(key.dport)
            return FlowHash.jhash3Words(fold(0), fold(16) ^ UInt32(key.proto), ports, initval: FlowHash.seed)
        }
        let tag = UInt16(truncatingIfNeeded: hash >> 16)
        return (hash, Int(hash & UInt32(USHER_CT_SETS - 1)), tag == 0 ? 1 : tag)
    }

    /// usher_ct_check: the check word of a way holding (real, service) for a flow of `hash`.
    static func check(hash: UInt32, real: UInt32, service: UInt32) -> UInt32 {
        (hash ^ real ^ (service &* 0x9E37_79B1)) | 1
    }

    // MARK: Pieces

    private static func pageRounded(_ bytes: Int) -> Int {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        return (bytes + page - 1) / page * page
    }

    private static func map(_ map: MapFD, length: Int) throws -> UnsafeMutableRawPointer {
        guard let base = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_SHARED, map.fd, 0), base != MAP_FAILED else {
            throw BPFError.call("mmap", on: "map \(map.name)", errno: errno)
        }
        return base
    }

    private func tag(set: Int, way: Int) -> UInt16 {
        sets.load(fromByteOffset: set * Self.setStride + 2 * way, as: UInt16.self)
    }

    private func storeAge(set: Int, way: Int, _ tick: UInt16) {
        sets.storeBytes(of: tick, toByteOffset: set * Self.setStride + Self.agesOffset + 2 * way, as: UInt16.self)
    }

    private func key(at way: Int) -> usher_flow_key {
        ways.loadUnaligned(fromByteOffset: way * Self.wayStride, as: usher_flow_key.self)
    }

    private func flow(at way: Int) -> usher_flow {
        let base = way * Self.wayStride
        return usher_flow(real_id: ways.load(fromByteOffset: base + Self.realOffset, as: UInt32.self),
                          service_id: ways.load(fromByteOffset: base + Self.serviceOffset, as: UInt32.self),
                          last_seen_ns: ways.load(fromByteOffset: base + Self.seenOffset, as: UInt64.self))
    }

    /// Whether way `way` holds the flow `key` of hash `hash` (usher_ct_holds).
    private func holds(_ way: Int, _ key: usher_flow_key, hash: UInt32) -> Bool {
        let flow = flow(at: way)
        guard ways.load(fromByteOffset: way * Self.wayStride + Self.checkOffset, as: UInt32.self)
                == Self.check(hash: hash, real: flow.real_id, service: flow.service_id) else { return false }
        return withUnsafeBytes(of: key) { wanted in
            withUnsafeBytes(of: self.key(at: way)) { held in wanted.elementsEqual(held) }
        }
    }

    private func find(_ key: usher_flow_key, hash: UInt32, set: Int, tag: UInt16) -> Int? {
        for slot in 0..<Int(USHER_CT_WAYS) where self.tag(set: set, way: slot) == tag {
            let way = set * Int(USHER_CT_WAYS) + slot
            if holds(way, key, hash: hash) { return way }
        }
        return nil
    }

    /// usher_ct_victim: the first empty way of the set, else the one seen least recently.
    private func victim(set: Int, tick: UInt16) -> Int {
        var victim = 0, oldest: UInt16 = 0
        for slot in 0..<Int(USHER_CT_WAYS) {
            if tag(set: set, way: slot) == 0 { return slot }
            let age = tick &- sets.load(fromByteOffset: set * Self.setStride + Self.agesOffset + 2 * slot, as: UInt16.self)
            if age > oldest {
                oldest = age
                victim = slot
            }
        }
        return victim
    }

    /// Writes way `way` (usher_ct_write): the key when given, the flow, then the check word.
    private func write(_ way: Int, key: usher_flow_key?, _ flow: usher_flow, hash: UInt32) {
        let base = way * Self.wayStride
        if let key { ways.storeBytes(of: key, toByteOffset: base, as: usher_flow_key.self) }
        ways.storeBytes(of: flow.real_id, toByteOffset: base + Self.realOffset, as: UInt32.self)
        ways.storeBytes(of: flow.service_id, toByteOffset: base + Self.serviceOffset, as: UInt32.self)
        ways.storeBytes(of: flow.last_seen_ns, toByteOffset: base + Self.seenOffset, as: UInt64.self)
        ways.storeBytes(of: Self.check(hash: hash, real: flow.real_id, service: flow.service_id),
                        toByteOffset: base + Self.checkOffset, as: UInt32.self)
    }

    /// Writes a new flow into way `slot` of `set` (usher_ct_insert): the way, then its age and tag.
    private func occupy(set: Int, slot: Int, key: usher_flow_key, _ flow: usher_flow, hash: UInt32, tag: UInt16, tick: UInt16) {
        write(set * Int(USHER_CT_WAYS) + slot, key: key, flow, hash: hash)
        storeAge(set: set, way: slot, tick)
        sets.storeBytes(of: tag, toByteOffset: set * Self.setStride + 2 * slot, as: UInt16.self)
    }

    /// Empties way `way`: its tag first (no lookup reads it again), then its check word.
    private func clear(_ way: Int) {
        let set = way / Int(USHER_CT_WAYS), slot = way % Int(USHER_CT_WAYS)
        sets.storeBytes(of: UInt16(0), toByteOffset: set * Self.setStride + 2 * slot, as: UInt16.self)
        ways.storeBytes(of: UInt32(0), toByteOffset: way * Self.wayStride + Self.checkOffset, as: UInt32.self)
    }

    /// Calls `body` with each way that holds a flow (tagged, its check word the flow's), in
    /// order, until it returns false.
    private func forEachHeld(_ body: (Int, usher_flow_key, usher_flow) -> Bool) {
        // The tags four at a time: a table of few flows is mostly zero words, skipped whole.
        let ways = Int(USHER_CT_WAYS)
        for set in 0..<Int(USHER_CT_SETS) {
            for quad in 0..<ways / 4 {
                var tags = sets.load(fromByteOffset: set * Self.setStride + 8 * quad, as: UInt64.self)
                var slot = quad * 4
                while tags != 0 {
                    if tags & 0xffff != 0 {
                        let way = set * ways + slot
                        let key = key(at: way)
                        if holds(way, key, hash: Self.place(key).hash), !body(way, key, flow(at: way)) { return }
                    }
                    tags >>= 16
                    slot += 1
                }
            }
        }
    }
}
