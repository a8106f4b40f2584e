import CLibBPF
import CUsherABI
import Foundation

/// An XDP program stays attached when `usher` is upgraded: the old build's balancer keeps
/// running against the tables it was loaded with. Where a new build renamed a table (a new
/// layout or flags: `usher_stats_v3`, `usher_nat_v2`, ...), the old program goes on writing the
/// old one while the control plane reads and writes the new: counters freeze, flows are not
/// listed, synced nor flushed. `apply` therefore replaces a balancer of another build on the
/// interfaces it keeps, and carries what the old NAT tables gained since the pins moved.
extension Dataplane {
    /// A map an attached program uses.
    struct ProgramMap {
        var id: UInt32
        var name: String
    }

    /// The maps program `id` uses (kernel names: at most 15 characters).
    static func maps(ofProgram id: UInt32) throws -> [ProgramMap] {
        let fd = bpf_prog_get_fd_by_id(id)
        guard fd >= 0 else { throw BPFError.call("bpf_prog_get_fd_by_id", on: "program id \(id)", errno: errno) }
        let program = OwnedFD(fd)
        var ids = [UInt32](repeating: 0, count: 128)
        var info = bpf_prog_info()
        var length = UInt32(MemoryLayout<bpf_prog_info>.size)
        let result = ids.withUnsafeMutableBufferPointer { buffer in
            info.nr_map_ids = UInt32(buffer.count)
            info.map_ids = UInt64(UInt(bitPattern: buffer.baseAddress))
            return bpf_obj_get_info_by_fd(program.fd, &info, &length)
        }
        guard result == 0 else { throw BPFError.call("bpf_obj_get_info_by_fd", on: "program id \(id)", errno: errno) }
        return try ids.prefix(Int(min(info.nr_map_ids, 128))).map { mapID in
            let mapFD = bpf_map_get_fd_by_id(mapID)
            guard mapFD >= 0 else { throw BPFError.call("bpf_map_get_fd_by_id", on: "map id \(mapID)", errno: errno) }
            let owned = OwnedFD(mapFD)
            let mapInfo = try MapFD(fd: owned.fd, name: "map id \(mapID)").info()
            let name = withUnsafeBytes(of: mapInfo.name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            return ProgramMap(id: mapID, name: name)
        }
    }

    /// The tables of program `id` that are not this build's: an Usher table whose name this
    /// build does not have, or one of this build's pinned tables in another copy than the pin.
    /// Empty for a balancer of this build (its private maps, such as the SNAT scratch, and
    /// libbpf's own `.rodata`-like maps are not counted).
    func foreignTables(ofProgram id: UInt32) throws -> [ProgramMap] {
        var pinned: [String: UInt32] = [:], names: Set<String> = []
        for map in object.maps {
            let name = String(String(cString: bpf_map__name(map)).prefix(15))
            names.insert(name)
            if bpf_map__pin_path(map) != nil {
                pinned[name] = try MapFD(fd: bpf_map__fd(map), name: name).info().id
            }
        }
        return try Self.maps(ofProgram: id).filter { map in
            guard map.name.hasPrefix("usher_"), !map.name.contains(".") else { return false }
            if let id = pinned[map.name] { return id != map.id }
            return !names.contains(map.name)
        }
    }

    /// Replaces Usher's balancer on `interface` with this build's if it is another build's
    /// (`foreignTables`), keeping its mode; then copies into this build's NAT tables what the
    /// old program's own NAT tables hold that they do not (entries made since the pins were
    /// carried over). Returns nil when the balancer there is this build's, or absent.
    public func replaceIfAnotherBuild(interface: String) throws -> AttachmentInfo? {
        try replaceIfAnotherBuild(on: XDPHook(interface: interface))
    }

    /// `replaceIfAnotherBuild(interface:)` on a hook already read.
    func replaceIfAnotherBuild(on hook: XDPHook) throws -> AttachmentInfo? {
        let interface = hook.interface
        guard let mode = hook.mode, let ours = hook.usherPrograms.first(where: { $0.0 == .balancer })?.1 else { return nil }
        let foreign = try foreignTables(ofProgram: ours.id)
        guard !foreign.isEmpty else { return nil }
        // Held open across the replacement: the old program's tables live only as long as
        // something refers to them.
        let retired: [(RetiredMap, OwnedFD)] = foreign.compactMap { map in
            guard let which = RetiredMap(rawValue: map.name) else { return nil }
            let fd = bpf_map_get_fd_by_id(map.id)
            return fd >= 0 ? (which, OwnedFD(fd)) : nil
        }
        let info: AttachmentInfo
        if hook.viaDispatcher {
            // libxdp's dispatcher has no in-place swap of one component: out, then in.
            try detach(interface: interface)
            info = try attachChecked(.balancer, on: XDPHook(interface: interface), mode: mode)
        } else {
            info = try replace(ours, on: hook, with: .balancer, mode: mode) // XDP_FLAGS_REPLACE
        }
        for (which, fd) in retired {
            _ = try which.copy(MapFD(fd: fd.fd, name: which.rawValue), into: maps)
        }
        return info
    }

    /// What `usher status` says of balancer `programID` if it is another build's: which of its
    /// tables are not this build's, and that the next apply or attach replaces it; nil for
    /// this build's (or when its maps cannot be read: status says what it can).
    func anotherBuildNote(programID: UInt32) -> String? {
        guard let foreign = try? foreignTables(ofProgram: programID), !foreign.isEmpty else { return nil }
        return "another build's balancer (its tables \(foreign.map(\.name).joined(separator: ", ")) are not this build's): " +
            "`usher apply` or `usher attach` replaces it"
    }
}
