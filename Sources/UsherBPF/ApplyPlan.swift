import CUsherABI
import UsherCore

/// Everything one `apply` will write, computed before the first write. Inner Maglev maps are
/// already created and filled (they are invisible until swapped into the outer map), so what
/// remains can hardly fail: updates of existing maps, in an order that never exposes an id
/// that points at nothing.
struct ApplyPlan {
    struct RealWrite {
        var id: UInt32
        var value: usher_real
        var isNew: Bool
    }

    /// A new inner table for a service's outer slot, or nil to empty the slot.
    struct TableSwap {
        var serviceID: UInt32
        var table: OwnedFD?
    }

    struct VIPWrite {
        var key: usher_vip_key
        var value: usher_service
    }

    struct SNATWrite {
        var id: UInt32
        var value: usher_snat_pool
    }

    /// The whole next generation of the tables: written into the slot the running generation
    /// does not use, then switched to (only when it differs from the running one: `switches`).
    struct Generation {
        /// A service's Maglev table: a new inner map (with its fd), or the running one kept.
        struct Table {
            var mapID: UInt32
            var fd: OwnedFD?
        }

        /// usher_vips_v2 entries, keys with slot 0.
        var vips: [(usher_vip_key, usher_service)] = []
        /// usher_reals_v3 entries by real id.
        var reals: [UInt32: usher_real] = [:]
        /// Inner Maglev maps by service id.
        var tables: [UInt32: Table] = [:]
    }

    var next = Generation()
    /// usher_addrs_v1 slots given their new bits before anything else is written.
    var addressSets: [(slot: UInt32, value: UInt32)] = []
    var realWrites: [RealWrite] = []
    var newServiceIDs: [UInt32] = []
    var tableSwaps: [TableSwap] = []
    /// SNAT pools written before the services that use them.
    var snatWrites: [SNATWrite] = []
    /// The global entry before the tables change (new knobs, old and new flags and sources).
    var globalBefore: usher_global?
    var vipWrites: [VIPWrite] = []
    /// The global entry as the config says, after the removals (when it differs from globalBefore).
    var global: usher_global?
    var vipDeletes: [usher_vip_key] = []
    var maglevClears: [UInt32] = []
    var realClears: [UInt32] = []
    /// SNAT pools no nat service uses any more, removed after the services.
    var snatDeletes: [UInt32] = []
    /// usher_addrs_v1 slots losing bits, written last.
    var addressClears: [(slot: UInt32, value: UInt32)] = []
    /// What the caller keeps for the next apply.
    var state = DataplaneState()
    /// Things the operator should know that did not stop the apply.
    var warnings: [String] = []

    /// True when the next generation of services, reals and Maglev tables differs from the
    /// running one, so the apply writes it and switches.
    var switches: Bool {
        !(realWrites.isEmpty && tableSwaps.isEmpty && vipWrites.isEmpty && vipDeletes.isEmpty &&
            maglevClears.isEmpty && realClears.isEmpty)
    }

    /// True when the maps already say what the config says.
    var changesNothing: Bool {
        !switches && global == nil && globalBefore == nil && snatWrites.isEmpty &&
            snatDeletes.isEmpty && addressSets.isEmpty && addressClears.isEmpty
    }
}

/// Hands out the lowest ids not taken, below a limit.
struct IDAllocator {
    private var taken: Set<UInt32>
    private var cursor: UInt32 = 0
    let limit: UInt32
    let what: String

    init(taken: Set<UInt32>, limit: UInt32, what: String) {
        self.taken = taken
        self.limit = limit
        self.what = what
    }

    mutating func next() throws -> UInt32 {
        while cursor < limit, taken.contains(cursor) { cursor += 1 }
        guard cursor < limit else {
            throw BPFError(call: "apply", subject: "the \(what) table",
                           message: "all \(limit) \(what) ids are in use; remove some before adding more")
        }
        taken.insert(cursor)
        return cursor
    }
}
