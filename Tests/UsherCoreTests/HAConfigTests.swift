import Foundation
import Testing
@testable import UsherCore

/// Reading and checking `ha:`: what a valid section becomes, the defaults, and every value
/// that cannot be what its field says, located at file:line:col.
@Suite struct HAConfigTests {
    /// `ha:` on line 1, its fields from line 2 (`interface` 2, `virtual-router-id` 3, `peers` 4,
    /// then each of `extra`), then a dsr-l2 service with an IPv4 VIP and one with an IPv6 VIP.
    static func haFile(
        interface: String = "eth0", routerID: String = "51", peers: String = "[198.51.100.2, 198.51.100.5]",
        extra: [String] = []
    ) -> String {
        var lines = ["ha:", "  interface: \(interface)", "  virtual-router-id: \(routerID)", "  peers: \(peers)"]
        lines += extra.map { "  \($0)" }
        lines += ["services:",
                  "  - { name: web, vip: 203.0.113.10, port: 80, protocol: tcp, mode: dsr-l2, reals: [{ address: 198.51.100.11 }] }",
                  "  - { name: web6, vip: '2001:db8:100::10', port: 80, protocol: tcp, mode: dsr-l2, reals: [{ address: '2001:db8:2::11' }] }"]
        return lines.joined(separator: "\n") + "\n"
    }

    @Test func aPairWithTheDefaults() throws {
        let config = try ConfigLoader.parse(yaml: Self.haFile(), file: "usher.yaml")
        let ha = try #require(config.ha)
        #expect(ha == HASettings(interface: "eth0", virtualRouterID: 51,
                                 peers: [IPAddress("198.51.100.2")!, IPAddress("198.51.100.5")!]))
        #expect(ha.priority == 100)
        #expect(ha.advertInterval == 0.1)
        #expect(ha.preempt == false)
    }

    @Test func everyField() throws {
        let file = Self.haFile(extra: ["priority: 150", "advert-interval: 300ms", "preempt: true", "addresses: [198.51.100.6/25]"])
        let ha = try #require(try ConfigLoader.parse(yaml: file, file: "usher.yaml").ha)
        #expect(ha.priority == 150)
        #expect(ha.advertInterval == 0.3)
        #expect(ha.preempt)
        #expect(ha.addresses == [IPPrefix("198.51.100.6/25")!])
    }

    @Test func noHASectionIsABalancerAlone() throws {
        #expect(try ConfigLoader.parse(yaml: serviceFile(), file: "usher.yaml").ha == nil)
    }

    @Test func theSharedAddressesAreTheVIPsTheSNATAddressesAndTheListedOnes() throws {
        let file = "snat-pools: [{ name: s, addresses: [198.51.100.3] }]\n" +
            Self.haFile(extra: ["addresses: [198.51.100.6/25, 203.0.113.10/32]"])
        let config = try ConfigLoader.parse(yaml: file, file: "usher.yaml")
        #expect(config.haAddresses.map(\.description) ==
            ["203.0.113.10/32", "2001:db8:100::10/128", "198.51.100.3/32", "198.51.100.6/25"])
    }

    @Test(arguments: [
        (Self.haFile(routerID: "0"), 3, "ha.virtual-router-id", "virtual-router-id 0 is out of range"),
        (Self.haFile(routerID: "256"), 3, "ha.virtual-router-id", "virtual-router-id 256 is out of range"),
        (Self.haFile(routerID: "fifty"), 3, "ha.virtual-router-id", "virtual-router-id \"fifty\" is not a whole number"),
        (Self.haFile(extra: ["priority: 255"]), 5, "ha.priority", "priority 255 is out of range"),
        (Self.haFile(extra: ["advert-interval: 5ms"]), 5, "ha.advert-interval", "advert-interval 5ms is below 10ms"),
        (Self.haFile(extra: ["advert-interval: 125ms"]), 5, "ha.advert-interval", "is not a whole number of 10ms"),
        (Self.haFile(extra: ["advert-interval: 1m"]), 5, "ha.advert-interval", "is above 40.95s"),
        (Self.haFile(extra: ["preempt: yes"]), 5, "ha.preempt", "preempt \"yes\" is neither true nor false"),
        (Self.haFile(interface: "eth0/1"), 2, "ha.interface", "contains '/'"),
        (Self.haFile(peers: "[]"), 4, "ha.peers", "no peer is given"),
        (Self.haFile(peers: "[198.51.100.5, 198.51.100.5]"), 4, "ha.peers[1]", "peer 198.51.100.5 is listed twice; first at ha.peers[0]"),
        (Self.haFile(peers: "[198.51.100.5, '2001:db8:2::5']"), 4, "ha.peers[1]", "peer 2001:db8:2::5 is IPv6, the first peer IPv4"),
        (Self.haFile(peers: "[224.0.0.18]"), 4, "ha.peers[0]", "224.0.0.18 is a multicast address"),
        (Self.haFile(peers: "[198.51.100.5/25]"), 4, "ha.peers[0]", "is a prefix, not an address"),
        (Self.haFile(extra: ["addresses: [198.51.100.6/25, 198.51.100.6/32]"]), 5, "ha.addresses[1]", "listed twice"),
        (Self.haFile(extra: ["vrid: 51"]), 5, "ha.vrid", "unknown field \"vrid\" in the HA settings"),
    ])
    func refused(file: String, line: Int, field: String, message: String) {
        expectOneError(file, line: line, field: field, message: message)
    }

    @Test func aMissingFieldIsNamedWithWhatToWrite() {
        let file = "ha:\n  interface: eth0\n  peers: [198.51.100.5]\n" + serviceFile()
        expectOneError(file, line: 1, field: "ha.virtual-router-id", message: "missing field \"virtual-router-id\" in the HA settings",
                       hint: "add `virtual-router-id: 51`")
    }

    @Test func peersOfAFamilyNoVIPHasAreRefused() {
        let file = "ha:\n  interface: eth0\n  virtual-router-id: 51\n  peers: ['2001:db8:2::5']\n" + serviceFile()
        expectOneError(file, line: 4, column: 3, field: "ha.peers", message: "advertises over IPv6 but shares no IPv6 VIP or address")
    }

    @Test func aSavedStateWithoutHAStillDecodes() throws {
        let saved = #"{"interfaces":[],"encapsulation":{},"services":[]}"#
        let config = try JSONDecoder().decode(BalancerConfig.self, from: Data(saved.utf8))
        #expect(config.ha == nil)
    }
}

/// What `usher apply` and `usher reload` say of a changed `ha:`.
@Suite struct HADiffTests {
    static func config(_ extra: [String] = []) throws -> BalancerConfig {
        try ConfigLoader.parse(yaml: HAConfigTests.haFile(extra: extra), file: "usher.yaml")
    }

    @Test func aChangedPriorityAndIntervalAreListed() throws {
        let diff = ConfigDiff(from: try Self.config(), to: try Self.config(["priority: 150", "advert-interval: 200ms"]))
        #expect(diff.lines == ["~ ha: priority 100 → 150", "~ ha: advert-interval 0.1s → 0.2s"])
        #expect(!diff.isEmpty)
    }

    @Test func aSectionThatComesTakesARestart() throws {
        var without = try Self.config()
        without.ha = nil
        let diff = ConfigDiff(from: without, to: try Self.config())
        #expect(diff.lines == ["~ ha: (none) → VRRP router 51 on eth0, peers 198.51.100.2, 198.51.100.5 " +
            "(read when the daemon starts)"])
    }

    @Test func theSameSectionChangesNothing() throws {
        #expect(ConfigDiff(from: try Self.config(), to: try Self.config()).isEmpty)
    }
}
