import CLibBPF
import CUsherABI
import Foundation

/// Tables an older build pinned under another name, whose entries must not be lost on upgrade.
/// `usher_nat_v1` and `usher_natrev_v1` (per-CPU LRU lists) became `usher_nat_v2` and
/// `usher_natrev_v2` (one common LRU: Docs/ARCHITECTURE.md, NAT tables): a translation left
/// behind would be a nat or gateway connection broken by the upgrade. `usher_ct_v2` (an LRU hash)
/// became the set-associative `usher_ct_v3`: a dsr flow it loses would be placed again by
/// Maglev, moved if the tables changed since it began or its real drains, so its flows are
/// carried too.
extension Dataplane {
    /// A retired map, by its pinned name.
    enum RetiredMap: String, CaseIterable {
        case natFlows = "usher_nat_v1", natReplies = "usher_natrev_v1", flows = "usher_ct_v2"

        /// The value size its entries must have (the key is a `usher_flow_key`).
        var valueSize: Int {
            switch self {
            case .natFlows: MemoryLayout<usher_nat_flow>.size
            case .natReplies: MemoryLayout<usher_nat_reply>.size
            case .flows: MemoryLayout<usher_flow>.size
            }
        }

        /// Copies `old`'s entries into the successor in `maps`; returns how many were new there.
        func copy(_ old: MapFD, into maps: DataplaneMaps) throws -> Int {
            switch self {
            case .natFlows: try Dataplane.carry(old, into: maps.natFlows, as: usher_nat_flow.self)
            case .natReplies: try Dataplane.carry(old, into: maps.natReplies, as: usher_nat_reply.self)
            case .flows:
                try old.entries(as: (usher_flow_key, usher_flow).self).reduce(0) { count, entry in
                    guard maps.flows.lookup(entry.0) == nil else { return count }
                    maps.flows.update(entry.0, entry.1)
                    return count + 1
                }
            }
        }
    }

    /// Copies the entries of every retired map pinned in the pin directory into its successor
    /// (an entry the successor already has is kept: it is the newer), then removes the old pin,
    /// so this happens once. Returns how many entries were carried over, by old map name.
    ///
    /// Packets the older program (still attached until this build's replaces it) handles after
    /// the copy write to the old map: a connection that starts in that instant is not carried.
    @discardableResult
    func carryOverRetiredMaps() throws -> [String: Int] {
        var carried: [String: Int] = [:]
        for retired in RetiredMap.allCases {
            let path = pinDirectory + "/" + retired.rawValue
            guard FileManager.default.fileExists(atPath: path) else { continue }
            let fd = bpf_obj_get(path)
            guard fd >= 0 else { throw BPFError.call("bpf_obj_get", on: "retired map \(path)", errno: errno) }
            let owned = OwnedFD(fd)
            let old = MapFD(fd: owned.fd, name: retired.rawValue)
            let info = try old.info()
            // Another layout than the one this build knows: not ours to read; left in place.
            guard info.key_size == MemoryLayout<usher_flow_key>.size, info.value_size == retired.valueSize else { continue }
            carried[retired.rawValue] = try retired.copy(old, into: maps)
            guard unlink(path) == 0 else { throw BPFError.call("unlink", on: "retired map \(path)", errno: errno) }
        }
        return carried
    }

    fileprivate static func carry<V: BitwiseCopyable>(_ old: MapFD, into new: MapFD, as _: V.Type) throws -> Int {
        var count = 0
        for (key, value) in try old.entries(as: (usher_flow_key, V).self) {
            do {
                try new.update(key, value, flags: UInt64(BPF_NOEXIST))
                count += 1
            } catch let error as BPFError where error.errno == EEXIST {
                continue
            }
        }
        return count
    }
}
