import CLibBPF
import CUsherABI
import Foundation

/// The inner Maglev maps of `usher_maglev_v2`: arrays of u32 created with BPF_F_INNER_MAP (their
/// sizes differ from the template's) and, when the outer map's template says so, BPF_F_MMAPABLE,
/// which lets the control plane write a whole table through one shared mapping (about 0.1 ms
/// for 65,537 slots) instead of the kernel copying each slot on its own (about 13 ms).
enum MaglevInnerMap {
    /// Creates an empty inner map of `count` slots named `name`; mapped: with BPF_F_MMAPABLE.
    static func create(name: String, count: Int, mapped: Bool, serviceID: UInt32) throws -> OwnedFD {
        let fd = withLibbpfOptions(bpf_map_create_opts.self) { opts in
            opts.pointee.map_flags = UInt32(BPF_F_INNER_MAP) | (mapped ? UInt32(BPF_F_MMAPABLE) : 0)
            return bpf_map_create(BPF_MAP_TYPE_ARRAY, name, 4, 4, UInt32(count), opts)
        }
        guard fd >= 0 else {
            throw BPFError.call("bpf_map_create", on: "Maglev table of service id \(serviceID) (\(count) slots)", errno: errno)
        }
        return OwnedFD(fd)
    }

    /// Writes `slots` at indices 0..<count of a BPF_F_MMAPABLE array of u32 through a shared
    /// mapping. An array's elements lie 8 bytes apart (the kernel rounds value sizes up to 8).
    static func writeMapped(_ slots: [UInt32], fd: Int32, name: String) throws {
        let stride = 8
        let page = max(4096, sysconf(Int32(_SC_PAGESIZE)))
        let length = (slots.count * stride + page - 1) / page * page
        let base = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
        guard let base, base != MAP_FAILED else {
            throw BPFError.call("mmap", on: "map \(name) (\(length) bytes)", errno: errno)
        }
        defer { munmap(base, length) }
        slots.withUnsafeBufferPointer { values in
            for (index, value) in values.enumerated() {
                base.storeBytes(of: value, toByteOffset: index * stride, as: UInt32.self)
            }
        }
    }
}

extension DataplaneMaps {
    /// Whether the outer Maglev map takes BPF_F_MMAPABLE inner maps. The kernel only takes inner
    /// maps with its template's flags, and a pinned outer map keeps the template of the build
    /// that created it (maps.h has carried BPF_F_MMAPABLE since this build): a live inner map's
    /// flags tell; with none, a one-slot probe is put in a slot no service uses, then removed
    /// (the program only reads the slots of live services).
    func maglevTakesMappedTables(live: LiveTables) throws -> Bool {
        if let mapID = live.maglevMapIDs.values.first {
            let fd = bpf_map_get_fd_by_id(mapID)
            if fd >= 0 {
                let inner = OwnedFD(fd)
                return try MapFD(fd: inner.fd, name: "usher_mg (id \(mapID))").info().map_flags & UInt32(BPF_F_MMAPABLE) != 0
            }
        }
        let used = Set(live.vips.values.map(\.id)).union(live.maglevMapIDs.keys)
        guard let slot = (0..<UInt32(USHER_MAX_SERVICES)).reversed().first(where: { !used.contains($0) }) else {
            return false
        }
        guard let probe = try? MaglevInnerMap.create(name: "usher_mg_probe", count: 1, mapped: true, serviceID: slot) else {
            return false
        }
        // In the slot of the generation packets do not read: the next apply rewrites it anyway.
        var index = (1 - live.generation & 1) * UInt32(USHER_MAX_SERVICES) + slot
        var probeFD = UInt32(bitPattern: probe.fd)
        guard bpf_map_update_elem(maglev.fd, &index, &probeFD, UInt64(BPF_ANY)) == 0 else { return false }
        try maglev.delete(index)
        return true
    }
}
