import Foundation
import Testing
import UsherTestSupport

/// `usher maps dump` for people: the tables line up under their headers.
@Suite("Maps dump text", .enabled(if: Privileges.rootAndBPFFS, Privileges.requirement))
struct MapsDumpTextTests {
    /// The lines of the table that follows the line `title`, up to the next blank line.
    static func table(_ text: String, after title: String) -> [String] {
        let lines = text.components(separatedBy: "\n")
        guard let start = lines.firstIndex(of: title) else { return [] }
        return Array(lines[(start + 1)...].prefix { !$0.isEmpty })
    }

    @Test("VIP and real tables: every cell starts under its header")
    func columnsLineUp() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try sandbox.ok("apply", "-f", try sandbox.write("base.yaml", Configs.base))
        let text = try sandbox.ok("maps", "dump")
        #expect(text.hasPrefix("Maps pinned in \(sandbox.pinDir)\n"))

        let vips = Self.table(text, after: "usher_vips_v2 + usher_maglev_v2:")
        try #require(vips.count == 3, "a header and two services: \(text)")
        let serviceColumn = try #require(vips[0].range(of: "SERVICE")).lowerBound.utf16Offset(in: vips[0])
        for (row, service) in zip(vips.dropFirst(), ["203.0.113.10:80/tcp", "203.0.113.53:53/udp"]) {
            #expect(row.range(of: service)?.lowerBound.utf16Offset(in: row) == serviceColumn, "\n\(vips.joined(separator: "\n"))")
        }

        let reals = Self.table(text, after: "usher_reals_v3:")
        try #require(reals.count == 4, "a header and three reals: \(text)")
        let addressColumn = try #require(reals[0].range(of: "ADDRESS")).lowerBound.utf16Offset(in: reals[0])
        for (row, address) in zip(reals.dropFirst(), ["198.51.100.11", "198.51.100.12", "198.51.100.21"]) {
            #expect(row.range(of: address)?.lowerBound.utf16Offset(in: row) == addressColumn, "\n\(reals.joined(separator: "\n"))")
        }
        #expect(text.contains("usher_global_v2: ipip source v4 198.51.100.64/26, v6 (unset)"), "\(text)")
    }

    @Test("NAT parts: SNAT pools with ports in use, the address filter, NAT flows, the NAT globals")
    func natParts() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try sandbox.ok("apply", "-f", try sandbox.write("nat.yaml", Configs.nat))
        let text = try sandbox.ok("maps", "dump")
        let pools = Self.table(text, after: "usher_snat_v1:")
        try #require(pools.count == 3, "a header and one line per pool address: \(text)")
        #expect(pools[0].split(separator: " ") == ["ID", "ADDRESS", "PORTS", "IN", "USE"])
        let rows = pools.dropFirst().map { $0.split(separator: " ").map(String.init) }
        #expect(Set(rows.map { Array($0.dropFirst()) }) == [["198.51.100.3", "20000-29999", "0"], ["2001:db8:2::3", "1024-65535", "0"]],
                "\(text)")
        // VIP:port slots for the four VIPs, one SNAT slot per pool address, one gateway real.
        #expect(text.contains("usher_addrs_v1: 7 slots in use: vip-port 4, vip-all 0, snat 2, gateway-real 1\n"), "\(text)")
        #expect(Self.table(text, after: "usher_nat_v2 + usher_natrev_v2:") == ["  (empty)"], "\(text)")
        #expect(text.contains("usher_global_v2: nat on, "), "\(text)")
        #expect(text.contains(" CPUs, timeouts tcp idle 600s, tcp closed 60s, udp idle 60s"), "\(text)")
    }
}
