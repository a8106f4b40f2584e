import CUsherABI
import Foundation
import Testing
@testable import UsherBPF
import UsherCore
import UsherTestSupport

/// Flow-state sync between two sets of tables, as two balancers hold them: flows the real
/// program tracked on A are read as records, written on B under the merge rule, and B's real
/// program then forwards the flows' packets as A did (BPF_PROG_TEST_RUN on both).
@Suite("Flow sync tables", .serialized, .enabled(if: Privileges.rootAndBPFFS, Privileges.requirement))
struct FlowSyncTests {
    static let vip = ip("203.0.113.20"), client = ip("192.0.2.7"), snat = ip("198.51.100.3")
    static let real1 = ip("198.51.100.11"), real2 = ip("198.51.100.12")

    /// A nat service on port 80 and a dsr-l2 one on 443; `reversed` lists the dsr reals the other
    /// way round, so that B gives them other ids than A.
    static func config(reversed: Bool = false, withNAT: Bool = true) -> BalancerConfig {
        var dsrReals = [RealServer(address: real1, mac: mac("02:00:00:00:00:11")), RealServer(address: real2, mac: mac("02:00:00:00:00:12"))]
        if reversed { dsrReals.reverse() }
        var services = [VirtualService(name: "web", vip: vip, port: 443, proto: .tcp, mode: .dsrL2, maglevTableSize: 7, reals: dsrReals)]
        if withNAT {
            services.insert(VirtualService(name: "app", vip: vip, port: 80, proto: .tcp, mode: .nat, maglevTableSize: 7,
                                           reals: [RealServer(address: real1, mac: mac("02:00:00:00:00:11"), port: 8080)],
                                           snatPool: "lb"), at: 0)
        }
        return BalancerConfig(services: services,
                              snatPools: withNAT ? [SNATPool(name: "lb", addresses: [snat], ports: PortRange(lower: 20000, upper: 29999))] : [])
    }

    /// Two balancers' tables with the given configs.
    static func pair(_ a: BalancerConfig, _ b: BalancerConfig) throws -> (PinDir, Dataplane, FlowTableSync, PinDir, Dataplane, FlowTableSync) {
        let pinsA = PinDir(), pinsB = PinDir()
        let dpA = try Dataplane(pinDirectory: pinsA.path), dpB = try Dataplane(pinDirectory: pinsB.path)
        _ = try dpA.apply(a, previous: nil, resolver: FixedResolver())
        _ = try dpB.apply(b, previous: nil, resolver: FixedResolver())
        return (pinsA, dpA, try FlowTableSync(pinDirectory: pinsA.path), pinsB, dpB, try FlowTableSync(pinDirectory: pinsB.path))
    }

    @Test("""
        a nat flow started on A continues on B: B translates the real's reply back to the client and the client's \
        next packet to the same real from the same SNAT port, which B then counts as taken
        """)
    func natFlowContinuesOnThePeer() throws {
        let (pinsA, dpA, syncA, pinsB, dpB, syncB) = try Self.pair(Self.config(), Self.config())
        defer { pinsA.remove(); pinsB.remove() }
        let syn = NATFrames.tcpFrame(from: Self.client, 40000, to: Self.vip, 80, flags: NATFrames.syn)
        let snatPort = NATFrames.sport(try dpA.runPacket(syn).output)

        let records = try syncA.changes()
        #expect(records.count == 1 && records.first?.translation?.snatPort == snatPort)
        #expect(records.first?.translation?.interface == "lo", "BPF_PROG_TEST_RUN's packets come in by lo")
        let counts = try syncB.apply(records)
        #expect(counts.written == 1 && counts.keptLocal == 0 && counts.unmapped == 0)
        #expect(try dpB.snatPortsInUse() == [Self.snat: 1])
        // What B wrote is not sent back to A. Asked now: once B's own packets come (below), a
        // second after A's, they refresh the flow, which B then rightly sends.
        #expect(try syncB.changes().isEmpty)

        // The real's SYN-ACK reaches B: back to the client from the VIP, to the hop A saw.
        let synAck = NATFrames.tcpFrame(from: Self.real1, 8080, to: Self.snat, snatPort, flags: NATFrames.syn | NATFrames.ack)
        let back = try dpB.runPacket(synAck)
        #expect(back.verdict == .tx)
        #expect(Array(back.output[0..<6]) == Frames.routerMAC.bytes)
        #expect(NATFrames.src(back.output) == Self.vip && NATFrames.sport(back.output) == 80)
        #expect(NATFrames.dst(back.output) == Self.client && NATFrames.dport(back.output) == 40000)
        #expect(NATFrames.l4ChecksumValid(NATFrames.ip(back.output)))

        // The client's ACK reaches B: to the same real, from the same SNAT address and port.
        let ack = try dpB.runPacket(NATFrames.tcpFrame(from: Self.client, 40000, to: Self.vip, 80, flags: NATFrames.ack))
        #expect(ack.verdict == .tx)
        #expect(NATFrames.src(ack.output) == Self.snat && NATFrames.sport(ack.output) == snatPort)
        #expect(NATFrames.dst(ack.output) == Self.real1 && NATFrames.dport(ack.output) == 8080)
        let stats = try dpB.readStats()
        #expect(stats.global["ct_hit"]?.packets == 1 && (stats.global["ct_new"]?.packets ?? 0) == 0)
    }

    @Test("a dsr flow reaches the same real on B although B numbers its reals otherwise")
    func trackedFlowKeepsItsRealByAddress() throws {
        let (pinsA, dpA, syncA, pinsB, dpB, syncB) = try Self.pair(Self.config(), Self.config(reversed: true))
        defer { pinsA.remove(); pinsB.remove() }
        // The SYN makes no entry (conntrack.h); the connection's ACK makes it.
        let syn = NATFrames.tcpFrame(from: Self.client, 40001, to: Self.vip, 443, flags: NATFrames.syn)
        let ack = NATFrames.tcpFrame(from: Self.client, 40001, to: Self.vip, 443, flags: NATFrames.ack)
        let realMAC = Array(try dpA.runPacket(syn).output[0..<6])
        #expect(Array(try dpA.runPacket(ack).output[0..<6]) == realMAC)
        let records = try syncA.changes()
        #expect(records.count == 1 && records.first?.kind == .tracked)
        #expect(try syncB.apply(records).written == 1)
        let realOnA = try #require(try dpA.trackedFlows(limit: 10).flows.first?.real)
        #expect(try dpB.trackedFlows(limit: 10).flows.first?.real == realOnA)
        let onB = try dpB.runPacket(ack)
        #expect(Array(onB.output[0..<6]) == realMAC, "the real A chose, whatever B's Maglev table says")
    }

    @Test("a newer local entry is kept; a flow of a service B does not have is counted unmapped, not written")
    func mergeKeepsNewerLocalEntries() throws {
        let (pinsA, dpA, syncA, pinsB, dpB, syncB) = try Self.pair(Self.config(), Self.config())
        defer { pinsA.remove(); pinsB.remove() }
        let syn = NATFrames.tcpFrame(from: Self.client, 40002, to: Self.vip, 80, flags: NATFrames.syn)
        _ = try dpA.runPacket(syn)
        _ = try dpB.runPacket(syn) // B saw the flow itself, just now
        var records = try syncA.changes()
        let before = try dpB.trackedFlows(limit: 10).flows
        records[0].ageMilliseconds = 5000
        records[0].translation?.replyAgeMilliseconds = 5000
        let counts = try syncB.apply(records)
        #expect(counts.keptLocal == 1 && counts.written == 0)
        #expect(try dpB.trackedFlows(limit: 10).flows == before)

        let (pinsC, _, _, pinsD, dpD, syncD) = try Self.pair(Self.config(), Self.config(withNAT: false))
        defer { pinsC.remove(); pinsD.remove() }
        #expect(try syncD.apply(records).unmapped == 1)
        #expect(try dpD.trackedFlows(limit: 10).total == 0)
    }
}
