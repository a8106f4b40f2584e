import Foundation
import Testing
@testable import UsherCore

/// Reading and checking `bgp:`: what a valid section becomes (BFD on, 3 s hold time, every
/// service's VIP), and each wrong value located at its line and field with what to do.
@Suite struct BGPConfigTests {
    /// `bgp:` on line 1, its fields from line 2 in the order given, then one service (VIP 203.0.113.10).
    static func file(_ fields: [String]) -> String {
        (["bgp:"] + fields.map { "  \($0)" }).joined(separator: "\n") + "\n" + serviceFile()
    }

    static let minimal = ["local-as: 65001", "router-id: 192.0.2.11", "neighbors: [{address: 192.0.2.1, as: 65000}]"]

    @Test func aSectionWithDefaults() throws {
        let config = try ConfigLoader.parse(yaml: Self.file(Self.minimal), file: "f")
        let bgp = try #require(config.bgp)
        #expect(bgp == BGPSettings(localAS: 65001, routerID: IPAddress("192.0.2.11")!,
                                   neighbors: [BGPNeighbor(address: IPAddress("192.0.2.1")!, remoteAS: 65000)],
                                   holdTime: 3, bfd: true, bfdIntervalMilliseconds: 100, announce: nil, nextHop: nil))
        #expect(bgp.candidateVIPs(of: config.services) == [IPAddress("203.0.113.10")!])
    }

    @Test func everyField() throws {
        let config = try ConfigLoader.parse(yaml: Self.file([
            "local-as: 4200000001", "router-id: 192.0.2.11", "neighbors:", "  - address: 192.0.2.1", "    as: 65000",
            "  - address: 2001:db8::1", "    as: 65000", "hold-time: 9s", "bfd: false", "bfd-interval: 50ms",
            "announce: [203.0.113.10]", "next-hop: 192.0.2.21",
        ]), file: "f")
        let bgp = try #require(config.bgp)
        #expect(bgp.localAS == 4_200_000_001)
        #expect(bgp.neighbors.map(\.address.description) == ["192.0.2.1", "2001:db8::1"])
        #expect(bgp.holdTime == 9)
        #expect(bgp.bfd == false)
        #expect(bgp.bfdIntervalMilliseconds == 50)
        #expect(bgp.announce == [IPAddress("203.0.113.10")!])
        #expect(bgp.nextHop == IPAddress("192.0.2.21"))
    }

    @Test func noSectionNoBGP() throws {
        #expect(try ConfigLoader.parse(yaml: serviceFile(), file: "f").bgp == nil)
    }

    @Test(arguments: [
        (["router-id: 192.0.2.11", "neighbors: [{address: 192.0.2.1, as: 65000}]"], 1, "bgp.local-as", "missing field \"local-as\""),
        (["local-as: 0", "router-id: 192.0.2.11", "neighbors: [{address: 192.0.2.1, as: 65000}]"], 2, "bgp.local-as", "local-as 0 is out of range"),
        (["local-as: 65001", "router-id: 2001:db8::11", "neighbors: [{address: 192.0.2.1, as: 65000}]"], 3, "bgp.router-id", "is an IPv6 address"),
        (["local-as: 65001", "router-id: 192.0.2.11", "neighbors: []"], 4, "bgp.neighbors", "no neighbour given"),
        (["local-as: 65001", "router-id: 192.0.2.11", "neighbors:", "  - address: 192.0.2.1"], 5, "bgp.neighbors[0].as", "missing field \"as\""),
        (["local-as: 65001", "router-id: 192.0.2.11", "neighbors:", "  - address: 192.0.2.1", "    as: 4294967295"], 6,
         "bgp.neighbors[0].as", "as 4294967295 is out of range"),
        (["local-as: 65001", "router-id: 192.0.2.11", "neighbors:", "  - {address: 192.0.2.1, as: 65000}", "  - {address: 192.0.2.1, as: 65002}"], 6,
         "bgp.neighbors[1].address", "is listed twice"),
        (minimal + ["hold-time: 1s"], 5, "bgp.hold-time", "hold-time 1s is out of range"),
        (minimal + ["bfd: yes"], 5, "bgp.bfd", "is neither true nor false"),
        (minimal + ["bfd-interval: 5ms"], 5, "bgp.bfd-interval", "is out of range"),
        (minimal + ["announce: [203.0.113.99]"], 5, "bgp.announce[0]", "203.0.113.99 is no service's VIP"),
        (minimal + ["announce: [203.0.113.10, 203.0.113.10]"], 5, "bgp.announce[1]", "is listed twice"),
        (minimal + ["next-hop: 2001:db8::21"], 5, "bgp.next-hop", "is IPv6 but every neighbour is not"),
        (minimal + ["neighbours: []"], 5, "bgp.neighbours", "unknown"),
    ])
    func wrongValuesAreLocated(fields: [String], line: Int, field: String, message: String) {
        expectOneError(Self.file(fields), line: line, field: field, message: message)
    }

    @Test func anIPv6VIPWithoutAnIPv6NeighbourIsRefused() {
        let yaml = Self.file(Self.minimal + ["announce: [2001:db8::10]"]).replacingOccurrences(of: "vip: 203.0.113.10", with: "vip: 2001:db8::10")
        expectOneError(yaml, line: 5, field: "bgp.announce[0]", message: "is an IPv6 VIP but no neighbour is IPv6")
    }

    @Test func aSavedConfigKeepsItsBGPSettings() throws {
        let config = try ConfigLoader.parse(yaml: Self.file(Self.minimal), file: "f")
        let data = try JSONEncoder().encode(config)
        #expect(try JSONDecoder().decode(BalancerConfig.self, from: data) == config)
    }
}
