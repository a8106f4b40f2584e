import Foundation
import Testing
@testable import UsherBPF
import UsherCore
import UsherTestSupport

/// SystemNeighborResolver (rtnetlink) between two namespaces joined by a veth: the balancer side
/// (`nb-*`, 198.51.100.1/24, 2001:db8:1::1/64) and a real server (`nr-*`, 198.51.100.2/24,
/// 2001:db8:1::2/64). 203.0.113.0/24 and 2001:db8:5::/48 are routed through the real.
@Suite("Neighbour resolution", .serialized, .enabled(if: Privileges.rootAndBPFFS, Privileges.requirement))
struct NeighborResolverTests {
    static func lab() throws -> (balancer: LabNamespace, real: LabNamespace, near: String, far: String) {
        let balancer = try LabNamespace("nb")
        let real: LabNamespace
        do { real = try LabNamespace("nr") } catch { balancer.remove(); throw error }
        let near = "nb-\(balancer.suffix)", far = "nr-\(balancer.suffix)"
        do {
            try balancer.ip("link", "add", near, "type", "veth", "peer", "name", far, "netns", real.name)
            try balancer.ip("addr", "add", "198.51.100.1/24", "dev", near)
            try balancer.ip("link", "set", near, "up")
            try balancer.ip("addr", "add", "2001:db8:1::1/64", "dev", near, "nodad")
            try balancer.ip("route", "add", "203.0.113.0/24", "via", "198.51.100.2")
            try balancer.ip("-6", "route", "add", "2001:db8:5::/48", "via", "2001:db8:1::2")
            try real.ip("addr", "add", "198.51.100.2/24", "dev", far)
            try real.ip("addr", "add", "2001:db8:1::2/64", "dev", far, "nodad")
            try real.ip("link", "set", far, "up")
        } catch {
            balancer.remove()
            real.remove()
            throw error
        }
        return (balancer, real, near, far)
    }

    static func linkMAC(_ ns: LabNamespace, _ dev: String) throws -> MACAddress {
        let json = try Shell.run("ip", "-n", ns.name, "-j", "link", "show", dev)
        let objects = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]]
        guard let text = objects?.first?["address"] as? String, let mac = MACAddress(text) else {
            throw ShellError("no MAC address for \(dev) in \(json)")
        }
        return mac
    }

    @Test("an on-link real resolves (by provoking ARP) to its MAC, from the egress interface's MAC and index")
    func onLink() throws {
        let lab = try Self.lab()
        defer { lab.balancer.remove(); lab.real.remove() }
        let hop = try lab.balancer.run { try SystemNeighborResolver().nextHop(for: ip("198.51.100.2")) }
        #expect(hop.mac == (try Self.linkMAC(lab.real, lab.far)))
        #expect(hop.sourceMAC == (try Self.linkMAC(lab.balancer, lab.near)))
        #expect(hop.interface == lab.near && hop.gateway == nil)
        #expect(hop.ifindex == (try lab.balancer.run { if_nametoindex(lab.near) }))
    }

    @Test("a real behind a router resolves to the router's MAC")
    func viaGateway() throws {
        let lab = try Self.lab()
        defer { lab.balancer.remove(); lab.real.remove() }
        let hop = try lab.balancer.run { try SystemNeighborResolver().nextHop(for: ip("203.0.113.5")) }
        #expect(hop.gateway == ip("198.51.100.2"))
        #expect(hop.mac == (try Self.linkMAC(lab.real, lab.far)))
    }

    @Test("IPv6: an on-link real resolves by neighbour discovery, a routed one to its router's MAC")
    func ipv6() throws {
        let lab = try Self.lab()
        defer { lab.balancer.remove(); lab.real.remove() }
        let onLink = try lab.balancer.run { try SystemNeighborResolver().nextHop(for: ip("2001:db8:1::2")) }
        #expect(onLink.mac == (try Self.linkMAC(lab.real, lab.far)) && onLink.gateway == nil)
        #expect(onLink.sourceMAC == (try Self.linkMAC(lab.balancer, lab.near)) && onLink.interface == lab.near)
        let routed = try lab.balancer.run { try SystemNeighborResolver().nextHop(for: ip("2001:db8:5::7")) }
        #expect(routed.gateway == ip("2001:db8:1::2") && routed.mac == onLink.mac)
    }

    @Test("currentNextHop reads the kernel's entry without provoking one: nil before, the MAC after")
    func currentOnly() throws {
        let lab = try Self.lab()
        defer { lab.balancer.remove(); lab.real.remove() }
        let before = try lab.balancer.run { SystemNeighborResolver().currentNextHop(for: ip("198.51.100.2")) }
        #expect(before == nil, "no entry yet, and asking must not create one")
        let entries = try Shell.run("ip", "-n", lab.balancer.name, "neigh", "show", "198.51.100.2")
        #expect(!entries.contains("198.51.100.2"), "currentNextHop sent nothing: \(entries)")
        try lab.balancer.ip("neigh", "replace", "198.51.100.2", "lladdr", "02:00:00:00:77:02", "dev", lab.near, "nud", "permanent")
        let after = try lab.balancer.run { SystemNeighborResolver().currentNextHop(for: ip("198.51.100.2")) }
        #expect(after?.mac == mac("02:00:00:00:77:02") && after?.interface == lab.near)
    }

    @Test("no route, or an unreachable route, is an error saying so before any neighbour is asked")
    func noRoute() throws {
        let lab = try Self.lab()
        defer { lab.balancer.remove(); lab.real.remove() }
        try lab.balancer.ip("route", "add", "unreachable", "192.0.2.0/25")
        for address in ["192.0.2.200", "192.0.2.7", "2001:db8:9::1"] {
            let started = Date()
            let error = #expect(throws: BPFError.self) {
                try lab.balancer.run { try SystemNeighborResolver().nextHop(for: ip(address)) }
            }
            #expect(Date().timeIntervalSince(started) < 1, "no wait when there is no route")
            #expect(error?.subject == "real \(address)")
            #expect(error?.message.contains("no route") == true, "\(String(describing: error))")
        }
    }

    @Test("nobody answering, or an address of this host, is an error naming the address and interface")
    func failures() throws {
        let lab = try Self.lab()
        defer { lab.balancer.remove(); lab.real.remove() }
        let started = Date()
        let silent = #expect(throws: BPFError.self) {
            try lab.balancer.run { try SystemNeighborResolver(timeout: 1).nextHop(for: ip("198.51.100.3")) }
        }
        #expect(Date().timeIntervalSince(started) < 5, "gives up after about the timeout")
        #expect(silent?.subject == "real 198.51.100.3 (dev \(lab.near))")
        #expect(silent?.message.contains("mac:") == true, "says what to do")
        let local = #expect(throws: BPFError.self) {
            try lab.balancer.run { try SystemNeighborResolver().nextHop(for: ip("198.51.100.1")) }
        }
        #expect(local?.message.contains("address of this host") == true)
        let local6 = #expect(throws: BPFError.self) {
            try lab.balancer.run { try SystemNeighborResolver().nextHop(for: ip("2001:db8:1::1")) }
        }
        #expect(local6?.message.contains("address of this host") == true)
    }
}
