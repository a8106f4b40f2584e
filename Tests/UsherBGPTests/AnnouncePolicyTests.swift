import Foundation
import Testing
import UsherControl
import UsherCore
@testable import UsherBGP

/// Which VIPs are announced: a VIP while one of its services has a real taking traffic,
/// withdrawn when every one of them is down, only those `announce:` names, and only of a family
/// some neighbour carries. The reals' states are built as the daemon's view builds them.
@Suite struct AnnouncePolicyTests {
    static func config(_ announce: [String]? = nil) throws -> BalancerConfig {
        let yaml = """
        bgp:
          local-as: 65001
          router-id: 192.0.2.11
          neighbors: [{address: 192.0.2.1, as: 65000}]
        \(announce.map { "  announce: [\($0.joined(separator: ", "))]" } ?? "")
        services:
          - {name: web, vip: 203.0.113.10, port: 80, protocol: tcp, mode: dsr-l2, reals: [{address: 198.51.100.11}, {address: 198.51.100.12}]}
          - {name: dns, vip: 203.0.113.10, port: 53, protocol: udp, mode: dsr-l2, reals: [{address: 198.51.100.13}]}
          - {name: api, vip: 203.0.113.20, port: 80, protocol: tcp, mode: dsr-l2, reals: [{address: 198.51.100.14}]}
          - {name: six, vip: 2001:db8:10::10, port: 80, protocol: tcp, mode: dsr-l2, reals: [{address: 2001:db8:1::14}]}
        """
        return try ConfigLoader.parse(yaml: yaml, file: "usher.yaml")
    }

    /// Every real active, except those listed as down (as the health checks would mark them).
    static func reals(_ config: BalancerConfig, down: Set<String>) -> (VirtualService) -> [RealView] {
        { service in
            service.reals.map { real in
                var real = real
                if down.contains("\(service.name)/\(real.address)") { real.disabled = true }
                return RealView(service: service, real, health: nil)
            }
        }
    }

    @Test func everyServingVIPOnceInOrder() throws {
        let config = try Self.config()
        #expect(AnnouncePolicy.vips(config, reals: Self.reals(config, down: [])).map(\.description) == ["203.0.113.10", "203.0.113.20"])
    }

    @Test func aVIPStaysWhileOneOfItsServicesServes() throws {
        let config = try Self.config()
        let down: Set<String> = ["web/198.51.100.11", "web/198.51.100.12", "api/198.51.100.14"]
        #expect(AnnouncePolicy.vips(config, reals: Self.reals(config, down: down)).map(\.description) == ["203.0.113.10"])
        let all = down.union(["dns/198.51.100.13"])
        #expect(AnnouncePolicy.vips(config, reals: Self.reals(config, down: all)).isEmpty)
    }

    @Test func onlyTheListedVIPs() throws {
        let config = try Self.config(["203.0.113.20"])
        #expect(AnnouncePolicy.vips(config, reals: Self.reals(config, down: [])).map(\.description) == ["203.0.113.20"])
    }

    @Test func nothingWithoutBGP() throws {
        var config = try Self.config()
        config.bgp = nil
        #expect(AnnouncePolicy.vips(config, reals: Self.reals(config, down: [])).isEmpty)
    }
}
