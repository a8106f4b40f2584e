import Foundation
import Testing
import UsherBenchKit
import UsherBPF
import UsherCore
import UsherTestSupport

/// Part 3's generator, against the real kernel: it sends exactly the frames asked for, a
/// receiver counts exactly those, and every frame it varies keeps valid checksums (the
/// nftables path drops any other).
@Suite("Lab generator", .serialized, .enabled(if: Privileges.rootAndBPFFS, Privileges.requirement))
struct LabGeneratorTests {
    static let frame = LabFrames.segment(from: PPSLab.genMAC, to: PPSLab.lbMAC, source: PPSLab.client, 1024,
                                     destination: PPSLab.vip, 80)

    /// Two namespaces joined by a veth pair, removed when the value goes away.
    final class Pair {
        let a: String, b: String
        let portA: String, portB: String

        init() throws {
            let tag = PPSLab.newTag()
            a = "ubt-\(tag)-a"
            b = "ubt-\(tag)-b"
            portA = "\(tag)a"
            portB = "\(tag)b"
            do {
                for ns in [a, b] {
                    try LabShell.run(["ip", "netns", "add", ns])
                    // No IPv6 on the links: its router and neighbour solicitations would be counted too.
                    try LabShell.run(["nsenter", "--net=/run/netns/\(ns)", "--", "sysctl", "-q", "-w",
                                      "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"])
                }
                try LabShell.run(["ip", "-n", a, "link", "add", portA, "type", "veth", "peer", "name", portB, "netns", b])
                try LabShell.run(["ip", "-n", a, "link", "set", portA, "up"])
                try LabShell.run(["ip", "-n", b, "link", "set", portB, "up"])
            } catch {
                remove()
                throw error
            }
        }

        func remove() {
            for ns in [a, b] { _ = try? LabShell.run(["ip", "netns", "del", ns]) }
        }

        deinit { remove() }
    }

    @Test("the generator sends exactly the frames asked for, and a receiver counts exactly those",
          .enabled(if: LiveFrames.available, LiveFrames.requirement),
          arguments: [(UInt32(1), UInt32(64)), (10_007, 64), (3_000, 1)])
    func boundedCount(count: UInt32, batch: UInt32) throws {
        let pair = try Pair()
        let counter = try LabShell.inNamespace(pair.b) { try BenchAttachment(.counter, interface: pair.portB) }
        let generator = try XDPLiveGenerator()
        try generator.prepare(frame: Self.frame, variation: try FlowVariation.sourcePorts(of: Self.frame, count: 512),
                              checksumOffset: LabFrames.checksumOffset)
        try LabShell.inNamespace(pair.a) {
            _ = try generator.send(count: count, interface: pair.portA, firstIteration: 0, batchSize: batch)
        }
        let counted = try settled(counter), bytes = try counter.arrived().bytes
        #expect(counted == UInt64(count))
        #expect(bytes == UInt64(count) * UInt64(Self.frame.count))
        // A second run adds exactly its own frames.
        try LabShell.inNamespace(pair.a) {
            _ = try generator.send(count: 5, interface: pair.portA, firstIteration: UInt64(count), batchSize: batch)
        }
        let again = try settled(counter)
        #expect(again == UInt64(count) + 5)
    }

    @Test("sending from a namespace without the interface is an error naming it")
    func missingInterface() throws {
        let generator = try XDPLiveGenerator()
        try generator.prepare(frame: Self.frame, variation: .none, checksumOffset: nil)
        let error = #expect(throws: BPFError.self) {
            _ = try generator.send(count: 10, interface: "nosuchif0", firstIteration: 0)
        }
        #expect("\(error.map { "\($0)" } ?? "")".contains("nosuchif0"))
    }

    @Test("every frame the generator varies keeps valid IPv4 and TCP checksums, and carries its own flow")
    func checksumsStayValid() throws {
        #expect(LabFrames.checksumsValid(Self.frame))
        let variation = try FlowVariation.sourcePorts(of: Self.frame, count: 4096)
        let generator = try XDPLiveGenerator()
        try generator.prepare(frame: Self.frame, variation: variation, checksumOffset: LabFrames.checksumOffset)
        var ports = Set<UInt16>()
        for i in [0, 1, 2, 77, 1000, 4095, 4096, 70_000] as [UInt64] {
            let sent = try generator.frame(atIteration: i)
            let expected = variation.apply(to: Self.frame, iteration: i)
            #expect(Array(sent[0..<50]) == Array(expected[0..<50]), "iteration \(i): the frame but its checksum")
            #expect(LabFrames.checksumsValid(sent), "iteration \(i)")
            ports.insert(UInt16(sent[34]) << 8 | UInt16(sent[35]))
        }
        #expect(ports.count == 7, "iterations 0 and 4096 share a flow; the others each have their own")
        // Without the fix-up the checksum would be wrong: the check itself can fail.
        let plain = try XDPLiveGenerator()
        try plain.prepare(frame: Self.frame, variation: variation, checksumOffset: nil)
        #expect(!LabFrames.checksumsValid(try plain.frame(atIteration: 1)))
    }

    /// The receiver's count once it stops moving (the veth may still hold the last batch).
    private func settled(_ counter: BenchAttachment) throws -> UInt64 {
        var last = try counter.arrived().packets, stable = 0
        for _ in 0..<500 where stable < 5 {
            usleep(2000)
            let now = try counter.arrived().packets
            stable = now == last ? stable + 1 : 0
            last = now
        }
        return last
    }
}
