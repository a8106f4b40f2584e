import CLibBPF
import CUsherABI
import Foundation
import Testing
@testable import UsherBPF
import UsherCore
import UsherTestSupport

/// The NAT tables hold a live translation until the whole table is full, whichever CPU made it:
/// a lost entry is a broken connection. With per-CPU LRU lists (BPF_F_NO_COMMON_LRU, the v1
/// tables) each CPU owned `entries / CPUs` and evicted from its own share, so traffic that RSS
/// put on one CPU lost translations at half the table on two CPUs, at 1/64 on 64.
@Suite("NAT tables", .serialized, .enabled(if: Privileges.rootAndBPFFS, Privileges.requirement))
struct NATTableTests {
    /// Keys of `count` distinct TCP client tuples (source address and port varied).
    static func keys(_ count: Int) -> [usher_flow_key] {
        (0..<count).map { i in
            var key = zeroed(usher_flow_key.self)
            setBytes(&key.src, ip("192.0.2.\(1 + i / 60000)").paddedBytes)
            setBytes(&key.dst, ip("203.0.113.20").paddedBytes)
            key.sport = UInt16(1024 + i % 60000).bigEndian
            key.dport = UInt16(80).bigEndian
            key.proto = 6
            key.family = 4
            return key
        }
    }

    @Test("three quarters of each NAT table, written from one CPU, are all kept (per-CPU lists would have kept 1/CPUs)")
    func oneCPUFillsTheWholeTable() throws {
        let pins = PinDir()
        defer { pins.remove() }
        let dp = try Dataplane(pinDirectory: pins.path)
        let cpus = try BPFSystem.possibleCPUs()
        let capacity = Int(try dp.maps.natFlows.info().max_entries)
        #expect(try dp.maps.natReplies.info().max_entries == UInt32(capacity))
        let count = capacity / 4 * 3
        let keys = Self.keys(count)

        try CPUAffinity.forEach(cpus: 1) { _ in
            try dp.maps.natFlows.updateBatch(keys: keys, values: Array(repeating: zeroed(usher_nat_flow.self), count: count))
            try dp.maps.natReplies.updateBatch(keys: keys, values: Array(repeating: zeroed(usher_nat_reply.self), count: count))
        }
        #expect(try dp.maps.natFlows.entries(as: (usher_flow_key, usher_nat_flow).self).count == count)
        #expect(try dp.maps.natReplies.entries(as: (usher_flow_key, usher_nat_reply).self).count == count)

        // The control: the same writes into a table of the same size with per-CPU lists lose
        // all but one CPU's share (on a machine of one CPU both keep everything).
        let fd = withLibbpfOptions(bpf_map_create_opts.self) { opts in
            opts.pointee.map_flags = UInt32(BPF_F_NO_COMMON_LRU)
            return bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "nat_control", UInt32(MemoryLayout<usher_flow_key>.size),
                                  UInt32(MemoryLayout<usher_nat_flow>.size), UInt32(capacity), opts)
        }
        try #require(fd >= 0, "bpf_map_create: errno \(errno)")
        let control = MapFD(fd: fd, name: "nat_control")
        defer { close(fd) }
        try CPUAffinity.forEach(cpus: 1) { _ in
            try control.updateBatch(keys: keys, values: Array(repeating: zeroed(usher_nat_flow.self), count: count))
        }
        let kept = try control.entries(as: (usher_flow_key, usher_nat_flow).self).count
        #expect(kept <= (cpus > 1 ? capacity / cpus : count), "per-CPU lists kept \(kept) of \(count) on \(cpus) CPUs")
    }

    @Test("an older build's NAT tables (usher_nat_v1, usher_natrev_v1) are carried into the new ones once, newer entries kept, old pins removed")
    func retiredTablesCarriedOver() throws {
        let pins = PinDir()
        defer { pins.remove() }
        let keys = Self.keys(3)
        do {
            let dp = try Dataplane(pinDirectory: pins.path)
            var newer = zeroed(usher_nat_flow.self)
            newer.real_id = 99
            try dp.maps.natFlows.update(keys[2], newer)
        }
        // What a build with per-CPU lists left pinned: three flows both ways.
        for (name, valueSize) in [("usher_nat_v1", MemoryLayout<usher_nat_flow>.size), ("usher_natrev_v1", MemoryLayout<usher_nat_reply>.size)] {
            let fd = withLibbpfOptions(bpf_map_create_opts.self) { opts in
                opts.pointee.map_flags = UInt32(BPF_F_NO_COMMON_LRU)
                return bpf_map_create(BPF_MAP_TYPE_LRU_HASH, name, UInt32(MemoryLayout<usher_flow_key>.size), UInt32(valueSize), 1024, opts)
            }
            try #require(fd >= 0, "bpf_map_create: errno \(errno)")
            defer { close(fd) }
            let map = MapFD(fd: fd, name: name)
            for (i, key) in keys.enumerated() {
                if name == "usher_nat_v1" {
                    var flow = zeroed(usher_nat_flow.self)
                    flow.real_id = UInt32(i + 1)
                    flow.snat_port = UInt16(2000 + i).bigEndian
                    try map.update(key, flow)
                } else {
                    var reply = zeroed(usher_nat_reply.self)
                    reply.client = key
                    reply.real_id = UInt32(i + 1)
                    try map.update(key, reply)
                }
            }
            try #require(bpf_obj_pin(fd, pins.path + "/" + name) == 0, "bpf_obj_pin: errno \(errno)")
        }

        let dp = try Dataplane(pinDirectory: pins.path)
        let flows = try dp.maps.natFlows.entries(as: (usher_flow_key, usher_nat_flow).self)
        #expect(flows.count == 3)
        for (i, key) in keys.enumerated() {
            let flow = try #require(try dp.maps.natFlows.lookup(key, as: usher_nat_flow.self))
            #expect(flow.real_id == (i == 2 ? 99 : UInt32(i + 1)), "flow \(i): the newer entry is kept")
            let reply = try #require(try dp.maps.natReplies.lookup(key, as: usher_nat_reply.self))
            #expect(reply.real_id == UInt32(i + 1) && reply.client.sport == key.sport)
        }
        for name in ["usher_nat_v1", "usher_natrev_v1"] {
            #expect(!FileManager.default.fileExists(atPath: pins.path + "/" + name), "\(name) unpinned")
        }
        #expect(try dp.carryOverRetiredMaps().isEmpty, "once only")
    }
}
