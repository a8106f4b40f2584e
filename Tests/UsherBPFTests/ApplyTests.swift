import CUsherABI
import Foundation
import Testing
@testable import UsherBPF
import UsherCore
import UsherTestSupport

/// `apply` against real maps in a private pin directory, read back from the kernel.
@Suite("Apply", .serialized, .enabled(if: Privileges.rootAndBPFFS, Privileges.requirement))
struct ApplyTests {
    static let realA = ip("198.51.100.11"), realB = ip("198.51.100.12"), realC = ip("198.51.100.13")

    /// web (dsr-l2, A with an explicit MAC, B and C resolved), dns (udp, source hash, B),
    /// site (https: passed to the host), and IP-in-IP sources.
    static func config(webReals: [RealServer]? = nil) -> BalancerConfig {
        BalancerConfig(
            encapsulation: Encapsulation(sourceV4: IPPrefix("198.51.100.64/26"), sourceV6: IPPrefix("2001:db8:2::/112")),
            services: [
                VirtualService(name: "web", vip: ip("203.0.113.10"), port: 80, proto: .tcp, mode: .dsrL2, maglevTableSize: 251,
                               reals: webReals ?? [RealServer(address: realA, mac: mac("02:00:00:00:00:11")),
                                                   RealServer(address: realB, weight: 2), RealServer(address: realC)]),
                VirtualService(name: "dns", vip: ip("203.0.113.10"), port: 53, proto: .udp, mode: .dsrL2, maglevTableSize: 13,
                               hashSourceOnly: true, reals: [RealServer(address: realB)]),
                VirtualService(name: "site", vip: ip("203.0.113.20"), port: 443, proto: .tcp, mode: .https,
                               reals: [RealServer(address: ip("192.0.2.50"))]),
            ])
    }

    static func resolver() -> FixedResolver {
        FixedResolver([realB: FixedResolver.hop(12), realC: FixedResolver.hop(13)])
    }

    @Test("a config is written to the VIP, real, Maglev and global maps; removing a real clears it and rebuilds the table with stable ids")
    func writeThenRemoveReal() throws {
        let pins = PinDir()
        defer { pins.remove() }
        let dp = try Dataplane(pinDirectory: pins.path)
        let resolver = Self.resolver()
        let state = try dp.apply(Self.config(), previous: nil, resolver: resolver)

        // Only reals without a MAC are resolved, and the L7 service's reals are not the XDP's business.
        #expect(Set(resolver.asked) == [Self.realB, Self.realC])

        // One real id per (service, real): web's A, B, C, then dns's B.
        let web = try #require(state.services.first { $0.name == "web" })
        let dns = try #require(state.services.first { $0.name == "dns" })
        let site = try #require(state.services.first { $0.name == "site" })
        func webID(_ state: DataplaneState, _ address: IPAddress) -> UInt32? { state.realID(service: web.key, address: address) }
        #expect(Set(state.reals.map(\.id)) == [0, 1, 2, 3], "real ids are handed out lowest-first")
        let ids = [Self.realA: webID(state, Self.realA)!, Self.realB: webID(state, Self.realB)!, Self.realC: webID(state, Self.realC)!]
        let dnsB = try #require(state.realID(service: dns.key, address: Self.realB))
        #expect(!ids.values.contains(dnsB), "dns's B is an entry of its own")
        let a = try #require(try dp.maps.runningReal(ids[Self.realA]!))
        #expect(a.flags == UInt8(USHER_REAL_F_PRESENT))
        #expect(getBytes(a.addr) == Self.realA.paddedBytes && a.family == 4)
        #expect(getBytes(a.dst_mac) == mac("02:00:00:00:00:11").bytes)
        #expect(a.ifindex == 0, "an explicit MAC means XDP_TX out of the ingress interface")
        #expect(a.service_id == UInt16(web.id))
        let b = try #require(try dp.maps.runningReal(ids[Self.realB]!))
        #expect(getBytes(b.dst_mac) == FixedResolver.hop(12).mac.bytes)
        #expect(getBytes(b.src_mac) == FixedResolver.hop(12).sourceMAC.bytes)
        #expect(b.ifindex == 7)
        let b2 = try #require(try dp.maps.runningReal(dnsB))
        #expect(b2.service_id == UInt16(dns.id) && getBytes(b2.dst_mac) == getBytes(b.dst_mac), "same next hop, own service")
        #expect(Set([web.id, dns.id, site.id]) == [0, 1, 2])
        let webEntry = try #require(try dp.maps.runningService(web.key.abi))
        #expect(webEntry.id == web.id && webEntry.mode == UInt8(USHER_MODE_DSR_L2) && webEntry.flags == 0)
        let dnsEntry = try #require(try dp.maps.runningService(dns.key.abi))
        #expect(dnsEntry.flags == UInt8(USHER_SVC_F_SRC_HASH))
        let siteEntry = try #require(try dp.maps.runningService(site.key.abi))
        #expect(siteEntry.mode == UInt8(USHER_MODE_L7))

        // Maglev: slot 0 is M, every other slot a real of the service, shares follow weights.
        let dump = try dp.dump()
        let webTable = try #require(dump.vips.first { $0.id == web.id }?.maglev)
        #expect(webTable.size == 251 && webTable.emptySlots == 0)
        let slots = Dictionary(uniqueKeysWithValues: webTable.shares.map { ($0.realID, $0.slots) })
        #expect(Set(slots.keys) == Set([ids[Self.realA]!, ids[Self.realB]!, ids[Self.realC]!]))
        #expect(slots.values.reduce(0, +) == 251)
        #expect(abs(Int(slots[ids[Self.realB]!]!) - 125) <= 2, "weight 2 of 4 owns half the slots")
        #expect(dump.vips.first { $0.id == dns.id }?.maglev?.shares.map(\.realID) == [dnsB])
        #expect(dump.reals.first { $0.id == dnsB }?.serviceID == dns.id)
        #expect(dump.vips.first { $0.id == site.id }?.maglev == nil)
        #expect(dump.global.encapSourceV4 == "198.51.100.64/26")
        #expect(dump.global.encapSourceV6 == "2001:db8:2::/112")
        let global = try #require(try dp.maps.global.lookup(UInt32(0), as: usher_global.self))
        #expect(getBytes(global.encap_src4) == [198, 51, 100, 64] && getBytes(global.encap_src4_hostmask) == [0, 0, 0, 63])

        // Remove C from web: C is used by no service any more.
        let fewer = Self.config(webReals: [RealServer(address: Self.realA, mac: mac("02:00:00:00:00:11")), RealServer(address: Self.realB, weight: 2)])
        let second = try dp.apply(fewer, previous: state, resolver: resolver)
        #expect(second.serviceIDs == state.serviceIDs)
        #expect(webID(second, Self.realA) == ids[Self.realA] && webID(second, Self.realB) == ids[Self.realB])
        #expect(webID(second, Self.realC) == nil)
        let c = try #require(try dp.maps.runningReal(ids[Self.realC]!))
        #expect(c.flags & UInt8(USHER_REAL_F_PRESENT) == 0)
        let rebuilt = try #require(try dp.dump().vips.first { $0.id == web.id }?.maglev)
        #expect(rebuilt.mapID != webTable.mapID, "a changed table is a new inner map swapped in")
        #expect(Set(rebuilt.shares.map(\.realID)) == Set([ids[Self.realA]!, ids[Self.realB]!]))
        #expect(second.services.first { $0.name == "dns" }?.tableMapID == dns.tableMapID, "an unchanged table is not rebuilt")

        // The same config again changes nothing; a new real takes the lowest free id (C's).
        let third = try dp.apply(fewer, previous: second, resolver: resolver)
        #expect(third == second)
        let fourth = try dp.apply(Self.config(webReals: [RealServer(address: Self.realA, mac: mac("02:00:00:00:00:11")),
                                                         RealServer(address: ip("198.51.100.14"), mac: mac("02:00:00:00:00:14"))]),
                                  previous: third, resolver: resolver)
        #expect(webID(fourth, ip("198.51.100.14")) == ids[Self.realC])
    }

    @Test("a real removed from one service while another lists it: only that service's entry is cleared")
    func removeFromOneService() throws {
        let pins = PinDir()
        defer { pins.remove() }
        let dp = try Dataplane(pinDirectory: pins.path)
        let resolver = Self.resolver()
        let state = try dp.apply(Self.config(), previous: nil, resolver: resolver)
        let web = try #require(state.services.first { $0.name == "web" })
        let dns = try #require(state.services.first { $0.name == "dns" })
        let webB = try #require(state.realID(service: web.key, address: Self.realB))
        let dnsB = try #require(state.realID(service: dns.key, address: Self.realB))
        let dnsEntry = try #require(try dp.maps.runningReal(dnsB))
        let dnsTable = try #require(try dp.dump().vips.first { $0.id == dns.id }?.maglev)

        // B leaves web; dns still lists it.
        let withoutB = Self.config(webReals: [RealServer(address: Self.realA, mac: mac("02:00:00:00:00:11")),
                                              RealServer(address: Self.realC)])
        let second = try dp.apply(withoutB, previous: state, resolver: resolver)
        let cleared = try #require(try dp.maps.runningReal(webB))
        #expect(cleared.flags & UInt8(USHER_REAL_F_PRESENT) == 0, "web's B is gone: web's flows on it are rescheduled")
        #expect(try dp.maps.runningReal(dnsB).map { getBytes($0) } == getBytes(dnsEntry))
        let dump = try dp.dump()
        #expect(dump.vips.first { $0.id == dns.id }?.maglev == dnsTable, "dns's table is the same inner map, same shares")
        #expect(dump.vips.first { $0.id == web.id }?.maglev?.shares.contains { $0.realID == webB } == false)
        #expect(second.realID(service: dns.key, address: Self.realB) == dnsB)

        // dns is removed: all its entries go.
        var noDNS = withoutB
        noDNS.services.removeAll { $0.name == "dns" }
        let third = try dp.apply(noDNS, previous: second, resolver: resolver)
        #expect(try dp.maps.runningReal(dnsB).map { $0.flags & UInt8(USHER_REAL_F_PRESENT) } == 0)
        #expect(third.reals.allSatisfy { $0.service == web.key })
        #expect(try dp.dump().reals.map(\.serviceID).allSatisfy { $0 == web.id })
    }

    @Test("a real whose neighbour stopped answering can still be drained: it keeps its next hop, with a warning")
    func drainSilentReal() throws {
        let pins = PinDir()
        defer { pins.remove() }
        let dp = try Dataplane(pinDirectory: pins.path)
        let resolver = Self.resolver()
        let first = try dp.apply(Self.config(), previous: nil, resolver: resolver)
        #expect(first.warnings.isEmpty)
        let web = try #require(Self.config().service(named: "web"))
        let cID = try #require(first.realID(service: web.key, address: Self.realC))

        // C goes silent; draining it (and B's weight change) must still apply.
        resolver.hops[Self.realC] = nil
        let drained = [RealServer(address: Self.realA, mac: mac("02:00:00:00:00:11")),
                       RealServer(address: Self.realB, weight: 2), RealServer(address: Self.realC, weight: 0)]
        let second = try dp.apply(Self.config(webReals: drained), previous: first, resolver: resolver)
        #expect(second.warnings.count == 1)
        #expect(second.warnings.first?.contains("198.51.100.13") == true)
        let dump = try dp.dump()
        let entry = try #require(dump.reals.first { $0.id == cID })
        #expect(entry.dstMAC == FixedResolver.hop(13).mac)
        let shares = try #require(dump.vips.first { $0.key == web.key }?.maglev?.shares)
        #expect(!shares.contains { $0.realID == cID })

        // A new real that cannot be resolved still fails the apply, and nothing changes.
        let before = try dp.dump()
        let withNew = drained + [RealServer(address: ip("198.51.100.14"))]
        #expect(throws: BPFError.self) {
            try dp.apply(Self.config(webReals: withNew), previous: second, resolver: resolver)
        }
        #expect(try dp.dump() == before)
    }

    @Test("a known real whose neighbour entry changed (a replaced server) gets the new MAC on the next apply")
    func knownRealNewMAC() throws {
        let pins = PinDir()
        defer { pins.remove() }
        let dp = try Dataplane(pinDirectory: pins.path)
        let resolver = Self.resolver()
        let first = try dp.apply(Self.config(), previous: nil, resolver: resolver)
        let web = try #require(Self.config().service(named: "web"))
        let bID = try #require(first.realID(service: web.key, address: Self.realB))
        resolver.hops[Self.realB] = FixedResolver.hop(99)
        let second = try dp.apply(Self.config(), previous: first, resolver: resolver)
        #expect(second.warnings.isEmpty)
        #expect(try dp.dump().reals.first { $0.id == bID }?.dstMAC == FixedResolver.hop(99).mac)
    }

    @Test("an apply that fails (an unresolvable real) leaves every map exactly as it was")
    func failureChangesNothing() throws {
        let pins = PinDir()
        defer { pins.remove() }
        let dp = try Dataplane(pinDirectory: pins.path)
        let state = try dp.apply(Self.config(), previous: nil, resolver: Self.resolver())
        let before = try dp.dump()
        let beforeReals = try dp.maps.runningReals().prefix(16).map { getBytes($0) }

        // Many changes at once — a new service, a removed one, new weights, other encapsulation —
        // and one real nobody can resolve.
        var broken = Self.config(webReals: [RealServer(address: Self.realA, weight: 5, mac: mac("02:00:00:00:00:11")),
                                            RealServer(address: ip("198.51.100.99"))])
        broken.services.removeAll { $0.name == "dns" }
        broken.services.append(VirtualService(name: "new", vip: ip("203.0.113.30"), port: 0, proto: .udp, mode: .dsrL2,
                                              maglevTableSize: 7, reals: [RealServer(address: Self.realC)]))
        broken.encapsulation = Encapsulation(sourceV4: IPPrefix("198.51.100.128/25"))
        let error = #expect(throws: BPFError.self) {
            try dp.apply(broken, previous: state, resolver: Self.resolver())
        }
        #expect(error?.subject.contains("198.51.100.99") == true)

        #expect(try dp.dump() == before)
        #expect(try dp.maps.runningReals().prefix(16).map { getBytes($0) } == beforeReals)
    }

    @Test("two services giving the same real different MACs are refused before anything is written")
    func conflictingMACs() throws {
        let pins = PinDir()
        defer { pins.remove() }
        let dp = try Dataplane(pinDirectory: pins.path)
        var config = Self.config()
        config.services[1].reals = [RealServer(address: Self.realA, mac: mac("02:00:00:00:00:99"))]
        let error = #expect(throws: BPFError.self) { try dp.apply(config, previous: nil, resolver: Self.resolver()) }
        #expect(error?.description.contains("198.51.100.11") == true)
        #expect(try dp.dump().vips.isEmpty)
    }
}
