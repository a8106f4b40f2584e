import Foundation
import Testing
import UsherTestSupport

/// A NAT change that fails — an invalid file, a pool still in use, a conflicting pool or
/// service — leaves the maps exactly as they were: what `maps dump --json`, `service list`
/// and `real list` print, and the raw bytes of the SNAT, address-filter and global maps.
@Suite("NAT atomicity", .enabled(if: Privileges.rootAndBPFFS, Privileges.requirement))
struct NATAtomicityTests {
    /// `bpftool map dump` of the maps only NAT writes, joined.
    static func rawNATMaps(_ sandbox: Sandbox) throws -> String {
        try ["usher_snat_v1", "usher_addrs_v1", "usher_global_v2", "usher_vips_v2"].map { name in
            "\(name):\n" + (try Subprocess.tool("bpftool", "map", "dump", "pinned", "\(sandbox.pinDir)/\(name)").stdout)
        }.joined(separator: "\n")
    }

    @Test("invalid NAT configs and refused NAT commands leave every map byte for byte")
    func failedNATChangesChangeNothing() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try sandbox.ok("apply", "-f", try sandbox.write("nat.yaml", Configs.nat))
        let before = try sandbox.snapshot()
        let raw = try Self.rawNATMaps(sandbox)
        #expect(before.dump.contains("\"198.51.100.3\""), "the pool is in the maps: \(before.dump)")

        // (a) Invalid files: a service naming a pool that is gone; a range smaller than the CPUs.
        let gone = try sandbox.write("gone.yaml", Configs.nat.replacingOccurrences(of: "snat-pool: lb-snat", with: "snat-pool: lb-old"))
        let a = try sandbox.usher("apply", "-f", gone)
        #expect(a.status == 65, "\(a)")
        #expect(a.stderrLines.first == "\(gone):24:16: services[1].snat-pool: no SNAT pool named \"lb-old\" (known pools: lb-snat, lb6)", "\(a)")
        let small = try sandbox.write("small.yaml", Configs.nat.replacingOccurrences(of: "ports: 20000-29999", with: "ports: 20000-20000"))
        let b = try sandbox.usher("apply", "-f", small)
        #expect(b.status == 65, "\(b)")
        #expect(b.stderrLines.first?.hasPrefix("\(small):4:12: snat-pools[0].ports: ports 20000-20000 hold 1 port for ") == true, "\(b)")

        // (b) Refused commands.
        let refused: [[String]] = [
            ["snat-pool", "remove", "lb-snat"],
            ["snat-pool", "add", "again", "--address", "198.51.100.3"],
            ["snat-pool", "add", "onvip", "--address", "203.0.113.13"],
            ["service", "add", "app2", "--vip", "203.0.113.21", "--port", "80", "--mode", "nat", "--snat-pool", "lb6"],
            ["real", "add", "web", "198.51.100.14", "--port", "8080", "--mac", "02:00:00:00:00:14"],
            ["real", "add", "app6", "198.51.100.14", "--mac", "02:00:00:00:00:14"],
        ]
        for arguments in refused {
            let result = try sandbox.usher(arguments)
            #expect(result.status == 1, "\(result)")
        }
        #expect(try sandbox.snapshot() == before)
        #expect(try Self.rawNATMaps(sandbox) == raw, "the SNAT, filter, global and VIP maps are byte for byte as they were")

        // A valid change of the pool does reach the maps: the comparison above can tell.
        let moved = try sandbox.write("moved.yaml", Configs.nat.replacingOccurrences(of: "ports: 20000-29999", with: "ports: 30000-39999"))
        #expect(try sandbox.ok("apply", "-f", moved) == "~ snat-pool lb-snat: ports 20000-29999 → 30000-39999\nApplied \(moved).\n")
        #expect(try Self.rawNATMaps(sandbox) != raw)
        #expect(try sandbox.snapshot().dump.contains("\"30000-39999\""))
    }
}
