import Foundation
import Testing
@testable import UsherBPF
import UsherCore

/// Frames through the real `usher_balance` with BPF_PROG_TEST_RUN, against maps `apply` wrote.
@Suite("Run packet", .serialized, .enabled(if: Privileges.rootAndBPFFS, Privileges.requirement))
struct RunPacketTests {
    static let vip = ip("203.0.113.10"), client = ip("192.0.2.7"), real = ip("198.51.100.11")
    static let realMAC = mac("02:00:00:00:00:11")

    static func config(mode: ForwardingMode = .dsrL2) -> BalancerConfig {
        BalancerConfig(
            encapsulation: Encapsulation(sourceV4: IPPrefix("198.51.100.64/26")),
            services: [VirtualService(name: "web", vip: vip, port: 80, proto: .tcp, mode: mode, maglevTableSize: 7,
                                      reals: [RealServer(address: real, mac: realMAC)])])
    }

    @Test("a TCP SYN to a dsr-l2 VIP leaves with XDP_TX to the real's MAC, from the balancer's, and is counted")
    func dsrL2SYN() throws {
        let pins = PinDir()
        defer { pins.remove() }
        let dp = try Dataplane(pinDirectory: pins.path)
        let state = try dp.apply(Self.config(), previous: nil, resolver: FixedResolver())
        let frame = Frames.tcpSYN(from: Self.client, 40000, to: Self.vip, 80)

        let result = try dp.runPacket(frame)
        #expect(result.verdict == .tx && result.verdict.name == "XDP_TX")
        #expect(Array(result.output[0..<6]) == Self.realMAC.bytes, "destination: the real")
        #expect(Array(result.output[6..<12]) == Frames.balancerMAC.bytes, "source: the address the frame came to")
        #expect(Array(result.output[12...]) == Array(frame[12...]), "dsr-l2 changes nothing past Ethernet")

        // The flow is tracked: the next packet is a conntrack hit. Counters are per CPU, summed.
        _ = try dp.runPacket(frame)
        let stats = try dp.readStats()
        #expect(stats.global["tx"] == CounterValue(packets: 2, bytes: UInt64(2 * frame.count)))
        #expect(stats.global["ct_new"]?.packets == 1 && stats.global["ct_hit"]?.packets == 1)
        #expect(stats.totalPackets == 2)
        let key = ServiceKey(vip: Self.vip, port: 80, proto: .tcp)
        let serviceID = try #require(state.serviceIDs[key])
        let realID = try #require(state.realID(service: key, address: Self.real))
        #expect(stats.services[serviceID] == ServiceStats(packets: 2, bytes: UInt64(2 * frame.count), newFlows: 1, noReal: 0))
        #expect(stats.reals[realID]?.newFlows == 1 && stats.reals[realID]?.packets == 2)

        let flows = try dp.dump().conntrack
        #expect(flows.flows.count == 1 && !flows.truncated)
        #expect(flows.flows.first?.client == "192.0.2.7:40000" && flows.flows.first?.vip == "203.0.113.10:80")
        #expect(flows.flows.first?.realID == realID)
        #expect(try dp.flushFlows() == 1)
        #expect(try dp.dump().conntrack.flows.isEmpty)
    }

    @Test("a frame to no VIP passes untouched; dsr-ipip output is 20 bytes longer (output room for encapsulation)")
    func passAndGrow() throws {
        let pins = PinDir()
        defer { pins.remove() }
        let dp = try Dataplane(pinDirectory: pins.path)
        _ = try dp.apply(Self.config(mode: .dsrIPIP), previous: nil, resolver: FixedResolver())

        let other = Frames.tcpSYN(from: Self.client, 40000, to: ip("203.0.113.99"), 80)
        let passed = try dp.runPacket(other, repeat: 3)
        #expect(passed.verdict == .pass && passed.output == other)
        #expect(try dp.readStats().global["pass_not_vip"]?.packets == 3, "repeat runs the frame that many times")

        let frame = Frames.tcpSYN(from: Self.client, 40001, to: Self.vip, 80)
        let encapsulated = try dp.runPacket(frame)
        #expect(encapsulated.verdict == .tx)
        #expect(encapsulated.output.count == frame.count + 20)
        #expect(encapsulated.output[23] == 4, "outer protocol: IPv4-in-IPv4")
        #expect(Array(encapsulated.output[30..<34]) == Self.real.bytes, "outer destination: the real")
    }

    @Test("a frame shorter than an Ethernet header is refused with a reason")
    func shortFrame() throws {
        let pins = PinDir()
        defer { pins.remove() }
        let dp = try Dataplane(pinDirectory: pins.path)
        let error = #expect(throws: BPFError.self) { try dp.runPacket([1, 2, 3]) }
        #expect(error?.message.contains("at least an Ethernet header") == true)
    }
}
