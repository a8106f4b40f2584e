import Foundation
import Testing
@testable import UsherCore

/// What `usher apply` prints for http/https services: one line per changed part.
@Suite struct L7DiffTests {
    static func member(_ last: Int, port: UInt16 = 8080, weight: UInt32 = 1) -> PoolMember {
        PoolMember(address: IPAddress("198.51.100.\(last)")!, port: port, weight: weight)
    }

    static let shop = VirtualService(
        name: "shop", vip: IPAddress("203.0.113.20")!, port: 443, proto: .tcp, mode: .https,
        l7: L7Settings(
            tls: TLSSettings(certificates: [CertificateFiles(certificatePath: "/etc/usher/shop.pem", keyPath: "/etc/usher/shop.key")]),
            pools: [Pool(name: "app", members: [member(11), member(12)]), Pool(name: "api", members: [member(21, port: 9000)])],
            rules: [ContentRule(match: RuleMatch(path: .prefix("/api")), action: .pool("api"))],
            defaultPool: "app"))
    static let base = BalancerConfig(services: [shop])

    @Test func anAddedL7ServiceListsItsPoolsAndRules() {
        #expect(ConfigDiff(from: nil, to: Self.base).lines == [
            "+ service shop 203.0.113.20:443/tcp https",
            "+ service shop: pool app round-robin, 2 reals",
            "+ service shop: pool api round-robin, 1 real",
            "+ service shop: 1 rule",
            "+ service shop: default-pool app",
        ])
    }

    @Test func theSameL7ServiceIsNoChange() throws {
        #expect(ConfigDiff(from: Self.base, to: Self.base).isEmpty)
        // Read twice from the same file: equal models, no change.
        let a = try ConfigLoader.parse(yaml: try l7File(), file: "f"), b = try ConfigLoader.parse(yaml: try l7File(), file: "f")
        #expect(ConfigDiff(from: a, to: b).isEmpty)
    }

    @Test func poolRealsAddedRemovedAndDrained() {
        var new = Self.base
        new.services[0].l7?.pools[0].members[1].weight = 0
        new.services[0].l7?.pools[0].members.append(Self.member(13, weight: 2))
        new.services[0].l7?.pools[1].members = []
        let diff = ConfigDiff(from: Self.base, to: new)
        #expect(diff.servicesChanged.map(\.name) == ["shop"])
        #expect(diff.lines == [
            "+ service shop: pool app real 198.51.100.13:8080 weight 2",
            "~ service shop: pool app real 198.51.100.12:8080 weight 1 → 0 (draining)",
            "- service shop: pool api real 198.51.100.21:9000",
        ])
        #expect(ConfigDiff(from: new, to: Self.base).lines.contains("~ service shop: pool app real 198.51.100.12:8080 weight 0 → 1 (back in rotation)"))
    }

    @Test func aRealMovedToAnotherPortIsRemovedAndAdded() {
        var new = Self.base
        new.services[0].l7?.pools[0].members[0].port = 8081
        #expect(ConfigDiff(from: Self.base, to: new).lines == [
            "- service shop: pool app real 198.51.100.11:8080",
            "+ service shop: pool app real 198.51.100.11:8081 weight 1",
        ])
    }

    @Test func serviceAndPoolSettings() {
        var new = Self.base
        new.services[0].l7?.limits.maxBodyBytes = 20 << 20
        new.services[0].l7?.limits.headerTimeoutSeconds = 0.5
        new.services[0].l7?.tls?.alpn = [.http1_1]
        new.services[0].l7?.responseHeaders.namesToRemove = ["Server"]
        new.services[0].l7?.accessLog = .file("/var/log/usher/shop.log")
        new.services[0].l7?.rules.append(ContentRule(match: RuleMatch(path: .prefix("/old")), action: .redirect(Redirect(host: "shop.example"))))
        new.services[0].l7?.defaultPool = "api"
        new.services[0].l7?.pools[0].scheduler = .leastConnections
        new.services[0].l7?.pools[0].affinity = .insertedCookie("USHERID")
        new.services[0].l7?.pools[0].proxyProtocol = .v2
        new.services[0].l7?.pools[1].connectTimeoutSeconds = 1
        new.services[0].l7?.pools[1].healthCheck = HealthCheck(kind: .tcp)
        #expect(ConfigDiff(from: Self.base, to: new).lines == [
            "~ service shop: tls changed",
            "~ service shop: limits max-body 10MiB → 20MiB",
            "~ service shop: limits header-timeout 10s → 500ms",
            "~ service shop: response-headers changed",
            "~ service shop: access-log stdout → /var/log/usher/shop.log",
            "~ service shop: rules changed (1 → 2)",
            "~ service shop: default-pool app → api",
            "~ service shop: pool app scheduler round-robin → least-connections",
            "~ service shop: pool app affinity changed",
            "~ service shop: pool app proxy-protocol (none) → v2",
            "~ service shop: pool api health-check changed",
            "~ service shop: pool api connect-timeout 5s → 1s",
        ])
    }

    @Test func poolsAddedAndRemoved() {
        var new = Self.base
        new.services[0].l7?.pools.removeLast()
        new.services[0].l7?.pools.append(Pool(name: "static", members: [Self.member(31)]))
        #expect(ConfigDiff(from: Self.base, to: new).lines == ["- service shop: pool api", "+ service shop: pool static"])
    }

    @Test func aServiceTurnedFromL4ToL7ShowsTheModeAndTheNewSettings() {
        let l4 = VirtualService(name: "shop", vip: IPAddress("203.0.113.20")!, port: 443, proto: .tcp, mode: .dsrL2,
                                reals: [RealServer(address: IPAddress("198.51.100.11")!)])
        let lines = ConfigDiff(from: BalancerConfig(services: [l4]), to: Self.base).lines
        #expect(lines == [
            "~ service shop: mode dsr-l2 → https",
            "- service shop: real 198.51.100.11",
            "~ service shop: tls changed",
            "~ service shop: rules changed (0 → 1)",
            "~ service shop: default-pool (none) → app",
            "+ service shop: pool app",
            "+ service shop: pool api",
        ])
    }

    @Test func theL7ChangeRoundTripsThroughJSON() throws {
        var new = Self.base
        new.services[0].l7?.pools[0].members[0].weight = 0
        new.services[0].l7?.limits.maxConnections = 5
        let diff = ConfigDiff(from: Self.base, to: new)
        let change = try #require(diff.servicesChanged.first?.l7)
        #expect(change.settings == ["limits max-connections 10000 → 5"])
        #expect(change.poolsChanged.map(\.realsChanged) == [["198.51.100.11:8080 weight 1 → 0 (draining)"]])
        let data = try JSONEncoder().encode(diff)
        #expect(try JSONDecoder().decode(ConfigDiff.self, from: data) == diff)
    }

    @Test func unitsAreWrittenAsAUserWouldWriteThem() {
        #expect([0, 1000, 1024, 16384, 10 << 20, 3 << 30, 1536].map(ConfigValidator.describeBytes)
            == ["0", "1000", "1KiB", "16KiB", "10MiB", "3GiB", "1536"])
        #expect([0, 0.5, 0.25, 1, 1.5, 10, 60, 90, 120, 3600, 7200, 0.001].map(ConfigValidator.describeSeconds)
            == ["0s", "500ms", "250ms", "1s", "1.5s", "10s", "1m", "90s", "2m", "1h", "2h", "1ms"])
    }
}
