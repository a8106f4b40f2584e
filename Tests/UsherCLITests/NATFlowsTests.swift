import Foundation
import Testing
import UsherCore
import UsherTestSupport

/// `usher flows`, `snat-pool list` and `stats` on nat and gateway flows the program created from
/// frames run through it: the translation shown is the one the program wrote into the packets.
@Suite("NAT flows", .enabled(if: Privileges.rootAndBPFFS, Privileges.requirement))
struct NATFlowsTests {
    static let client = IPAddress("192.0.2.50")!
    static let appVIP = IPAddress("203.0.113.20")!
    static let gwVIP = IPAddress("203.0.113.13")!
    static let snat = IPAddress("198.51.100.3")!

    /// A TCP segment with `flags` (0x02 SYN, 0x10 ACK, 0x11 FIN+ACK, 0x12 SYN+ACK).
    static func tcp(from src: IPAddress, _ sport: UInt16, to dst: IPAddress, _ dport: UInt16, flags: UInt8 = 0x02,
                    srcMAC: MACAddress = Frames.routerMAC) -> [UInt8] {
        Frames.tcp(from: src, sport, to: dst, dport, flags: flags, srcMAC: srcMAC)
    }

    /// Runs a frame through the program; returns the verdict and the frame it left with.
    static func run(_ sandbox: Sandbox, _ frame: [UInt8]) throws -> (verdict: String, output: [UInt8]) {
        let report = try JSON.object(try sandbox.json("debug", "run-packet", Frames.hex(frame), "--json"))
        let hex = try JSON.string(report, "output")
        let bytes = stride(from: 0, to: hex.count, by: 2).map { i -> UInt8 in
            let start = hex.index(hex.startIndex, offsetBy: i)
            return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16) ?? 0
        }
        return (try JSON.string(report, "verdict"), bytes)
    }

    /// IPv4 source/destination and TCP ports of an Ethernet + IPv4 (20 bytes) + TCP frame.
    static func ends(_ frame: [UInt8]) -> (src: String, sport: Int, dst: String, dport: Int) {
        func address(_ at: Int) -> String { IPAddress(bytes: Array(frame[at..<(at + 4)]))?.description ?? "?" }
        func port(_ at: Int) -> Int { Int(frame[at]) << 8 | Int(frame[at + 1]) }
        return (address(26), port(34), address(30), port(36))
    }

    @Test("a nat flow both ways and a gateway flow: flows, snat-pool list and stats show what the packets carried")
    func natAndGatewayFlows() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try sandbox.ok("apply", "-f", try sandbox.write("nat.yaml", Configs.nat))
        let config = try ConfigLoader.parse(yaml: Configs.nat, file: "nat.yaml")
        let app = try #require(config.service(named: "app"))
        let real = try #require(Expected.real(for: app, src: Self.client, sport: 40000, dport: 80))
        let realPort = Int(real.port ?? 80)

        // Client → VIP: rewritten to the real and a port of the pool.
        let syn = try Self.run(sandbox, Self.tcp(from: Self.client, 40000, to: Self.appVIP, 80))
        #expect(syn.verdict == "XDP_TX")
        let out = Self.ends(syn.output)
        #expect(out.src == "198.51.100.3" && out.dst == real.address.description && out.dport == realPort, "\(out)")
        #expect((20000...29999).contains(out.sport), "\(out)")

        var flows = try JSON.objects(try JSON.object(try sandbox.usherJSON(["flows", "--service", "app", "--json"]))["flows"])
        try #require(flows.count == 1, "\(flows)")
        #expect(flows[0]["mode"] as? String == "nat")
        #expect(flows[0]["client"] as? String == "192.0.2.50" && flows[0]["client_port"] as? Int == 40000)
        #expect(flows[0]["vip"] as? String == "203.0.113.20" && flows[0]["vip_port"] as? Int == 80)
        #expect(flows[0]["real"] as? String == real.address.description && flows[0]["real_port"] as? Int == realPort)
        #expect(flows[0]["snat_address"] as? String == "198.51.100.3" && flows[0]["snat_port"] as? Int == out.sport,
                "the port shown is the one the packet left with: \(flows[0])")
        #expect(flows[0]["state"] as? String == "established")

        // Real → SNAT address: back to the client, from the VIP.
        let reply = try Self.run(sandbox, Self.tcp(from: real.address, UInt16(realPort), to: Self.snat, UInt16(out.sport),
                                                   flags: 0x12, srcMAC: try #require(real.mac)))
        #expect(reply.verdict == "XDP_TX")
        let back = Self.ends(reply.output)
        #expect(back.src == "203.0.113.20" && back.sport == 80 && back.dst == "192.0.2.50" && back.dport == 40000, "\(back)")

        // The client's FIN: the flow's state follows.
        #expect(try Self.run(sandbox, Self.tcp(from: Self.client, 40000, to: Self.appVIP, 80, flags: 0x11)).verdict == "XDP_TX")
        flows = try JSON.objects(try JSON.object(try sandbox.usherJSON(["flows", "--service", "app", "--json"]))["flows"])
        #expect(flows.map { $0["state"] as? String } == ["fin-client"])

        // A gateway flow: the real sees the client itself.
        #expect(try Self.run(sandbox, Self.tcp(from: IPAddress("192.0.2.60")!, 41000, to: Self.gwVIP, 80)).verdict == "XDP_TX")
        let gw = try JSON.objects(try JSON.object(try sandbox.usherJSON(["flows", "--client", "192.0.2.60", "--json"]))["flows"])
        try #require(gw.count == 1, "\(gw)")
        #expect(gw[0]["mode"] as? String == "gateway" && gw[0]["service"] as? String == "gw")
        #expect(gw[0]["snat_address"] as? String == "192.0.2.60" && gw[0]["snat_port"] as? Int == 41000)
        #expect(gw[0]["real"] as? String == "198.51.100.13" && gw[0]["real_port"] as? Int == 80)

        // Text: the nat line as an operator reads it.
        let text = try sandbox.ok("flows", "--service", "app").split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(text.count == 2)
        #expect(text.last?.prefix(8) == ["tcp", "192.0.2.50:40000", "203.0.113.20:80", "app", "nat",
                                         "\(real.address):\(realPort)", "198.51.100.3:\(out.sport)", "fin-client"], "\(text)")

        // The pool's address has one port in use (the gateway flow holds none of the pool's).
        let pools = try JSON.objects(try sandbox.json("snat-pool", "list", "--json"))
        let lb = try #require(pools.first { $0["name"] as? String == "lb-snat" })
        #expect(try JSON.objects(lb["addresses"]).map { $0["ports_in_use"] as? Int } == [1])

        // stats: the reply counted for the service, the nat counters globally.
        let stats = try JSON.object(try sandbox.json("stats", "--json"))
        let appStats = try #require(try JSON.objects(stats["services"]).first { $0["name"] as? String == "app" })
        #expect(try [JSON.int(appStats, "reply_packets"), JSON.int(appStats, "reply_bytes"), JSON.int(appStats, "nat_exhausted")]
                == [1, reply.output.count, 0])
        let global = try JSON.object(stats["global"])
        #expect(try JSON.int(try JSON.object(global["nat_reply"]), "packets") == 1)
        // The text form has a table of the translating services' replies.
        let rows = try sandbox.ok("stats").split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(rows.contains(["SERVICE", "MODE", "REPLIES", "REPLY", "BYTES", "NAT", "EXHAUSTED", "RATE"]), "\(rows)")
        #expect(rows.contains(["app", "nat", "1", "\(reply.output.count)", "B", "0"]), "\(rows)")
        #expect(rows.contains(["gw", "gateway", "0", "0", "B", "0"]), "\(rows)")
    }
}
