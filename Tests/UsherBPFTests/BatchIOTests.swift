import CLibBPF
import CUsherABI
import Foundation
import Testing
@testable import UsherBPF
import UsherCore
import UsherTestSupport

/// The batched map I/O of `apply` (BPF_MAP_UPDATE_BATCH / BPF_MAP_LOOKUP_BATCH), read back from
/// the kernel one element at a time, so a batch that writes or reads the wrong entries fails here.
@Suite("Batched map I/O", .serialized, .enabled(if: Privileges.rootAndBPFFS, Privileges.requirement))
struct BatchIOTests {
    /// Every slot of an inner map, read with one lookup per slot (not the batch path under test).
    static func slotsOneByOne(mapID: UInt32) throws -> [UInt32] {
        let fd = bpf_map_get_fd_by_id(mapID)
        try #require(fd >= 0, "map id \(mapID) exists")
        let owned = OwnedFD(fd)
        let map = MapFD(fd: owned.fd, name: "inner \(mapID)")
        let count = try map.info().max_entries
        return try (0..<count).map { try #require(try map.lookup($0, as: UInt32.self)) }
    }

    @Test("a Maglev table of 65537 slots written through a mapping, or in batches, reads back exactly, slot for slot")
    func fullTableRoundTrip() throws {
        let pins = PinDir()
        defer { pins.remove() }
        let dp = try Dataplane(pinDirectory: pins.path)
        var rng = SystemRandomNumberGenerator()
        let slots = [UInt32(65537)] + (0..<65537).map { _ in UInt32.random(in: 0..<UInt32(USHER_MAX_REALS), using: &rng) }
        for mapped in [true, false] {
            let (table, mapID, warnings) = try dp.buildMaglevTable(serviceID: 9, slots: slots, mapped: mapped)
            #expect(warnings.isEmpty, "mapped \(mapped): no fallback")
            #expect(try Self.slotsOneByOne(mapID: mapID) == slots, "mapped \(mapped)")
            let map = MapFD(fd: table.fd, name: "inner")
            #expect(try map.arrayEntries(as: UInt32.self, count: slots.count) == slots, "the batched read agrees")
            let flags = try map.info().map_flags
            #expect((flags & UInt32(BPF_F_MMAPABLE) != 0) == mapped, "mapped \(mapped): flags \(flags)")
        }
    }

    @Test("apply of several services: every outer slot holds the recorded table, slot for slot the Maglev computation")
    func applyMatchesMaglev() throws {
        let pins = PinDir()
        defer { pins.remove() }
        let dp = try Dataplane(pinDirectory: pins.path)
        let services = (0..<6).map { s in
            VirtualService(
                name: "svc-\(s)", vip: ip("203.0.113.\(10 + s)"), port: 80, proto: .tcp, mode: .dsrL2,
                maglevTableSize: s == 0 ? 65537 : 251,
                reals: (0..<(3 + s)).map { r in
                    RealServer(address: ip("198.51.100.\(20 + r)"), weight: UInt32(1 + r % 3),
                               mac: mac("02:00:00:00:01:\(String(format: "%02x", 20 + r))"))
                })
        }
        let config = BalancerConfig(services: services)
        let state = try dp.apply(config, previous: nil, resolver: FixedResolver([:]))

        let live = try dp.maps.readLive()
        #expect(live.maglevMapIDs.count == services.count, "one outer slot per service, read by the batched scan")
        #expect(live.vips.count == services.count, "every VIP read by the batched scan")
        for entry in state.services {
            let mapID = try #require(entry.tableMapID)
            #expect(live.maglevMapIDs[entry.id] == mapID, "outer slot \(entry.id) holds the table of \(entry.name)")
            let expected = Maglev.table(
                backends: entry.backends.map { MaglevBackend(key: $0.address.bytes, weight: $0.weight) },
                size: Int(entry.tableSize))
            let want = [entry.tableSize] + expected.map { $0 < 0 ? UInt32(USHER_NO_REAL) : entry.backends[Int($0)].realID }
            #expect(try Self.slotsOneByOne(mapID: mapID) == want, "\(entry.name): slot for slot")
        }

        // Unchanged re-apply swaps nothing; the outer scan still finds the same tables.
        let again = try dp.apply(config, previous: state, resolver: FixedResolver([:]))
        #expect(again.services.map(\.tableMapID) == state.services.map(\.tableMapID))
        #expect(try dp.maps.readLive().maglevMapIDs == live.maglevMapIDs)
    }

    @Test("the flow dump reads tracked flows in batches: every flow once with its own value, truncated at the limit")
    func conntrackDump() throws {
        let pins = PinDir()
        defer { pins.remove() }
        let dp = try Dataplane(pinDirectory: pins.path)
        for i in 0..<300 {
            var key = zeroed(usher_flow_key.self)
            setBytes(&key.src, [192, 0, 2, UInt8(i % 250)] + [UInt8](repeating: 0, count: 12))
            setBytes(&key.dst, [203, 0, 113, 10] + [UInt8](repeating: 0, count: 12))
            key.sport = UInt16(10_000 + i).bigEndian
            key.dport = UInt16(80).bigEndian
            key.proto = 6
            key.family = 4
            var flow = zeroed(usher_flow.self)
            flow.real_id = UInt32(i)
            flow.service_id = UInt32(i % 7)
            dp.maps.flows.update(key, flow)
        }
        let all = try dp.dump(flowLimit: 1000).conntrack
        #expect(!all.truncated)
        #expect(all.flows.count == 300)
        #expect(Set(all.flows.map(\.client)).count == 300, "no flow read twice")
        for flow in all.flows {
            let port = try #require(flow.client.split(separator: ":").last.flatMap { Int($0) })
            #expect(flow.realID == UInt32(port - 10_000), "\(flow.client) comes with its own value")
            #expect(flow.serviceID == UInt32((port - 10_000) % 7))
        }
        let some = try dp.dump(flowLimit: 100).conntrack
        #expect(some.truncated && some.flows.count == 100)
    }
}
