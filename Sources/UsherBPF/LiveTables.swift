import CLibBPF
import CUsherABI
import UsherCore

/// What the maps hold now, as far as `apply` needs to know: the running generation's services,
/// present reals and Maglev tables (which inner map, by service id), the global entry, the SNAT
/// pools and the address filter.
/// Ids are always taken from here, so an apply is a reconciliation with the running tables.
struct LiveTables {
    /// The running generation's number (usher_gen_v1); the apply writes the next one.
    var generation: UInt32 = 0
    var vips: [ServiceKey: usher_service] = [:]
    /// Keys of usher_vips_v2 that describe no service this version knows (removed by apply).
    var strayVIPKeys: [usher_vip_key] = []
    /// Present reals by id (USHER_REAL_F_PRESENT set): one entry per (service, real) membership.
    var reals: [UInt32: usher_real] = [:]
    /// Kernel map id of the inner table, by service id (slots that hold one).
    var maglevMapIDs: [UInt32: UInt32] = [:]
    var global = zeroed(usher_global.self)
    /// usher_snat_v1 by pool id.
    var snatPools: [UInt32: usher_snat_pool] = [:]
    /// The nonzero slots of usher_addrs_v1.
    var addressSlots: [UInt32: UInt32] = [:]

    /// A real server as a member of one service: what a real id names.
    struct Membership: Hashable, Comparable {
        var serviceID: UInt32
        var address: IPAddress

        static func < (a: Membership, b: Membership) -> Bool {
            (a.serviceID, a.address) < (b.serviceID, b.address)
        }
    }

    /// Present real ids by membership, from each entry's service_id and address (the lowest id,
    /// should a membership appear twice: the others are then cleared as unused).
    func realIDsByMembership() -> [Membership: UInt32] {
        var out: [Membership: UInt32] = [:]
        for (id, real) in reals {
            guard let address = IPAddress(abiBytes: getBytes(real.addr), family: real.family) else { continue }
            let member = Membership(serviceID: UInt32(real.service_id), address: address)
            out[member] = min(out[member] ?? id, id)
        }
        return out
    }
}

extension DataplaneMaps {
    /// Reads the running generation of the tables (every outer Maglev slot included: a slot
    /// left over from an interrupted apply must not be mistaken for an empty one).
    func readLive() throws -> LiveTables {
        var live = LiveTables()
        live.generation = try runningGeneration()
        let slot = live.generation & 1
        for (key, value) in try vipEntries(slot: slot) {
            guard let serviceKey = ServiceKey(abi: key) else {
                live.strayVIPKeys.append(key)
                continue
            }
            live.vips[serviceKey] = value
        }
        for (id, real) in try realEntries(slot: slot).enumerated() where real.flags & UInt8(USHER_REAL_F_PRESENT) != 0 {
            live.reals[UInt32(id)] = real
        }
        live.maglevMapIDs = try maglevEntries(slot: slot)
        live.global = try global.lookup(UInt32(0), as: usher_global.self) ?? zeroed()
        for (id, pool) in try snatPools.entries(as: (UInt32, usher_snat_pool).self) { live.snatPools[id] = pool }
        let slots = try addresses.arrayEntries(as: UInt32.self, count: Int(USHER_ADDR_SLOTS))
        for (slot, value) in slots.enumerated() where value != 0 { live.addressSlots[UInt32(slot)] = value }
        return live
    }

    /// The kernel id of the running generation's inner map of service `id`, or nil if it has none.
    func maglevSlot(_ id: UInt32) throws -> UInt32? {
        guard id < UInt32(USHER_MAX_SERVICES) else { return nil }
        return try maglev.lookup((try runningGeneration() & 1) * UInt32(USHER_MAX_SERVICES) + id, as: UInt32.self)
    }
}
