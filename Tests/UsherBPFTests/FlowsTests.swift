import CUsherABI
import Foundation
import Testing
@testable import UsherBPF
import UsherCore
import UsherTestSupport

/// `trackedFlows`, `snatPortsInUse` and `flushFlows` over entries as the XDP program writes them.
@Suite("Tracked flows", .serialized, .enabled(if: Privileges.rootAndBPFFS, Privileges.requirement))
struct FlowsTests {
    static let vip = ip("203.0.113.20"), client = ip("192.0.2.10"), real = ip("198.51.100.11"), snat = ip("198.51.100.3")

    static func config() -> BalancerConfig {
        BalancerConfig(
            services: [
                VirtualService(name: "app", vip: vip, port: 80, proto: .tcp, mode: .nat, maglevTableSize: 7,
                               reals: [RealServer(address: real, mac: mac("02:00:00:00:00:11"), port: 8080)], snatPool: "lb"),
                VirtualService(name: "web", vip: vip, port: 443, proto: .tcp, mode: .dsrL2, maglevTableSize: 7,
                               reals: [RealServer(address: real, mac: mac("02:00:00:00:00:11"))]),
            ],
            snatPools: [SNATPool(name: "lb", addresses: [snat], ports: PortRange(lower: 2000, upper: 2999))])
    }

    static func key(_ src: IPAddress, _ sport: UInt16, _ dst: IPAddress, _ dport: UInt16) -> usher_flow_key {
        var key = zeroed(usher_flow_key.self)
        setBytes(&key.src, src.paddedBytes)
        setBytes(&key.dst, dst.paddedBytes)
        key.sport = sport.bigEndian
        key.dport = dport.bigEndian
        key.proto = 6
        key.family = 4
        return key
    }

    /// Writes a nat flow both ways as the data plane would; returns its client tuple.
    static func addNATFlow(_ dp: Dataplane, clientPort: UInt16, snatPort: UInt16, serviceID: UInt32, realID: UInt32,
                           clientState: UInt8, realState: UInt8, lastSeen: UInt64) throws -> usher_flow_key {
        let forward = key(client, clientPort, vip, 80)
        var flow = zeroed(usher_nat_flow.self)
        setBytes(&flow.snat_addr, snat.paddedBytes)
        flow.snat_port = snatPort.bigEndian
        flow.real_port = UInt16(8080).bigEndian
        flow.real_id = realID
        flow.service_id = serviceID
        flow.state = clientState
        flow.last_seen_ns = lastSeen
        try dp.maps.natFlows.update(forward, flow)
        var reply = zeroed(usher_nat_reply.self)
        reply.client = forward
        reply.real_id = realID
        reply.service_id = serviceID
        reply.state = realState
        reply.last_seen_ns = lastSeen
        try dp.maps.natReplies.update(key(real, 8080, snat, snatPort), reply)
        return forward
    }

    @Test("nat flows are listed with their translation and both sides' state; dsr flows as tracked; flush empties both kinds")
    func listAndFlush() throws {
        let pins = PinDir()
        defer { pins.remove() }
        let dp = try Dataplane(pinDirectory: pins.path)
        let state = try dp.apply(Self.config(), previous: nil, resolver: FixedResolver())
        let app = try #require(state.services.first { $0.name == "app" })
        let web = try #require(state.services.first { $0.name == "web" })
        let realID = try #require(state.realID(service: app.key, address: Self.real))
        let now = Dataplane.monotonicNanoseconds()

        let fin = UInt8(USHER_NAT_S_FIN), rst = UInt8(USHER_NAT_S_RST)
        let cases: [(port: UInt16, client: UInt8, real: UInt8, state: String)] = [
            (40001, 0, 0, "established"), (40002, fin, 0, "fin-client"), (40003, 0, fin, "fin-real"),
            (40004, fin, fin, "closed"), (40005, 0, rst, "closed"),
        ]
        for (i, c) in cases.enumerated() {
            _ = try Self.addNATFlow(dp, clientPort: c.port, snatPort: 2000 + UInt16(i) * 2, serviceID: app.id, realID: realID,
                                    clientState: c.client, realState: c.real, lastSeen: now - 5_000_000_000)
        }
        var dsrFlow = zeroed(usher_flow.self)
        dsrFlow.real_id = try #require(state.realID(service: web.key, address: Self.real))
        dsrFlow.service_id = web.id
        dsrFlow.last_seen_ns = now
        dp.maps.flows.update(Self.key(Self.client, 50000, Self.vip, 443), dsrFlow)

        let (flows, total) = try dp.trackedFlows(limit: 100, names: state)
        #expect(total == 6 && flows.count == 6)
        let dsr = try #require(flows.first { $0.vipPort == 443 })
        #expect(dsr.mode == "dsr-l2" && dsr.state == "tracked" && dsr.snatAddress == nil && dsr.snatPort == nil)
        #expect(dsr.real == Self.real && dsr.realPort == 443 && dsr.service == "web")
        for (i, c) in cases.enumerated() {
            let flow = try #require(flows.first { $0.clientPort == c.port })
            #expect(flow.state == c.state, "client \(c.client), real \(c.real)")
            #expect(flow.mode == "nat" && flow.service == "app" && flow.serviceID == app.id)
            #expect(flow.client == Self.client && flow.vip == Self.vip && flow.vipPort == 80 && flow.proto == .tcp)
            #expect(flow.real == Self.real && flow.realPort == 8080)
            #expect(flow.snatAddress == Self.snat && flow.snatPort == 2000 + UInt16(i) * 2)
            #expect(flow.idleSeconds >= 5 && flow.idleSeconds < 60)
        }
        #expect(try dp.snatPortsInUse() == [Self.snat: 5])

        // The limit counts every flow, dsr and nat; total stays all of them.
        let two = try dp.trackedFlows(limit: 2)
        #expect(two.flows.count == 2 && two.total == 6 && two.flows.allSatisfy { $0.service == nil })

        // maps dump shows the pool (ports in use) and the nat flows.
        let dump = try dp.dump()
        #expect(dump.snatPools.map(\.addresses) == [[Self.snat]] && dump.snatPools.first?.portsInUse == [5])
        #expect(dump.snatPools.first?.ports == "2000-2999")
        #expect(dump.nat.flows.count == 5 && dump.nat.flows.allSatisfy { $0.real == "198.51.100.11:8080" })

        #expect(try dp.flushFlows() == 6)
        #expect(try dp.trackedFlows(limit: 100).total == 0)
        #expect(try dp.snatPortsInUse().isEmpty, "the reply side is emptied too: every SNAT port is free")
    }
}
