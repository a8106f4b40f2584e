import Foundation
import Testing
import UsherCore
import UsherTestSupport

/// `usher flows` on flows the program itself created from frames run through it with
/// `usher debug run-packet`: what it lists, its filters (applied before --limit), text and JSON.
@Suite("Flows", .enabled(if: Privileges.rootAndBPFFS, Privileges.requirement))
struct FlowsCommandTests {
    static let vip = IPAddress("203.0.113.10")!
    static let flowKeys: Set<String> = [
        "protocol", "client", "client_port", "vip", "vip_port", "service", "mode", "real", "real_port",
        "snat_address", "snat_port", "state", "idle_seconds",
    ]

    /// Runs a client's ACK through the program (the packet that makes a dsr flow's entry: a SYN
    /// makes none) and insists it was forwarded.
    static func send(_ sandbox: Sandbox, from client: String, _ sport: UInt16, to vip: IPAddress = vip, _ dport: UInt16 = 80,
                     sourceLocation: SourceLocation = #_sourceLocation) throws {
        let frame = Frames.tcp(from: IPAddress(client)!, sport, to: vip, dport, flags: 0x10)
        let report = try JSON.object(try sandbox.json("debug", "run-packet", Frames.hex(frame), "--json"))
        #expect(report["verdict"] as? String == "XDP_TX", "\(report)", sourceLocation: sourceLocation)
    }

    static func flows(_ sandbox: Sandbox, _ filters: String...) throws -> (flows: [[String: Any]], shown: Int, total: Int) {
        let root = try JSON.object(try sandbox.usherJSON(["flows", "--json"] + filters), "flows")
        #expect(JSON.keys(root) == ["flows", "shown", "total"])
        let flows = try JSON.objects(root["flows"], "flows")
        for flow in flows { #expect(JSON.keys(flow) == flowKeys, "\(flow)") }
        return (flows, try JSON.int(root, "shown"), try JSON.int(root, "total"))
    }

    @Test("dsr flows: every field, the filters, --limit after them, text")
    func dsrFlows() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try sandbox.ok("apply", "-f", try sandbox.write("base.yaml", Configs.base))
        #expect(try sandbox.ok("flows") == "No tracked flows.\n")
        for sport: UInt16 in [40001, 40002, 40003] { try Self.send(sandbox, from: "192.0.2.50", sport) }
        try Self.send(sandbox, from: "192.0.2.60", 50000)

        let web = try #require(try ConfigLoader.parse(yaml: Configs.base, file: "base.yaml").service(named: "web"))
        let lone = try #require(Expected.real(for: web, src: IPAddress("192.0.2.60")!, sport: 50000, dport: 80))

        let all = try Self.flows(sandbox)
        #expect(all.flows.count == 4 && all.shown == 4 && all.total == 4)
        let one = try Self.flows(sandbox, "--client", "192.0.2.60")
        try #require(one.flows.count == 1, "\(one)")
        let flow = one.flows[0]
        #expect(flow["protocol"] as? String == "tcp")
        #expect(flow["client"] as? String == "192.0.2.60")
        #expect(flow["client_port"] as? Int == 50000)
        #expect(flow["vip"] as? String == "203.0.113.10")
        #expect(flow["vip_port"] as? Int == 80)
        #expect(flow["service"] as? String == "web")
        #expect(flow["mode"] as? String == "dsr-l2")
        #expect(flow["real"] as? String == lone.address.description)
        #expect(flow["real_port"] as? Int == 80, "dsr: the real answers on the VIP's port")
        #expect(flow["snat_address"] is NSNull && flow["snat_port"] is NSNull, "dsr has no translation: \(flow)")
        #expect(flow["state"] as? String == "tracked")
        #expect(try (0...5).contains(JSON.int(flow, "idle_seconds")))
        #expect(one.shown == 1 && one.total == 4, "total counts every tracked flow")

        // Filters.
        #expect(try Self.flows(sandbox, "--client", "192.0.2.0/24").flows.count == 4)
        #expect(try Self.flows(sandbox, "--client", "2001:db8::/32").flows.isEmpty)
        #expect(try sandbox.ok("flows", "--client", "198.51.100.0/24") == "None of the 4 tracked flows matches.\n")
        #expect(try Self.flows(sandbox, "--service", "web").flows.count == 4)
        #expect(try Self.flows(sandbox, "--service", "dns").flows.isEmpty)
        var byReal: [String: Int] = [:]
        for (client, sport) in [("192.0.2.50", 40001), ("192.0.2.50", 40002), ("192.0.2.50", 40003), ("192.0.2.60", 50000)] {
            let real = try #require(Expected.real(for: web, src: IPAddress(client)!, sport: UInt16(sport), dport: 80))
            byReal[real.address.description, default: 0] += 1
        }
        for address in ["198.51.100.11", "198.51.100.12"] {
            let matched = try Self.flows(sandbox, "--real", address).flows
            #expect(matched.count == byReal[address, default: 0], "\(address): \(matched)")
            #expect(matched.allSatisfy { $0["real"] as? String == address })
        }
        let combined = try Self.flows(sandbox, "--service", "web", "--real", lone.address.description, "--client", "192.0.2.60/32")
        #expect(combined.flows.map { $0["client_port"] as? Int } == [50000])

        // --limit: shown/total, and the filters decide before the limit does.
        let two = try Self.flows(sandbox, "--limit", "2")
        #expect(two.flows.count == 2 && two.shown == 2 && two.total == 4)
        for _ in 0..<3 {
            #expect(try Self.flows(sandbox, "--client", "192.0.2.60", "--limit", "1").flows.map { $0["client"] as? String } == ["192.0.2.60"])
        }
        let fromFifty = try Self.flows(sandbox, "--client", "192.0.2.50", "--limit", "2").flows
        #expect(fromFifty.count == 2 && fromFifty.allSatisfy { $0["client"] as? String == "192.0.2.50" })

        // Text: a header, one line per flow, and a last line when the limit cut some.
        let text = try sandbox.ok("flows", "--client", "192.0.2.60")
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.count == 2, "\(text)")
        #expect(lines.first?.split(separator: " ") == ["PROTO", "CLIENT", "VIP", "SERVICE", "MODE", "REAL", "SNAT", "STATE", "IDLE"])
        let cells = lines.last?.split(separator: " ").map(String.init) ?? []
        #expect(cells.prefix(8) == ["tcp", "192.0.2.60:50000", "203.0.113.10:80", "web", "dsr-l2", "\(lone.address):80", "-", "tracked"],
                "\(text)")
        #expect(cells.last?.hasSuffix("s") == true, "\(text)")
        let cut = try sandbox.ok("flows", "--limit", "3").split(separator: "\n")
        #expect(cut.count == 5 && cut.last == "3 flows shown of 4 tracked", "\(cut)")
        #expect(!(try sandbox.ok("flows")).contains("shown of"), "nothing cut, no note")
    }

    @Test("an unknown --service, and no maps pinned: exit 1 with what to do")
    func errors() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let unpinned = try sandbox.usher("flows")
        #expect(unpinned.status == 1, "\(unpinned)")
        #expect(unpinned.stderr.contains("no Usher maps are pinned there"), "\(unpinned)")
        #expect(!FileManager.default.fileExists(atPath: sandbox.pinDir + "/usher_vips_v2"), "flows never creates maps")
        try sandbox.ok("apply", "-f", try sandbox.write("base.yaml", Configs.base))
        let unknown = try sandbox.usher("flows", "--service", "wbe")
        #expect(unknown.status == 1, "\(unknown)")
        #expect(unknown.stderr == "usher: no service named wbe; known services: web, dns\n")
    }
}

extension Sandbox {
    /// Runs a command (arguments as an array) that must succeed and parses its stdout as JSON.
    func usherJSON(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> Any {
        let result = try usher(arguments)
        guard result.status == 0 else {
            Issue.record("expected success: \(result)", sourceLocation: sourceLocation)
            throw Subprocess.Failure(description: "usher \(arguments.joined(separator: " ")) failed")
        }
        return try JSON.parse(result.stdout)
    }
}
