import Foundation
import Testing
import UsherCore
import UsherTestSupport

/// `usher stats`: the JSON scripts read, counters that follow the packets run through the
/// program, and `--watch` bounded by `--count`.
@Suite("Stats", .enabled(if: Privileges.rootAndBPFFS, Privileges.requirement))
struct StatsTests {
    /// One key per USHER_STAT_* of abi.h, lower case, without the prefix.
    static let counters: Set<String> = [
        "pass_not_ip", "pass_not_vip", "pass_not_l4", "pass_fragment", "pass_malformed", "pass_unsupported",
        "pass_l7", "pass_no_flow", "tx", "redirect", "drop_no_real", "drop_encap", "drop_nat_exhausted",
        "ct_hit", "ct_new", "ct_rescheduled", "nat_reply", "nat_icmp", "nat_reclaimed", "ct_confirmed",
    ]

    struct Reading {
        let global: [String: (packets: Int, bytes: Int)]
        let services: [String: [String: Any]]
        /// By `SERVICE/ADDRESS`.
        let reals: [String: [String: Any]]
    }

    static func read(_ sandbox: Sandbox) throws -> Reading {
        let root = try JSON.object(try sandbox.json("stats", "--json"), "stats")
        #expect(JSON.keys(root) == ["global", "services", "reals"])
        let globalObject = try JSON.object(root["global"], "global")
        #expect(JSON.keys(globalObject) == counters)
        var global: [String: (packets: Int, bytes: Int)] = [:]
        for (name, value) in globalObject {
            let counter = try JSON.object(value, name)
            #expect(JSON.keys(counter) == ["packets", "bytes"], "\(name)")
            global[name] = (try JSON.int(counter, "packets"), try JSON.int(counter, "bytes"))
        }
        var services: [String: [String: Any]] = [:]
        for s in try JSON.objects(root["services"], "services") {
            #expect(JSON.keys(s) == ["name", "service", "mode", "packets", "bytes", "new_flows", "no_real",
                                     "nat_exhausted", "reply_packets", "reply_bytes"])
            services[try JSON.string(s, "name")] = s
        }
        var reals: [String: [String: Any]] = [:]
        for r in try JSON.objects(root["reals"], "reals") {
            // contracts.md lists address, packets, bytes, new_flows. A real is counted per service
            // it belongs to (`service`); `services` names every service that lists the address.
            #expect(JSON.keys(r) == ["address", "service", "services", "packets", "bytes", "new_flows"])
            reals[try JSON.string(r, "service") + "/" + JSON.string(r, "address")] = r
        }
        return Reading(global: global, services: services, reals: reals)
    }

    @Test("counts move with the packets run through the program")
    func countsFollowPackets() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try sandbox.ok("apply", "-f", try sandbox.write("base.yaml", Configs.base))
        let zero = try Self.read(sandbox)
        #expect(zero.global.values.allSatisfy { $0 == (0, 0) })
        #expect(Set(zero.services.keys) == ["web", "dns"])
        #expect(zero.services["web"]?["service"] as? String == "203.0.113.10:80/tcp")
        #expect(zero.services["dns"]?["mode"] as? String == "dsr-ipip")
        #expect(Set(zero.reals.keys) == ["web/198.51.100.11", "web/198.51.100.12", "dns/198.51.100.21"])
        #expect(zero.reals["dns/198.51.100.21"]?["services"] as? [String] == ["dns"])

        let client = IPAddress("192.0.2.50")!
        let frame = Frames.tcpSYN(from: client, 40000, to: IPAddress("203.0.113.10")!, 80)
        let web = try #require(try ConfigLoader.parse(yaml: Configs.base, file: "base.yaml").service(named: "web"))
        let chosen = "web/" + (try #require(Expected.real(for: web, src: client, sport: 40000, dport: 80))).address.description
        let other = chosen == "web/198.51.100.11" ? "web/198.51.100.12" : "web/198.51.100.11"
        // The SYN is a new flow that makes no entry; the ACK makes it (ct_confirmed), the next ACK finds it.
        let ack = Frames.tcp(from: client, 40000, to: IPAddress("203.0.113.10")!, 80, flags: 0x10)
        try sandbox.ok("debug", "run-packet", Frames.hex(frame))
        try sandbox.ok("debug", "run-packet", Frames.hex(ack))
        try sandbox.ok("debug", "run-packet", Frames.hex(ack))
        let stray = Frames.tcpSYN(from: client, 40000, to: IPAddress("203.0.113.99")!, 80)
        try sandbox.ok("debug", "run-packet", Frames.hex(stray))

        let (n, m) = (frame.count, ack.count)
        let after = try Self.read(sandbox)
        #expect(after.global["tx"]! == (3, n + 2 * m))
        #expect(after.global["ct_new"]! == (1, n))
        #expect(after.global["ct_confirmed"]! == (1, m))
        #expect(after.global["ct_hit"]! == (1, m))
        #expect(after.global["pass_not_vip"]! == (1, stray.count))
        let untouched = Self.counters.subtracting(["tx", "ct_new", "ct_confirmed", "ct_hit", "pass_not_vip"])
        #expect(untouched.allSatisfy { after.global[$0]! == (0, 0) })
        let webStats = try #require(after.services["web"])
        #expect(try [JSON.int(webStats, "packets"), JSON.int(webStats, "bytes"), JSON.int(webStats, "new_flows"), JSON.int(webStats, "no_real")]
                == [3, n + 2 * m, 1, 0])
        let dnsStats = try #require(after.services["dns"])
        #expect(try JSON.int(dnsStats, "packets") == 0)
        let chosenStats = try #require(after.reals[chosen])
        #expect(try [JSON.int(chosenStats, "packets"), JSON.int(chosenStats, "bytes"), JSON.int(chosenStats, "new_flows")] == [3, n + 2 * m, 1])
        #expect(try JSON.int(try #require(after.reals[other]), "packets") == 0)
    }

    @Test("a real in two services is counted per service")
    func sharedReal() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let config = """
            services:
              - name: web
                vip: 203.0.113.10
                port: 80
                protocol: tcp
                mode: dsr-l2
                maglev-table-size: 7
                reals:
                  - address: 198.51.100.11
                    mac: 02:00:00:00:00:11
              - name: alt
                vip: 203.0.113.10
                port: 8080
                protocol: tcp
                mode: dsr-l2
                maglev-table-size: 7
                reals:
                  - address: 198.51.100.11
                    mac: 02:00:00:00:00:11

            """
        try sandbox.ok("apply", "-f", try sandbox.write("shared.yaml", config))
        let frame = Frames.tcpSYN(from: IPAddress("192.0.2.50")!, 40000, to: IPAddress("203.0.113.10")!, 80)
        try sandbox.ok("debug", "run-packet", Frames.hex(frame))
        let reading = try Self.read(sandbox)
        #expect(Set(reading.reals.keys) == ["web/198.51.100.11", "alt/198.51.100.11"])
        #expect(try JSON.int(try #require(reading.reals["web/198.51.100.11"]), "packets") == 1)
        #expect(try JSON.int(try #require(reading.reals["alt/198.51.100.11"]), "packets") == 0)
        #expect(reading.reals["alt/198.51.100.11"]?["services"] as? [String] == ["web", "alt"])
    }

    @Test("--watch --count 2 prints two readings and stops")
    func watchTwice() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try sandbox.ok("apply", "-f", try sandbox.write("base.yaml", Configs.base))
        let result = try sandbox.usher(["stats", "--watch", "--count", "2", "--interval", "0.1"], timeout: 10)
        #expect(result.status == 0, "\(result)")
        #expect(result.seconds < 5, "\(result)")
        #expect(!result.stdout.contains("\u{1B}["), "no terminal escapes when stdout is not a terminal")
        let readings = result.stdoutLines.filter { $0.hasPrefix("SERVICE ") }
        #expect(readings.count == 2, "two readings, each with its service table: \(result)")
        #expect(result.stdoutLines.filter { $0.hasPrefix("REAL ") }.count == 2, "\(result)")
    }
}
