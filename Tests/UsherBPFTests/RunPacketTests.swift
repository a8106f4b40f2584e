import Foundation
import Testing
@testable import UsherBPF
import UsherCore
import UsherTestSupport

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

    @Test("a TCP SYN to a dsr-l2 VIP leaves with XDP_TX to the real's MAC, from the balancer's, and is counted; it makes no flow entry, its ACK does")
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

        // The SYN made no entry (SYN-flood protection): the connection's ACK makes it, counted
        // ct_confirmed and not as a second new flow; the next packet is a conntrack hit.
        #expect(try dp.dump().conntrack.flows.isEmpty, "a SYN makes no flow entry")
        let ack = Frames.tcp(from: Self.client, 40000, to: Self.vip, 80, flags: 0x10)
        _ = try dp.runPacket(ack)
        _ = try dp.runPacket(ack)
        let stats = try dp.readStats()
        let bytes = UInt64(frame.count + 2 * ack.count)
        #expect(stats.global["tx"] == CounterValue(packets: 3, bytes: bytes))
        #expect(stats.global["ct_new"]?.packets == 1 && stats.global["ct_confirmed"]?.packets == 1)
        #expect(stats.global["ct_hit"]?.packets == 1)
        #expect(stats.totalPackets == 3)
        let key = ServiceKey(vip: Self.vip, port: 80, proto: .tcp)
        let serviceID = try #require(state.serviceIDs[key])
        let realID = try #require(state.realID(service: key, address: Self.real))
        #expect(stats.services[serviceID] == ServiceStats(packets: 3, bytes: bytes, newFlows: 1, noReal: 0))
        #expect(stats.reals[realID]?.newFlows == 1 && stats.reals[realID]?.packets == 3)

        let flows = try dp.dump().conntrack
        #expect(flows.flows.count == 1 && !flows.truncated)
        #expect(flows.flows.first?.client == "192.0.2.7:40000" && flows.flows.first?.vip == "203.0.113.10:80")
        #expect(flows.flows.first?.realID == realID)
        #expect(try dp.flushFlows() == 1)
        #expect(try dp.dump().conntrack.flows.isEmpty)
    }

    @Test("""
        a real removed from service A but still in B: A's tracked flows on it are rescheduled to another real of A \
        (also once its id is given to an entry of B), B's continue to it; counters are kept per (service, real)
        """)
    func removeFromOneService() throws {
        let pins = PinDir()
        defer { pins.remove() }
        let dp = try Dataplane(pinDirectory: pins.path)
        let macX = Self.realMAC.bytes, macY = mac("02:00:00:00:00:12").bytes
        let x = RealServer(address: Self.real, mac: Self.realMAC)
        let y = RealServer(address: ip("198.51.100.12"), mac: mac("02:00:00:00:00:12"))
        let z = RealServer(address: ip("198.51.100.13"), mac: mac("02:00:00:00:00:13"))
        func config(a: [RealServer], b: [RealServer]) -> BalancerConfig {
            BalancerConfig(services: [
                VirtualService(name: "a", vip: Self.vip, port: 80, proto: .tcp, mode: .dsrL2, maglevTableSize: 7, reals: a),
                VirtualService(name: "b", vip: Self.vip, port: 8080, proto: .tcp, mode: .dsrL2, maglevTableSize: 7, reals: b),
            ])
        }
        let keyA = ServiceKey(vip: Self.vip, port: 80, proto: .tcp), keyB = ServiceKey(vip: Self.vip, port: 8080, proto: .tcp)
        func destination(_ frame: [UInt8]) throws -> [UInt8] { Array(try dp.runPacket(frame).output[0..<6]) }
        func counter(_ name: String) throws -> UInt64 { try dp.readStats().global[name]?.packets ?? 0 }

        let first = try dp.apply(config(a: [x, y], b: [x]), previous: nil, resolver: FixedResolver())
        let idAX = try #require(first.realID(service: keyA, address: x.address))
        let idBX = try #require(first.realID(service: keyB, address: x.address))
        #expect(idAX != idBX)
        // Two flows of A that Maglev gives to X (each port has an even chance; 64 tries).
        var onX: [(port: UInt16, frame: [UInt8])] = []
        for port in UInt16(40000)..<40064 where onX.count < 2 {
            let frame = Frames.tcpSYN(from: Self.client, port, to: Self.vip, 80)
            if try destination(frame) == macX { onX.append((port, frame)) }
        }
        try #require(onX.count == 2, "no two flows of A went to X")
        #expect(try destination(Frames.tcpSYN(from: Self.client, 50000, to: Self.vip, 8080)) == macX)
        // Later packets of these flows carry ACK: the first makes each flow's entry (a SYN
        // makes none), the others follow it.
        let flowB = Frames.tcp(from: Self.client, 50000, to: Self.vip, 8080, flags: 0x10)
        let later = onX.map { Frames.tcp(from: Self.client, $0.port, to: Self.vip, 80, flags: 0x10) }
        for frame in later + [flowB] { #expect(try destination(frame) == macX) }
        var stats = try dp.readStats()
        #expect(stats.reals[idAX]?.newFlows == 2 && stats.reals[idBX]?.newFlows == 1, "counted per (service, real)")

        // X leaves A, stays in B: A's flow goes to Y, as a reschedule; B's flow stays on X.
        let second = try dp.apply(config(a: [y], b: [x]), previous: first, resolver: FixedResolver())
        var (hits, reschedules) = (try counter("ct_hit"), try counter("ct_rescheduled"))
        #expect(try destination(later[0]) == macY)
        #expect(try counter("ct_rescheduled") == reschedules + 1 && counter("ct_hit") == hits)
        #expect(try destination(flowB) == macX)
        #expect(try counter("ct_hit") == hits + 1 && counter("ct_rescheduled") == reschedules + 1)
        stats = try dp.readStats()
        #expect(stats.reals[idAX] == nil && stats.reals[idBX]?.packets == 3)

        // X's old id in A is given to B's new real Z; A's other flow tracked on that id must not follow it to Z.
        let third = try dp.apply(config(a: [y], b: [x, z]), previous: second, resolver: FixedResolver())
        try #require(third.realID(service: keyB, address: z.address) == idAX, "the freed id is reused lowest-first")
        (hits, reschedules) = (try counter("ct_hit"), try counter("ct_rescheduled"))
        #expect(try destination(later[1]) == macY)
        #expect(try counter("ct_rescheduled") == reschedules + 1 && counter("ct_hit") == hits)
        let flow = try dp.dump().conntrack.flows.first { $0.client == "\(Self.client):\(onX[1].port)" }
        #expect(flow?.realID == third.realID(service: keyA, address: y.address))
    }

    @Test("a frame to no VIP passes untouched; dsr-ipip output is 20 bytes longer (output room for encapsulation)")
    func passAndGrow() throws {
        let pins = PinDir()
        defer { pins.remove() }
        let dp = try Dataplane(pinDirectory: pins.path)
        _ = try dp.apply(Self.config(mode: .dsrIPIP), previous: nil, resolver: FixedResolver())

        let other = Frames.tcpSYN(from: Self.client, 40000, to: ip("203.0.113.99"), 80)
        let passed = try dp.runPacket(other)
        #expect(passed.verdict == .pass && passed.output == other)
        #expect(try dp.readStats().global["pass_not_vip"]?.packets == 1, "one run, counted once")

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
