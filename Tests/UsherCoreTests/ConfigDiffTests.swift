import Foundation
import Testing
@testable import UsherCore

@Suite struct ConfigDiffTests {
    static func real(_ last: Int, weight: UInt32 = 1, mac: String? = nil) -> RealServer {
        RealServer(address: IPAddress("198.51.100.\(last)")!, weight: weight, mac: mac.flatMap(MACAddress.init))
    }

    static let web = VirtualService(name: "web", vip: IPAddress("203.0.113.10")!, port: 80, proto: .tcp, mode: .dsrL2,
                                    reals: [real(11), real(12)])
    static let dns = VirtualService(name: "dns", vip: IPAddress("203.0.113.53")!, port: 0, proto: .udp, mode: .dsrL2,
                                    hashSourceOnly: true, reals: [real(21)])
    static let base = BalancerConfig(interfaces: [InterfaceConfig(name: "eth0")], services: [web, dns])

    @Test func theFirstApplyAddsEverything() {
        let diff = ConfigDiff(from: nil, to: Self.base)
        #expect(!diff.isEmpty)
        #expect(diff.servicesAdded.map(\.name) == ["web", "dns"])
        #expect(diff.lines == [
            "+ interface eth0 xdp-mode native",
            "+ service web 203.0.113.10:80/tcp dsr-l2",
            "+ service web: real 198.51.100.11 weight 1",
            "+ service web: real 198.51.100.12 weight 1",
            "+ service dns 203.0.113.53:*/udp dsr-l2 hash source-ip",
            "+ service dns: real 198.51.100.21 weight 1",
        ])
    }

    @Test func theSameConfigIsNoChange() {
        let diff = ConfigDiff(from: Self.base, to: Self.base)
        #expect(diff.isEmpty)
        #expect(diff.lines.isEmpty)
    }

    @Test func drainingAndOtherRealChanges() {
        var new = Self.base
        new.services[0].reals[1].weight = 0 // drain .12
        new.services[0].reals[0].mac = MACAddress("02:00:00:00:00:11")
        new.services[0].reals.append(Self.real(13, weight: 3))
        new.services[1].reals = []
        let diff = ConfigDiff(from: Self.base, to: new)
        #expect(diff.servicesAdded.isEmpty && diff.servicesRemoved.isEmpty)
        #expect(diff.servicesChanged.map(\.name) == ["web", "dns"])
        #expect(diff.servicesChanged[0].realsChanged.map(\.address.description) == ["198.51.100.11", "198.51.100.12"])
        #expect(diff.lines == [
            "+ service web: real 198.51.100.13 weight 3",
            "~ service web: real 198.51.100.11 mac (neighbour table) → 02:00:00:00:00:11",
            "~ service web: real 198.51.100.12 weight 1 → 0 (draining)",
            "- service dns: real 198.51.100.21",
        ])
        // And back.
        #expect(ConfigDiff(from: new, to: Self.base).lines.contains("~ service web: real 198.51.100.12 weight 0 → 1 (back in rotation)"))
    }

    @Test func serviceSettingChanges() {
        var new = Self.base
        new.services[0].mode = .dsrIPIP
        new.services[0].port = 8080
        new.services[0].maglevTableSize = 131_071
        new.services[1].hashSourceOnly = false
        new.services[1].vip = IPAddress("2001:db8:1::53")!
        let diff = ConfigDiff(from: Self.base, to: new)
        #expect(diff.lines == [
            "~ service web: port 80 → 8080",
            "~ service web: mode dsr-l2 → dsr-ipip",
            "~ service web: maglev-table-size 65537 → 131071",
            "~ service dns: vip 203.0.113.53 → 2001:db8:1::53",
            "~ service dns: hash source-ip → 5-tuple",
        ])
    }

    @Test func servicesAddedAndRemovedInterfacesAndEncapsulation() {
        var new = Self.base
        new.services.removeFirst()
        new.services.append(VirtualService(name: "api", vip: IPAddress("203.0.113.11")!, port: 443, proto: .tcp, mode: .https))
        new.interfaces = [InterfaceConfig(name: "eth0", xdpMode: .generic), InterfaceConfig(name: "eth1")]
        new.encapsulation.sourceV4 = IPPrefix("198.51.100.64/26")
        let diff = ConfigDiff(from: Self.base, to: new)
        #expect(diff.lines == [
            "+ interface eth1 xdp-mode native",
            "~ interface eth0: xdp-mode native → generic",
            "~ encapsulation: source-v4 (none) → 198.51.100.64/26",
            "- service web 203.0.113.10:80/tcp dsr-l2",
            "+ service api 203.0.113.11:443/tcp https",
        ])
        let back = ConfigDiff(from: new, to: Self.base)
        #expect(back.lines.prefix(3) == ["- interface eth1", "~ interface eth0: xdp-mode generic → native",
                                         "~ encapsulation: source-v4 198.51.100.64/26 → (none)"])
    }

    @Test func theDiffRoundTripsThroughJSON() throws {
        var new = Self.base
        new.services[0].reals[1].weight = 0
        new.services.append(VirtualService(name: "api", vip: IPAddress("2001:db8:1::11")!, port: 443, proto: .tcp, mode: .https))
        let diff = ConfigDiff(from: Self.base, to: new)
        let data = try JSONEncoder().encode(diff)
        #expect(try JSONDecoder().decode(ConfigDiff.self, from: data) == diff)
        let json = try #require(String(data: data, encoding: .utf8))
        #expect(json.contains("\"servicesAdded\""))
        #expect(json.contains("2001:db8:1::11"))
    }
}
