import Foundation
import Testing
import UsherCore
import UsherTestSupport

/// `usher debug run-packet` and `flush-flows` against the pinned maps of an applied config.
@Suite("Debug", .enabled(if: Privileges.rootAndBPFFS, Privileges.requirement))
struct DebugTests {
    static let client = IPAddress("192.0.2.50")!
    static let vip = IPAddress("203.0.113.10")!

    /// base.yaml's web service, as UsherCore sees it.
    static func webService() throws -> VirtualService {
        let config = try ConfigLoader.parse(yaml: Configs.base, file: "base.yaml")
        return try #require(config.service(named: "web"))
    }

    @Test("a SYN to a dsr-l2 VIP: XDP_TX to the real Maglev picks, only the MACs rewritten")
    func synToVIP() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try sandbox.ok("apply", "-f", try sandbox.write("base.yaml", Configs.base))
        let frame = Frames.tcpSYN(from: Self.client, 40000, to: Self.vip, 80)
        let real = try #require(Expected.real(for: try Self.webService(), src: Self.client, sport: 40000, dport: 80))
        let expected = try #require(real.mac).bytes + Frames.balancerMAC.bytes + frame.dropFirst(12)

        let report = try JSON.object(try sandbox.json("debug", "run-packet", Frames.hex(frame), "--json"))
        #expect(JSON.keys(report) == ["verdict", "output", "duration_ns"])
        #expect(report["verdict"] as? String == "XDP_TX")
        #expect(report["output"] as? String == Frames.hex(expected), "dst MAC = \(real.address)'s, src MAC = the frame's old dst")
        #expect(try JSON.int(report, "duration_ns") > 0)

        // A SYN makes no entry; the connection's ACK makes it: the dump shows it, bound to that real.
        #expect(try DumpView(try sandbox.ok("maps", "dump", "--json")).flows.isEmpty)
        let ack = Frames.tcp(from: Self.client, 40000, to: Self.vip, 80, flags: 0x10)
        #expect(try JSON.object(try sandbox.json("debug", "run-packet", Frames.hex(ack), "--json"))["verdict"] as? String == "XDP_TX")
        let dump = try DumpView(try sandbox.ok("maps", "dump", "--json"))
        let flows = try dump.flows
        try #require(flows.count == 1, "\(flows)")
        #expect(flows[0]["client"] as? String == "192.0.2.50:40000")
        #expect(flows[0]["vip"] as? String == "203.0.113.10:80")
        #expect(flows[0]["proto"] as? String == "tcp")
        let realID = try dump.reals.first { $0["address"] as? String == real.address.description }?["id"] as? Int
        #expect(flows[0]["real_id"] as? Int == realID)

        // Text form, same frame again (now a tracked flow): same verdict and output.
        let text = try sandbox.ok("debug", "run-packet", Frames.hex(frame))
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.count == 3, "\(text)")
        #expect(lines.first == "verdict: XDP_TX")
        #expect(lines.dropFirst().first == "output:  " + Frames.hex(expected))
        #expect(lines.last?.hasPrefix("time:    ") == true)
    }

    @Test("a frame to no VIP passes untouched; colons and spaces in the hex are ignored")
    func notAVIP() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try sandbox.ok("apply", "-f", try sandbox.write("base.yaml", Configs.base))
        let frame = Frames.tcpSYN(from: Self.client, 40000, to: IPAddress("203.0.113.99")!, 80)
        let spaced = frame.map { Frames.hex([$0]) }.joined(separator: ":")
        let report = try JSON.object(try sandbox.json("debug", "run-packet", spaced, "--json"))
        #expect(report["verdict"] as? String == "XDP_PASS")
        #expect(report["output"] as? String == Frames.hex(frame), "output identical to input")
        #expect(try DumpView(try sandbox.ok("maps", "dump", "--json")).flows.isEmpty, "nothing tracked")
    }

    @Test("flush-flows reports how many tracked flows it removed")
    func flushFlows() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try sandbox.ok("apply", "-f", try sandbox.write("base.yaml", Configs.base))
        for sport: UInt16 in [40001, 40002, 40003] { // ACKs: a SYN makes no entry
            let frame = Frames.tcp(from: Self.client, sport, to: Self.vip, 80, flags: 0x10)
            #expect(try JSON.object(try sandbox.json("debug", "run-packet", Frames.hex(frame), "--json"))["verdict"] as? String == "XDP_TX")
        }
        #expect(try DumpView(try sandbox.ok("maps", "dump", "--json")).flows.count == 3)
        #expect(try sandbox.ok("debug", "flush-flows") == "Removed 3 tracked flows.\n")
        #expect(try DumpView(try sandbox.ok("maps", "dump", "--json")).flows.isEmpty)
        #expect(try sandbox.ok("debug", "flush-flows") == "Removed 0 tracked flows.\n")
        let one = Frames.tcp(from: Self.client, 40004, to: Self.vip, 80, flags: 0x10)
        try sandbox.ok("debug", "run-packet", Frames.hex(one))
        #expect(try sandbox.ok("debug", "flush-flows") == "Removed 1 tracked flow.\n")
    }

    @Test("commands that only read never create maps: a mistyped --pin-dir is an error, not an empty balancer")
    func readOnlyCommandsDoNotCreateMaps() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let frame = Frames.tcpSYN(from: Self.client, 40000, to: Self.vip, 80)
        for arguments in [["stats"], ["maps", "dump"], ["debug", "flush-flows"], ["debug", "run-packet", Frames.hex(frame)]] {
            let result = try sandbox.usher(arguments)
            #expect(result.status == 1, "\(arguments): \(result)")
            #expect(result.stderr.contains("no Usher maps are pinned there"), "\(arguments): \(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: sandbox.pinDir + "/usher_vips_v2"))
        let status = try JSON.object(try sandbox.json("status", "--json"))
        #expect(status["pinned"] as? Bool == false)
    }
}
