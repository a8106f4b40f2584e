import CLibBPF
import CUsherABI
import Foundation
import Testing
@testable import UsherBPF
import UsherCore
import UsherTestSupport

/// The control plane's view of the dsr flow table (FlowTable, the two arrays mapped) against the
/// data plane's own rules (BPF/lib/conntrack.h): the same set, tag and check word for a flow,
/// the same choice of way for a new one.
@Suite("Flow table", .serialized, .enabled(if: Privileges.rootAndBPFFS, Privileges.requirement))
struct FlowTableTests {
    static let vip = FlowsTests.vip, client = FlowsTests.client

    static func dataplane(_ pins: PinDir) throws -> (Dataplane, DataplaneState) {
        let dp = try Dataplane(pinDirectory: pins.path)
        return (dp, try dp.apply(FlowsTests.config(), previous: nil, resolver: FixedResolver()))
    }

    @Test("a flow the data plane tracks is found where the control plane looks, and one the control plane writes is followed by the data plane")
    func bothSidesAgree() throws {
        let pins = PinDir()
        defer { pins.remove() }
        let (dp, state) = try Self.dataplane(pins)
        let web = try #require(state.services.first { $0.name == "web" })
        let realID = try #require(state.realID(service: web.key, address: FlowsTests.real))

        // The data plane's insert (a handshake's ACK), read by the control plane.
        _ = try dp.runPacket(NATFrames.tcpFrame(from: Self.client, 40000, to: Self.vip, 443, flags: NATFrames.ack))
        let made = try #require(dp.maps.flows.lookup(FlowsTests.key(Self.client, 40000, Self.vip, 443)))
        #expect(made.real_id == realID && made.service_id == web.id)
        #expect(dp.maps.flows.count() == 1)

        // The control plane's write, found by the data plane: its next packet is a hit.
        let key = FlowsTests.key(Self.client, 40001, Self.vip, 443)
        dp.maps.flows.update(key, usher_flow(real_id: realID, service_id: web.id, last_seen_ns: Dataplane.monotonicNanoseconds()))
        let before = try dp.readStats()
        _ = try dp.runPacket(NATFrames.tcpFrame(from: Self.client, 40001, to: Self.vip, 443, flags: NATFrames.ack))
        let after = try dp.readStats()
        #expect((after.global["ct_hit"]?.packets ?? 0) - (before.global["ct_hit"]?.packets ?? 0) == 1)
        #expect((after.global["ct_confirmed"]?.packets ?? 0) == (before.global["ct_confirmed"]?.packets ?? 0),
                "no second way made for it")
        #expect(dp.maps.flows.count() == 2)
    }

    @Test("a set's seventeenth flow takes the way seen least recently; delete and removeAll empty the ways they name")
    func aFullSetGivesUpItsOldestWay() throws {
        let pins = PinDir()
        defer { pins.remove() }
        let (dp, _) = try Self.dataplane(pins)
        let table = dp.maps.flows
        // Seventeen flows of one set (of 131,072: about two million tuples tried), found by
        // their client's address and port.
        let target = FlowTable.place(FlowsTests.key(Self.client, 1024, Self.vip, 443)).set
        var keys: [usher_flow_key] = []
        search: for host in UInt8(1)...UInt8(254) {
            for port in UInt16(1024)...UInt16(65535) {
                let key = FlowsTests.key(IPAddress(bytes: [192, 0, 2, host])!, port, Self.vip, 443)
                guard FlowTable.place(key).set == target else { continue }
                keys.append(key)
                if keys.count == 17 { break search }
            }
        }
        try #require(keys.count == 17)
        let tick = UInt64(1) << UInt64(USHER_CT_TICK_SHIFT)
        let start = Dataplane.monotonicNanoseconds()
        // Seen in order, one tick apart, except the first: seen last, so the second is the oldest.
        for (i, key) in keys.prefix(16).enumerated() {
            let seen = i == 0 ? start + 20 * tick : start + UInt64(i) * tick
            table.update(key, usher_flow(real_id: UInt32(i + 1), service_id: 9, last_seen_ns: seen))
        }
        #expect(table.count() == 16 && table.occupiedWays() == 16)
        table.update(keys[16], usher_flow(real_id: 17, service_id: 9, last_seen_ns: start + 21 * tick))
        #expect(table.count() == 16, "the set was full: one way replaced")
        #expect(table.lookup(keys[1]) == nil, "the way seen least recently went")
        #expect(table.lookup(keys[0])?.real_id == 1, "a way seen since stays, whatever its place")
        #expect(table.lookup(keys[16])?.real_id == 17)

        // A flow written again keeps its way: no second copy.
        table.update(keys[2], usher_flow(real_id: 42, service_id: 9, last_seen_ns: start + 22 * tick))
        #expect(table.lookup(keys[2])?.real_id == 42 && table.count() == 16)

        #expect(table.delete(keys[3]))
        #expect(!table.delete(keys[3]), "gone already")
        #expect(table.lookup(keys[3]) == nil && table.count() == 15)
        #expect(table.removeAll { _, flow in flow.real_id > 10 } == 8, "reals 11 to 17 and 42")
        #expect(table.count() == 7, "reals 1 and 5 to 10")
        #expect(table.removeAll() == 7 && table.count() == 0 && table.occupiedWays() == 0)
    }

    @Test("an older build's usher_ct_v2 (an LRU hash) is carried into the new table when its pin directory is opened, and its pin removed")
    func theRetiredHashIsCarriedOver() throws {
        let pins = PinDir()
        defer { pins.remove() }
        try FileManager.default.createDirectory(atPath: pins.path, withIntermediateDirectories: true)
        let fd = withLibbpfOptions(bpf_map_create_opts.self) { opts in
            bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "usher_ct_v2", UInt32(MemoryLayout<usher_flow_key>.size),
                           UInt32(MemoryLayout<usher_flow>.size), 4096, opts)
        }
        try #require(fd >= 0, "bpf_map_create: errno \(errno)")
        defer { close(fd) }
        let old = MapFD(fd: fd, name: "usher_ct_v2")
        let seen = Dataplane.monotonicNanoseconds()
        for port in UInt16(2000)..<2100 {
            try old.update(FlowsTests.key(Self.client, port, Self.vip, 443), usher_flow(real_id: UInt32(port), service_id: 3, last_seen_ns: seen))
        }
        try #require(bpf_obj_pin(fd, pins.path + "/usher_ct_v2") == 0, "bpf_obj_pin: errno \(errno)")

        let (dp, _) = try Self.dataplane(pins)
        #expect(!FileManager.default.fileExists(atPath: pins.path + "/usher_ct_v2"), "the old pin is gone")
        #expect(dp.maps.flows.count() == 100)
        #expect(dp.maps.flows.lookup(FlowsTests.key(Self.client, 2042, Self.vip, 443))?.real_id == 2042)
    }
}
