import CLibBPF
import CUsherABI
import Foundation
import Testing
@testable import UsherBPF
import UsherCore
import UsherTestSupport

/// The inner Maglev maps `apply` creates: BPF_F_MMAPABLE and written through a mapping when the
/// outer map's template says so (this build's maps.h), plain and written in batches when a
/// pinned outer map from an older build does not, the tables reading back the same either way.
@Suite("Maglev inner maps", .serialized, .enabled(if: Privileges.rootAndBPFFS, Privileges.requirement))
struct MaglevInnerMapTests {
    static let config = BalancerConfig(services: (0..<3).map { s in
        VirtualService(
            name: "svc-\(s)", vip: ip("203.0.113.\(30 + s)"), port: 443, proto: .tcp, mode: .dsrL2,
            maglevTableSize: s == 0 ? 65537 : 1021,
            reals: (0..<(2 + s)).map { r in
                RealServer(address: ip("198.51.100.\(40 + r)"), mac: mac("02:00:00:00:01:\(String(format: "%02x", 40 + r))"))
            })
    })

    /// Applies `config`; expects every service's table flagged `mapped` and slot for slot Maglev's.
    static func applyAndCheck(_ dp: Dataplane, mapped: Bool) throws {
        let state = try dp.apply(config, previous: nil, resolver: FixedResolver([:]))
        #expect(state.warnings.isEmpty, "no fallback: \(state.warnings)")
        for entry in state.services {
            let mapID = try #require(entry.tableMapID)
            let fd = bpf_map_get_fd_by_id(mapID)
            try #require(fd >= 0)
            let inner = OwnedFD(fd)
            let flags = try MapFD(fd: inner.fd, name: "inner").info().map_flags
            #expect((flags & UInt32(BPF_F_MMAPABLE) != 0) == mapped, "\(entry.name): flags \(flags)")
            let expected = Maglev.table(
                backends: entry.backends.map { MaglevBackend(key: $0.address.bytes, weight: $0.weight) },
                size: Int(entry.tableSize))
            let want = [entry.tableSize] + expected.map { $0 < 0 ? UInt32(USHER_NO_REAL) : entry.backends[Int($0)].realID }
            #expect(try BatchIOTests.slotsOneByOne(mapID: mapID) == want, "\(entry.name): slot for slot")
        }
    }

    @Test("a fresh pin directory gets mapped tables; the probe of the empty outer map leaves no slot behind")
    func freshOuterMap() throws {
        let pins = PinDir()
        defer { pins.remove() }
        let dp = try Dataplane(pinDirectory: pins.path)
        #expect(try dp.maps.maglevTakesMappedTables(live: dp.maps.readLive()))
        #expect(try dp.maps.readLive().maglevMapIDs.isEmpty, "the probe's slot is removed")
        try Self.applyAndCheck(dp, mapped: true)
        #expect(try dp.maps.readLive().maglevMapIDs.count == Self.config.services.count)
    }

    @Test("an outer map pinned by an older build (template without BPF_F_MMAPABLE) still takes every table")
    func olderOuterMap() throws {
        let pins = PinDir()
        defer { pins.remove() }
        try FileManager.default.createDirectory(atPath: pins.path, withIntermediateDirectories: true)
        let template = withLibbpfOptions(bpf_map_create_opts.self) { opts in
            opts.pointee.map_flags = UInt32(BPF_F_INNER_MAP)
            return bpf_map_create(BPF_MAP_TYPE_ARRAY, "old_template", 4, 4, 1, opts)
        }
        try #require(template >= 0)
        let templateFD = OwnedFD(template)
        let outer = withLibbpfOptions(bpf_map_create_opts.self) { opts in
            opts.pointee.inner_map_fd = UInt32(templateFD.fd)
            return bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, MapName.maglev, 4, 4, UInt32(USHER_GENERATIONS * USHER_MAX_SERVICES), opts)
        }
        try #require(outer >= 0)
        let outerFD = OwnedFD(outer)
        try #require(bpf_obj_pin(outerFD.fd, pins.path + "/" + MapName.maglev) == 0, "pinned the old outer map")

        let dp = try Dataplane(pinDirectory: pins.path)
        #expect(try !dp.maps.maglevTakesMappedTables(live: dp.maps.readLive()))
        try Self.applyAndCheck(dp, mapped: false)
    }
}
