import CUsherABI
import Foundation
import Testing
@testable import UsherBPF
import UsherCore

/// The decisions of `apply`'s first phase, against made-up live tables (no kernel needed).
@Suite("Apply planning")
struct ApplyPlannerTests {
    /// Records the tables it is asked to build; hands out map ids from 100.
    final class TableBuilder: @unchecked Sendable {
        var built: [(serviceID: UInt32, slots: [UInt32])] = []
        func build(_ id: UInt32, _ slots: [UInt32]) throws -> (OwnedFD, UInt32) {
            built.append((id, slots))
            return (OwnedFD(open("/dev/null", O_RDONLY)), 100 + UInt32(built.count))
        }
    }

    static let web = VirtualService(name: "web", vip: ip("203.0.113.10"), port: 80, proto: .tcp, mode: .dsrL2, maglevTableSize: 7,
                                    reals: [RealServer(address: ip("198.51.100.11"), mac: mac("02:00:00:00:00:11")),
                                            RealServer(address: ip("198.51.100.12"), weight: 0, mac: mac("02:00:00:00:00:12"))])

    func plan(_ config: BalancerConfig, live: LiveTables = LiveTables(), previous: DataplaneState? = nil,
              resolver: FixedResolver = FixedResolver(), builder: TableBuilder = TableBuilder()) throws -> ApplyPlan {
        try ApplyPlanner(config: config, previous: previous, live: live, resolver: resolver, buildTable: builder.build).plan()
    }

    static func liveService(_ key: ServiceKey, id: UInt32) -> (ServiceKey, usher_service) {
        var value = zeroed(usher_service.self)
        value.id = id
        value.mode = UInt8(USHER_MODE_DSR_L2)
        return (key, value)
    }

    @Test("new services take the lowest ids no live VIP holds; a removed service's id is not reused in the same apply")
    func serviceIDs() throws {
        var live = LiveTables()
        let gone = ServiceKey(vip: ip("203.0.113.99"), port: 1, proto: .udp)
        live.vips = Dictionary(uniqueKeysWithValues: [Self.liveService(gone, id: 0)])
        live.maglevMapIDs = [0: 55]
        var dns = Self.web
        dns.name = "dns"; dns.port = 53; dns.proto = .udp
        let plan = try plan(BalancerConfig(services: [Self.web, dns]), live: live)
        #expect(plan.state.services.map(\.id) == [1, 2])
        #expect(plan.newServiceIDs == [1, 2], "their counters are zeroed before use")
        #expect(plan.vipDeletes.count == 1 && plan.maglevClears == [0], "the removed service goes last")
    }

    @Test("a draining real stays present but owns no slot; explicit MACs are not resolved")
    func draining() throws {
        let resolver = FixedResolver()
        let builder = TableBuilder()
        let plan = try plan(BalancerConfig(services: [Self.web]), resolver: resolver, builder: builder)
        #expect(resolver.asked.isEmpty)
        #expect(plan.realWrites.count == 2 && plan.realWrites.allSatisfy { $0.value.flags == UInt8(USHER_REAL_F_PRESENT) })
        let table = try #require(builder.built.first)
        #expect(table.slots.first == 7 && table.slots.count == 8)
        #expect(Set(table.slots.dropFirst()) == [plan.state.realID(service: Self.web.key, address: ip("198.51.100.11"))!])
    }

    /// What phase two would leave in the maps after `plan`.
    static func written(_ plan: ApplyPlan, over before: LiveTables = LiveTables()) -> LiveTables {
        var live = before
        for write in plan.vipWrites {
            if let key = ServiceKey(abi: write.key) { live.vips[key] = write.value }
        }
        for write in plan.realWrites { live.reals[write.id] = write.value }
        for id in plan.realClears { live.reals[id] = nil }
        for service in plan.state.services { live.maglevMapIDs[service.id] = service.tableMapID }
        return live
    }

    static let shared = ip("198.51.100.13")

    /// web (.11 with a MAC, .13 resolved) and dns (.13): one address in two services.
    static func sharing(dnsReals: [RealServer] = [RealServer(address: shared)]) -> BalancerConfig {
        var web = Self.web
        web.reals = [RealServer(address: ip("198.51.100.11"), mac: mac("02:00:00:00:00:11")), RealServer(address: shared)]
        let dns = VirtualService(name: "dns", vip: ip("203.0.113.10"), port: 53, proto: .udp, mode: .dsrL2,
                                 maglevTableSize: 7, reals: dnsReals)
        return BalancerConfig(services: [web, dns])
    }

    @Test("two services listing one address get an entry each, carrying their own service id; its next hop is resolved once")
    func entryPerMembership() throws {
        let resolver = FixedResolver([Self.shared: FixedResolver.hop(13)])
        let builder = TableBuilder()
        let plan = try plan(Self.sharing(), resolver: resolver, builder: builder)
        #expect(resolver.asked == [Self.shared])
        let (web, dns) = (plan.state.services[0], plan.state.services[1])
        let webShared = try #require(plan.state.realID(service: web.key, address: Self.shared))
        let dnsShared = try #require(plan.state.realID(service: dns.key, address: Self.shared))
        #expect(webShared != dnsShared)
        #expect(Set(plan.state.reals.map(\.id)) == [0, 1, 2], "lowest-first, one id per (service, real)")
        let entries = Dictionary(uniqueKeysWithValues: plan.realWrites.map { ($0.id, $0.value) })
        #expect(entries[webShared]?.service_id == UInt16(web.id) && entries[dnsShared]?.service_id == UInt16(dns.id))
        #expect(entries[webShared].map { getBytes($0.dst_mac) } == FixedResolver.hop(13).mac.bytes)
        #expect(entries[dnsShared].map { getBytes($0.dst_mac) } == FixedResolver.hop(13).mac.bytes, "one next hop per address")
        let dnsTable = try #require(builder.built.first { $0.serviceID == dns.id })
        #expect(Set(dnsTable.slots.dropFirst()) == [dnsShared], "a service's table names only its own entries")
    }

    @Test("removing a real from one service clears only that service's entry; ids are recovered from the live entries")
    func removeFromOneService() throws {
        let resolver = FixedResolver([Self.shared: FixedResolver.hop(13)])
        let builder = TableBuilder()
        let first = try plan(Self.sharing(), resolver: resolver, builder: builder)
        let live = Self.written(first)
        let (web, dns) = (first.state.services[0], first.state.services[1])

        // No previous state: the ids can only come from the entries' service_id and address.
        let again = try plan(Self.sharing(), live: live, resolver: resolver, builder: builder)
        #expect(again.state.reals == first.state.reals && again.realWrites.isEmpty && again.realClears.isEmpty)

        let fewer = try plan(Self.sharing(dnsReals: []), live: live, previous: first.state, resolver: resolver, builder: builder)
        #expect(fewer.realClears == [try #require(first.state.realID(service: dns.key, address: Self.shared))])
        #expect(fewer.realWrites.isEmpty, "web's entries are untouched")
        #expect(fewer.state.realID(service: web.key, address: Self.shared) == first.state.realID(service: web.key, address: Self.shared))
        #expect(fewer.tableSwaps.map(\.serviceID) == [dns.id] && fewer.tableSwaps.first?.table == nil, "only dns's table changes")

        var dnsGone = Self.sharing()
        dnsGone.services.removeLast()
        let removed = try plan(dnsGone, live: live, previous: first.state, resolver: resolver, builder: builder)
        #expect(removed.realClears == first.state.reals.filter { $0.serviceID == dns.id }.map(\.id))
        #expect(removed.realWrites.isEmpty && removed.tableSwaps.isEmpty)
    }

    @Test("an unchanged table is skipped only while the recorded inner map is the one in use")
    func skipUnchanged() throws {
        let builder = TableBuilder()
        let first = try plan(BalancerConfig(services: [Self.web]), builder: builder)
        // Pretend phase two wrote it: the live tables now hold what the plan said.
        var live = LiveTables()
        live.vips = Dictionary(uniqueKeysWithValues: [Self.liveService(Self.web.key, id: 0)])
        for write in first.realWrites { live.reals[write.id] = write.value }
        live.maglevMapIDs = [0: try #require(first.state.services[0].tableMapID)]
        _ = try plan(BalancerConfig(services: [Self.web]), live: live, previous: first.state, builder: builder)
        #expect(builder.built.count == 1, "same inputs, same map in use: not rebuilt")

        live.maglevMapIDs = [0: 999] // someone else's table (or the pins were recreated)
        _ = try plan(BalancerConfig(services: [Self.web]), live: live, previous: first.state, builder: builder)
        #expect(builder.built.count == 2)

        var heavier = Self.web
        heavier.reals[1].weight = 3
        live.maglevMapIDs = [0: try #require(first.state.services[0].tableMapID)]
        _ = try plan(BalancerConfig(services: [heavier]), live: live, previous: first.state, builder: builder)
        #expect(builder.built.count == 3, "a weight change rebuilds")
    }

    @Test("L7 services get a VIP entry but no table, and their reals are not the XDP program's")
    func layer7() throws {
        let site = VirtualService(name: "site", vip: ip("2001:db8::20"), port: 443, proto: .tcp, mode: .https,
                                  reals: [RealServer(address: ip("2001:db8:1::5"))])
        let builder = TableBuilder()
        let plan = try plan(BalancerConfig(services: [site]), builder: builder)
        #expect(builder.built.isEmpty && plan.realWrites.isEmpty && plan.state.reals.isEmpty)
        #expect(plan.vipWrites.first?.value.mode == UInt8(USHER_MODE_L7))
        #expect(plan.vipWrites.first.map { getBytes($0.key.addr) } == ip("2001:db8::20").bytes)
        #expect(plan.vipWrites.first?.key.family == UInt8(USHER_FAMILY_V6))
    }

    @Test("dsr-ipip with a real of the other family, or without an encapsulation source, is refused")
    func ipipChecks() throws {
        var tunnel = Self.web
        tunnel.mode = .dsrIPIP
        let noSource = #expect(throws: BPFError.self) { try plan(BalancerConfig(services: [tunnel])) }
        #expect(noSource?.message.contains("source-v4") == true)
        tunnel.reals = [RealServer(address: ip("2001:db8:1::5"), mac: mac("02:00:00:00:00:15"))]
        let mixed = #expect(throws: BPFError.self) {
            try plan(BalancerConfig(encapsulation: Encapsulation(sourceV4: IPPrefix("198.51.100.64/26")), services: [tunnel]))
        }
        #expect(mixed?.message.contains("2001:db8:1::5 is IPv6 but the VIP is IPv4") == true)
    }

    @Test("the state survives a JSON round trip (the CLI keeps it in a file)")
    func codable() throws {
        let state = try plan(BalancerConfig(services: [Self.web])).state
        let decoded = try JSONDecoder().decode(DataplaneState.self, from: JSONEncoder().encode(state))
        #expect(decoded == state)
        #expect(decoded.serviceIDs[Self.web.key] == 0)
    }
}
