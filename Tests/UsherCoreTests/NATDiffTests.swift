import Foundation
import Testing
@testable import UsherCore

/// What `usher apply` shows for the NAT parts: pools, timeouts, a service's pool, a real's port.
@Suite struct NATDiffTests {
    static let snat = SNATPool(name: "lb-snat", addresses: [IPAddress("198.51.100.3")!])
    static let app = VirtualService(name: "app", vip: IPAddress("203.0.113.20")!, port: 80, proto: .tcp, mode: .nat,
                                    reals: [RealServer(address: IPAddress("198.51.100.11")!, port: 8080),
                                            RealServer(address: IPAddress("198.51.100.12")!)],
                                    snatPool: "lb-snat")
    static let base = BalancerConfig(services: [app], snatPools: [snat])

    @Test func theFirstApplyAddsThePoolBeforeItsService() {
        #expect(ConfigDiff(from: nil, to: Self.base).lines == [
            "+ snat-pool lb-snat 198.51.100.3 ports 1024-65535",
            "+ service app 203.0.113.20:80/tcp nat snat-pool lb-snat",
            "+ service app: real 198.51.100.11 port 8080 weight 1",
            "+ service app: real 198.51.100.12 weight 1",
        ])
    }

    @Test func poolTimeoutServiceAndRealChanges() {
        var new = Self.base
        new.snatPools[0].addresses.append(IPAddress("198.51.100.4")!)
        new.snatPools[0].ports = PortRange(lower: 20000, upper: 29999)
        new.snatPools.append(SNATPool(name: "spare", addresses: [IPAddress("198.51.100.5")!]))
        new.nat.tcpIdleSeconds = 600
        new.nat.udpIdleSeconds = 30
        new.services[0].snatPool = "spare"
        new.services[0].reals[0].port = nil
        new.services[0].reals[1].port = 8443
        let diff = ConfigDiff(from: Self.base, to: new)
        #expect(!diff.isEmpty)
        #expect(diff.lines == [
            "~ nat: tcp-idle-timeout 900s → 600s",
            "~ nat: udp-idle-timeout 60s → 30s",
            "+ snat-pool spare 198.51.100.5 ports 1024-65535",
            "~ snat-pool lb-snat: addresses 198.51.100.3 → 198.51.100.3, 198.51.100.4",
            "~ snat-pool lb-snat: ports 1024-65535 → 20000-29999",
            "~ service app: snat-pool lb-snat → spare",
            "~ service app: real 198.51.100.11 port 8080 → (the VIP's)",
            "~ service app: real 198.51.100.12 port (the VIP's) → 8443",
        ])
        #expect(diff.snatPoolsChanged.map(\.name) == ["lb-snat"])
        #expect(diff.servicesChanged[0].realsChanged.map(\.newPort) == [nil, 8443])
    }

    @Test func aPoolLeavesAfterTheServicesThatUsedIt() {
        var new = Self.base
        new.services = []
        new.snatPools = []
        #expect(ConfigDiff(from: Self.base, to: new).lines == ["- service app 203.0.113.20:80/tcp nat snat-pool lb-snat", "- snat-pool lb-snat"])
    }

    @Test func onlyNATChangesAreChanges() throws {
        var new = Self.base
        new.nat.tcpClosedSeconds = 120
        let diff = ConfigDiff(from: Self.base, to: new)
        #expect(diff.lines == ["~ nat: tcp-closed-timeout 60s → 120s"])
        // And in JSON, for `usher apply --json`.
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: try encoder.encode(diff), as: UTF8.self)
        #expect(json.contains("\"natChanges\":[{\"field\":\"tcp-closed-timeout\",\"from\":\"60s\",\"to\":\"120s\"}]"), "\(json)")
        #expect(ConfigDiff(from: Self.base, to: Self.base).isEmpty)
    }
}
