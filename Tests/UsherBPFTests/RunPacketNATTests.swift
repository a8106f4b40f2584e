import Foundation
import Testing
@testable import UsherBPF
import UsherCore
import UsherTestSupport

/// nat flows through the real `usher_balance` with BPF_PROG_TEST_RUN, both ways, against maps
/// `apply` wrote; checksums are recomputed from scratch. (Byte-for-byte fixtures of every
/// mode and family: Tests/Fixtures.)
@Suite("Run packet: NAT", .serialized, .enabled(if: Privileges.rootAndBPFFS, Privileges.requirement))
struct RunPacketNATTests {
    static let vip = ip("203.0.113.20"), client = ip("192.0.2.7"), real = ip("198.51.100.11"), snat = ip("198.51.100.3")
    static let router = ip("198.51.100.1")
    static let realMAC = mac("02:00:00:00:00:11")
    static let ports = PortRange(lower: 20000, upper: 29999)

    static func config() -> BalancerConfig {
        BalancerConfig(
            services: [VirtualService(name: "app", vip: vip, port: 80, proto: .tcp, mode: .nat, maglevTableSize: 7,
                                      reals: [RealServer(address: real, mac: realMAC, port: 8080)], snatPool: "lb")],
            snatPools: [SNATPool(name: "lb", addresses: [snat], ports: ports)])
    }

    @Test("""
        a nat TCP flow both ways: the client's SYN reaches the real from a pool port, the real's SYN-ACK reaches \
        the client from the VIP, checksums valid; FIN both ways closes it; a packet of no flow is passed
        """)
    func tcpRoundTrip() throws {
        let pins = PinDir()
        defer { pins.remove() }
        let dp = try Dataplane(pinDirectory: pins.path)
        let state = try dp.apply(Self.config(), previous: nil, resolver: FixedResolver())
        let serviceID = try #require(state.services.first?.id)

        // Client -> VIP: destination the real's address and port, source a pool address and port.
        let syn = NATFrames.tcpFrame(from: Self.client, 40000, to: Self.vip, 80, flags: NATFrames.syn)
        let out = try dp.runPacket(syn)
        #expect(out.verdict == .tx)
        #expect(Array(out.output[0..<6]) == Self.realMAC.bytes && Array(out.output[6..<12]) == Frames.balancerMAC.bytes)
        #expect(NATFrames.src(out.output) == Self.snat && NATFrames.dst(out.output) == Self.real)
        let snatPort = NATFrames.sport(out.output)
        #expect(Self.ports.lower...Self.ports.upper ~= snatPort && NATFrames.dport(out.output) == 8080)
        #expect(NATFrames.ipv4HeaderValid(NATFrames.ip(out.output)), "IPv4 header checksum")
        #expect(NATFrames.l4ChecksumValid(NATFrames.ip(out.output)), "TCP checksum over the new pseudo-header")
        #expect(out.output[22] == 64, "TTL unchanged")
        #expect(Array(out.output[54...]) == Array(syn[54...]), "payload unchanged")

        // The same packet again is the same flow, the same port.
        #expect(NATFrames.sport(try dp.runPacket(syn).output) == snatPort)
        let (flows, _) = try dp.trackedFlows(limit: 10)
        let flow = try #require(flows.first)
        #expect(flows.count == 1 && flow.mode == "nat" && flow.state == "established")
        #expect(flow.snatAddress == Self.snat && flow.snatPort == snatPort && flow.real == Self.real && flow.realPort == 8080)
        #expect(try dp.snatPortsInUse() == [Self.snat: 1])

        // Real -> SNAT address: back to the client from the VIP's port, to the MAC the client's frames came from.
        let synAck = NATFrames.tcpFrame(from: Self.real, 8080, to: Self.snat, snatPort, flags: NATFrames.syn | NATFrames.ack,
                                        srcMAC: Self.realMAC)
        let back = try dp.runPacket(synAck)
        #expect(back.verdict == .tx)
        #expect(Array(back.output[0..<6]) == Frames.routerMAC.bytes && Array(back.output[6..<12]) == Frames.balancerMAC.bytes)
        #expect(NATFrames.src(back.output) == Self.vip && NATFrames.sport(back.output) == 80)
        #expect(NATFrames.dst(back.output) == Self.client && NATFrames.dport(back.output) == 40000)
        #expect(NATFrames.ipv4HeaderValid(NATFrames.ip(back.output)) && NATFrames.l4ChecksumValid(NATFrames.ip(back.output)))

        // FIN from each side: the flow is closed (its port is free after the closed timeout).
        _ = try dp.runPacket(NATFrames.tcpFrame(from: Self.client, 40000, to: Self.vip, 80, flags: NATFrames.fin | NATFrames.ack))
        #expect(try dp.trackedFlows(limit: 10).flows.first?.state == "fin-client")
        _ = try dp.runPacket(NATFrames.tcpFrame(from: Self.real, 8080, to: Self.snat, snatPort, flags: NATFrames.fin | NATFrames.ack))
        #expect(try dp.trackedFlows(limit: 10).flows.first?.state == "closed")

        // To the SNAT address but of no flow: passed untouched.
        let stray = NATFrames.tcpFrame(from: Self.real, 8080, to: Self.snat, snatPort &+ 1, flags: NATFrames.ack)
        let passed = try dp.runPacket(stray)
        #expect(passed.verdict == .pass && passed.output == stray)

        let stats = try dp.readStats()
        #expect(stats.global["ct_new"]?.packets == 1 && stats.global["ct_hit"]?.packets == 2)
        #expect(stats.global["nat_reply"]?.packets == 2 && stats.global["pass_no_flow"]?.packets == 1)
        #expect(stats.global["tx"]?.packets == 5)
        #expect(stats.services[serviceID]?.replyPackets == 2 && stats.services[serviceID]?.newFlows == 1)
        #expect(stats.services[serviceID]?.replyBytes == UInt64(synAck.count * 2))
    }

    @Test("""
        "fragmentation needed" from a router between balancer and real reaches the client about the client's own \
        packet: the quote is the client's packet byte for byte, MTU kept, every checksum valid
        """)
    func fragmentationNeeded() throws {
        let pins = PinDir()
        defer { pins.remove() }
        let dp = try Dataplane(pinDirectory: pins.path)
        _ = try dp.apply(Self.config(), previous: nil, resolver: FixedResolver())
        let syn = NATFrames.tcpFrame(from: Self.client, 40001, to: Self.vip, 80, flags: NATFrames.syn)
        let sent = try dp.runPacket(syn).output

        // The router quotes the whole translated packet (it is short) to the SNAT address.
        let error = NATFrames.fragmentationNeeded(from: Self.router, to: Self.snat, mtu: 1280, quoting: NATFrames.ip(sent))
        let out = try dp.runPacket(error)
        #expect(out.verdict == .tx)
        #expect(Array(out.output[0..<6]) == Frames.routerMAC.bytes, "to the client's side, as replies go")
        #expect(NATFrames.src(out.output) == Self.router, "a router's error keeps its source")
        #expect(NATFrames.dst(out.output) == Self.client)
        let ipPacket = NATFrames.ip(out.output)
        #expect(NATFrames.ipv4HeaderValid(ipPacket))
        let icmp = Array(ipPacket[20...])
        #expect(Array(icmp[0..<2]) == [3, 4] && Array(icmp[6..<8]) == Frames.be16(1280), "type, code and MTU unchanged")
        #expect(Frames.internetChecksum(icmp) == 0, "ICMP checksum")
        #expect(Array(icmp[8...]) == NATFrames.ip(syn), "the quote is what the client sent: addresses, ports, both checksums")

        // Not a NAT flow's error (another quoted tuple): passed untouched.
        let other = NATFrames.fragmentationNeeded(from: Self.router, to: Self.snat, mtu: 1280,
                                                  quoting: NATFrames.ip(NATFrames.tcpFrame(from: Self.snat, 1, to: Self.real, 8080, flags: NATFrames.syn)))
        let passed = try dp.runPacket(other)
        #expect(passed.verdict == .pass && passed.output == other)
        let stats = try dp.readStats()
        #expect(stats.global["nat_icmp"]?.packets == 1 && stats.global["pass_not_l4"]?.packets == 1)
    }
}
