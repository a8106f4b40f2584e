import CUsherABI
import Foundation
import Testing
@testable import UsherBPF
import UsherCore
import UsherTestSupport

/// `Dataplane.refreshNextHops` on maps pinned in a test directory, applied in the balancer
/// namespace of NeighborResolverTests' lab with the real resolver, read back from the kernel.
@Suite("Next-hop refresh", .serialized, .enabled(if: Privileges.rootAndBPFFS, Privileges.requirement))
struct NextHopRefreshTests {
    /// B answers ARP from the real namespace; C has a permanent entry; A has an explicit `mac:`
    /// and a kernel entry with another MAC, which a refresh must not apply to it.
    static let realA = ip("198.51.100.10"), realB = ip("198.51.100.2"), realC = ip("198.51.100.9")

    static func config() -> BalancerConfig {
        BalancerConfig(services: [
            VirtualService(name: "web", vip: ip("203.0.113.10"), port: 80, proto: .tcp, mode: .dsrL2, maglevTableSize: 13,
                           reals: [RealServer(address: realA, mac: mac("02:00:00:00:00:11")),
                                   RealServer(address: realB), RealServer(address: realC)]),
            VirtualService(name: "dns", vip: ip("203.0.113.10"), port: 53, proto: .udp, mode: .dsrL2, maglevTableSize: 13,
                           reals: [RealServer(address: realB)]),
        ])
    }

    /// Every present real entry, by id, as bytes.
    static func entries(_ dp: Dataplane) throws -> [UInt32: [UInt8]] {
        let all = try dp.maps.runningReals()
        var out: [UInt32: [UInt8]] = [:]
        for (id, entry) in all.enumerated() where entry.flags & UInt8(USHER_REAL_F_PRESENT) != 0 { out[UInt32(id)] = getBytes(entry) }
        return out
    }

    @Test("after a real's MAC changes, exactly its entries (one per service) are rewritten, each field but the MAC kept")
    func rewritesOnlyTheChangedReal() throws {
        let lab = try NeighborResolverTests.lab()
        defer { lab.balancer.remove(); lab.real.remove() }
        let pins = PinDir()
        defer { pins.remove() }
        try lab.balancer.ip("neigh", "replace", "198.51.100.9", "lladdr", "02:00:00:00:99:09", "dev", lab.near, "nud", "permanent")
        try lab.balancer.ip("neigh", "replace", "198.51.100.10", "lladdr", "02:00:00:00:99:10", "dev", lab.near, "nud", "permanent")
        let dp = try Dataplane(pinDirectory: pins.path)
        var state = try lab.balancer.run { try dp.apply(Self.config(), previous: nil, resolver: SystemNeighborResolver()) }
        let before = try Self.entries(dp)
        #expect(before.count == 4)

        let unchanged = try lab.balancer.run { try dp.refreshNextHops(resolver: SystemNeighborResolver()) }
        #expect(unchanged.isEmpty, "nothing moved: \(unchanged)")
        #expect(try Self.entries(dp) == before, "and nothing was written")

        try lab.balancer.ip("neigh", "replace", "198.51.100.2", "lladdr", "02:00:00:00:77:02", "dev", lab.near)
        let changes = try lab.balancer.run { try dp.refreshNextHops(resolver: SystemNeighborResolver()) }
        let idsOfB = Set(state.reals.filter { $0.address == Self.realB }.map(\.id))
        #expect(idsOfB.count == 2)
        #expect(Set(changes.map(\.realID)) == idsOfB && changes.count == 2)
        let oldMAC = try NeighborResolverTests.linkMAC(lab.real, lab.far)
        #expect(changes.allSatisfy { $0.address == Self.realB && $0.old.mac == oldMAC && $0.new.mac == mac("02:00:00:00:77:02") })

        let after = try Self.entries(dp)
        #expect(Set(after.keys) == Set(before.keys))
        for (id, bytes) in after {
            guard idsOfB.contains(id) else {
                #expect(bytes == before[id], "real id \(id) is not B's and was not touched")
                continue
            }
            let entry = try #require(try dp.maps.runningReal(id))
            #expect(getBytes(entry.dst_mac) == mac("02:00:00:00:77:02").bytes)
            var expected = try #require(before[id])
            let offset = MemoryLayout<usher_real>.offset(of: \usher_real.dst_mac)!
            expected.replaceSubrange(offset ..< offset + 6, with: mac("02:00:00:00:77:02").bytes)
            #expect(bytes == expected, "only the destination MAC of real id \(id) changed")
        }

        state.record(changes)
        #expect(state.reals.filter { idsOfB.contains($0.id) }.allSatisfy { $0.mac == mac("02:00:00:00:77:02") && $0.nextHop?.mac == $0.mac })
    }

    @Test("after a route change, a routed real's entry moves to the new gateway's MAC; a real without a usable entry keeps its own")
    func followsRouteChange() throws {
        let lab = try NeighborResolverTests.lab()
        defer { lab.balancer.remove(); lab.real.remove() }
        let pins = PinDir()
        defer { pins.remove() }
        let routed = ip("203.0.113.5")
        try lab.balancer.ip("neigh", "replace", "198.51.100.9", "lladdr", "02:00:00:00:99:09", "dev", lab.near, "nud", "permanent")
        let config = BalancerConfig(services: [
            VirtualService(name: "web", vip: ip("192.0.2.10"), port: 80, proto: .tcp, mode: .dsrL2, maglevTableSize: 13,
                           reals: [RealServer(address: routed), RealServer(address: Self.realC)]),
        ])
        let dp = try Dataplane(pinDirectory: pins.path)
        let state = try lab.balancer.run { try dp.apply(config, previous: nil, resolver: SystemNeighborResolver()) }
        let routedID = try #require(state.reals.first { $0.address == routed }?.id)
        let cID = try #require(state.reals.first { $0.address == Self.realC }?.id)
        let gatewayMAC = try NeighborResolverTests.linkMAC(lab.real, lab.far)
        #expect(try dp.maps.runningReal(routedID).map { getBytes($0.dst_mac) } == gatewayMAC.bytes)

        // 203.0.113.0/24 now goes through 198.51.100.9 (C): only the routed real moves.
        try lab.balancer.ip("route", "replace", "203.0.113.0/24", "via", "198.51.100.9")
        let changes = try lab.balancer.run { try dp.refreshNextHops(resolver: SystemNeighborResolver()) }
        #expect(changes.map(\.realID) == [routedID], "C's next hop did not change: \(changes)")
        let moved = try #require(changes.first)
        #expect(moved.old.mac == gatewayMAC && moved.new.mac == mac("02:00:00:00:99:09") && moved.new.gateway == ip("198.51.100.9"))
        #expect(try dp.maps.runningReal(routedID).map { getBytes($0.dst_mac) } == mac("02:00:00:00:99:09").bytes)
        #expect(try dp.maps.runningReal(cID).map { getBytes($0.dst_mac) } == mac("02:00:00:00:99:09").bytes)

        // The gateway's entry is gone (it stopped answering): both keep the next hop they have.
        try lab.balancer.ip("neigh", "del", "198.51.100.9", "dev", lab.near)
        let before = try Self.entries(dp)
        let none = try lab.balancer.run { try dp.refreshNextHops(resolver: SystemNeighborResolver()) }
        #expect(none.isEmpty, "\(none)")
        #expect(try Self.entries(dp) == before)
    }
}
