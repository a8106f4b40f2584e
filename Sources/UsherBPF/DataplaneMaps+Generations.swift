import CLibBPF
import CUsherABI
import Foundation
import UsherCore

/// The two generations of the tables an apply writes: usher_vips_v2, usher_reals_v3 and
/// usher_maglev_v2 hold each generation in a slot of their own (0 or 1), and usher_gen_v1
/// names the running one (abi.h, "Generations"). Readers look at the running slot only; an
/// apply fills the other slot whole and then switches, in one write.
extension DataplaneMaps {
    /// The running generation's number (0 before the first switch); its slot is `number & 1`.
    func runningGeneration() throws -> UInt32 {
        try generation.lookup(UInt32(0), as: usher_generation.self)?.number ?? 0
    }

    /// Makes generation `number` the running one: the apply's one switch.
    func switchGeneration(to number: UInt32) throws {
        var value = zeroed(usher_generation.self)
        value.number = number
        try generation.update(UInt32(0), value)
    }

    /// The VIP entries of a generation's slot, their keys given back with slot 0 (as
    /// `ServiceKey.abi` makes them).
    func vipEntries(slot: UInt32) throws -> [(usher_vip_key, usher_service)] {
        try vips.entries(as: (usher_vip_key, usher_service).self).compactMap { key, value in
            guard UInt32(key.slot) == slot else { return nil }
            var key = key
            key.slot = 0
            return (key, value)
        }
    }

    /// Every real entry of a generation's slot, by real id (USHER_MAX_REALS of them).
    func realEntries(slot: UInt32) throws -> [usher_real] {
        try reals.arrayEntries(as: usher_real.self, start: Int(slot) * Int(USHER_MAX_REALS), count: Int(USHER_MAX_REALS))
    }

    /// Kernel ids of the inner Maglev maps of a generation's slot, by service id.
    func maglevEntries(slot: UInt32) throws -> [UInt32: UInt32] {
        let first = slot * UInt32(USHER_MAX_SERVICES)
        var out: [UInt32: UInt32] = [:]
        for (index, mapID) in try maglev.entries(as: (UInt32, UInt32).self)
        where index >= first && index < first + UInt32(USHER_MAX_SERVICES) {
            out[index - first] = mapID
        }
        return out
    }

    /// The running generation's VIP entries (keys with slot 0).
    func runningVIPs() throws -> [(usher_vip_key, usher_service)] {
        try vipEntries(slot: runningGeneration() & 1)
    }

    /// The running generation's real entries, by real id.
    func runningReals() throws -> [usher_real] {
        try realEntries(slot: runningGeneration() & 1)
    }

    /// The running generation's entry of real id `id`.
    func runningReal(_ id: UInt32) throws -> usher_real? {
        try reals.lookup((try runningGeneration() & 1) * UInt32(USHER_MAX_REALS) + id, as: usher_real.self)
    }

    /// The running generation's service under `key` (a key with slot 0, as `ServiceKey.abi`).
    func runningService(_ key: usher_vip_key) throws -> usher_service? {
        var key = key
        key.slot = UInt8(try runningGeneration() & 1)
        return try vips.lookup(key, as: usher_service.self)
    }

    /// Writes `next` into the slot of generation `number` so that it holds exactly that
    /// generation — only entries that differ from what the slot holds are written — then
    /// switches to it. Packets keep reading the running slot until the switch.
    ///
    /// The slot written is the one the previous switch left: no packet reads it any more (an
    /// XDP program runs to completion within one softirq, and that switch happened at least one
    /// apply ago).
    func writeGeneration(_ next: ApplyPlan.Generation, number: UInt32) throws {
        let slot = number & 1
        let base = slot * UInt32(USHER_MAX_REALS)
        let held = try realEntries(slot: slot)
        var realKeys: [UInt32] = [], realValues: [usher_real] = []
        for (id, value) in next.reals.sorted(by: { $0.key < $1.key }) where !sameBytes(held[Int(id)], value) {
            realKeys.append(base + id)
            realValues.append(value)
        }
        let empty = zeroed(usher_real.self)
        for (id, value) in held.enumerated() where next.reals[UInt32(id)] == nil && !sameBytes(value, empty) {
            realKeys.append(base + UInt32(id))
            realValues.append(empty)
        }
        try reals.updateBatch(keys: realKeys, values: realValues)

        try writeTables(next.tables, slot: slot)

        // Stale keys go first: the map has room for two whole generations, not for more.
        let wanted = Set(next.vips.map { getBytes($0.0) })
        var heldVIPs: [[UInt8]: usher_service] = [:]
        for (key, value) in try vipEntries(slot: slot) {
            var slotted = key
            slotted.slot = UInt8(slot)
            if wanted.contains(getBytes(key)) { heldVIPs[getBytes(key)] = value } else { _ = try vips.delete(slotted) }
        }
        for (key, value) in next.vips {
            if let current = heldVIPs[getBytes(key)], sameBytes(current, value) { continue }
            var slotted = key
            slotted.slot = UInt8(slot)
            try vips.update(slotted, value)
        }
        try writeServices(next.vips, slot: slot)
        try switchGeneration(to: number)
        // The slot just left takes the same inner maps, so that each table exists once: the
        // tables only the old generation used are freed now rather than at the next apply.
        try writeTables(next.tables, slot: 1 - slot)
    }

    /// Makes usher_svcs_v1's slot `slot` hold exactly the services of `vips` by id, each with its
    /// key: one batch of the entries that differ (a removed service's entry zeroed).
    private func writeServices(_ vips: [(usher_vip_key, usher_service)], slot: UInt32) throws {
        let base = slot * UInt32(USHER_MAX_SERVICES)
        let held = try services.arrayEntries(as: usher_service_entry.self, start: Int(base), count: Int(USHER_MAX_SERVICES))
        var wanted: [UInt32: usher_service_entry] = [:]
        for (key, value) in vips where value.id < UInt32(USHER_MAX_SERVICES) {
            var entry = zeroed(usher_service_entry.self)
            entry.key = key
            entry.svc = value
            wanted[value.id] = entry
        }
        let empty = zeroed(usher_service_entry.self)
        var keys: [UInt32] = [], values: [usher_service_entry] = []
        for (id, value) in held.enumerated() {
            let next = wanted[UInt32(id)] ?? empty
            if !sameBytes(value, next) {
                keys.append(base + UInt32(id))
                values.append(next)
            }
        }
        try services.updateBatch(keys: keys, values: values)
    }

    /// Makes the outer Maglev slots of generation slot `slot` hold `tables` (by service id): one
    /// batch update of the slots that differ (one wait for running programs), then a delete per
    /// service that has no table any more.
    private func writeTables(_ tables: [UInt32: ApplyPlan.Generation.Table], slot: UInt32) throws {
        let base = slot * UInt32(USHER_MAX_SERVICES)
        let held = try maglevEntries(slot: slot)
        var opened: [OwnedFD] = [] // tables kept from the running generation, opened by id
        var keys: [UInt32] = [], fds: [UInt32] = []
        for (serviceID, table) in tables.sorted(by: { $0.key < $1.key }) where held[serviceID] != table.mapID {
            let fd: Int32
            if let owned = table.fd {
                fd = owned.fd
            } else {
                let got = bpf_map_get_fd_by_id(table.mapID)
                guard got >= 0 else {
                    throw BPFError.call("bpf_map_get_fd_by_id", on: "Maglev table map id \(table.mapID) of service id \(serviceID)", errno: errno)
                }
                opened.append(OwnedFD(got))
                fd = got
            }
            keys.append(base + serviceID)
            fds.append(UInt32(bitPattern: fd))
        }
        try maglev.updateBatch(keys: keys, values: fds)
        for serviceID in held.keys.sorted() where tables[serviceID] == nil {
            _ = try maglev.delete(base + serviceID)
        }
        withExtendedLifetime(opened) {}
    }
}
