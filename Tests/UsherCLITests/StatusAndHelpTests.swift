import Foundation
import Testing
import UsherProxy
import UsherTestSupport

/// `usher status` and the help text people start from.
@Suite("Status and help")
struct StatusAndHelpTests {
    @Test("status --json: where things are and what the tables hold",
          .enabled(if: Privileges.rootAndBPFFS, Privileges.requirement))
    func statusJSON() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try sandbox.ok("apply", "-f", try sandbox.write("base.yaml", Configs.base))
        try sandbox.ok("real", "drain", "web", "198.51.100.12")
        let frame = Frames.tcpSYN(from: .init("192.0.2.50")!, 40000, to: .init("203.0.113.10")!, 80)
        try sandbox.ok("debug", "run-packet", Frames.hex(frame))

        let status = try JSON.object(try sandbox.json("status", "--json"))
        #expect(JSON.keys(status) == ["pinned", "pin_dir", "state_dir", "attachments", "services", "reals",
                                      "draining_reals", "packets", "forwarded", "new_flows", "real_states", "real_list"],
                "no daemon key while none runs")
        #expect(status["real_states"] as? [String: Int] == ["active": 2, "draining": 1])
        #expect(try JSON.array(status["real_list"]).count == 3)
        #expect(status["pin_dir"] as? String == sandbox.pinDir)
        #expect(status["state_dir"] as? String == sandbox.stateDir)
        #expect(status["pinned"] as? Bool == true)
        #expect(try JSON.array(status["attachments"]).isEmpty, "nothing attached in this test")
        #expect(try [JSON.int(status, "services"), JSON.int(status, "reals"), JSON.int(status, "draining_reals")] == [2, 3, 1])
        #expect(try [JSON.int(status, "packets"), JSON.int(status, "forwarded"), JSON.int(status, "new_flows")] == [1, 1, 1])

        let text = try sandbox.ok("status")
        #expect(text.contains("Services:     2, real servers: 3 (1 draining)\n"), "\(text)")
        #expect(text.contains("Packets seen: 1, forwarded: 1, new flows: 1\n"), "\(text)")
        #expect(text.contains("Daemon:       not running over \(sandbox.stateDir)"), "\(text)")
        #expect(text.contains("L4 reals:     2 active, 1 draining\n  web 198.51.100.12: draining\n"), "\(text)")
    }

    static let subcommands = ["daemon", "reload", "apply", "service", "real", "snat-pool", "attach", "detach", "decap", "stats", "flows", "maps", "status",
                              "debug", "proxy"]

    @Test("usher --help lists every subcommand and the exit statuses")
    func rootHelp() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let result = try sandbox.usher(["--help"], globals: false)
        #expect(result.status == 0, "\(result)")
        let listed = result.stdoutLines.compactMap { line -> String? in
            guard line.hasPrefix("  "), !line.hasPrefix("   ") else { return nil }
            return line.split(separator: " ").first.map(String.init)
        }
        #expect(listed.filter { !$0.hasPrefix("-") && $0 != "See" } == Self.subcommands, "\(result.stdout)")
        #expect(result.stdout.contains("0 success, 1 runtime failure, 64 bad usage, 65 invalid"), "\(result.stdout)")
    }

    @Test("each command group lists its subcommands", arguments: [
        (["service"], ["add", "remove", "list"]),
        (["real"], ["add", "remove", "drain", "weight", "enable", "disable", "list"]),
        (["snat-pool"], ["add", "remove", "list"]),
        (["debug"], ["run-packet", "flush-flows"]),
        (["maps"], ["dump"]),
        (["decap"], ["attach", "detach"]),
    ])
    func groupHelp(_ group: [String], _ expected: [String]) throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let result = try sandbox.usher(group + ["--help"], globals: false)
        #expect(result.status == 0, "\(result)")
        let section = result.stdout.components(separatedBy: "SUBCOMMANDS:").last ?? ""
        let listed = section.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("  "), !line.hasPrefix("   ") else { return nil }
            return line.split(separator: " ").first.map(String.init)
        }.filter { $0 != "See" }
        #expect(listed == expected, "\(result.stdout)")
    }

    @Test("usher help names a command that does not exist: exit 64 and the commands that do", arguments: [
        (["help", "bogus"], "'usher' has no command 'bogus'"),
        (["help", "real", "bogus"], "'usher real' has no command 'bogus' (its commands: add, remove, drain"),
        (["help", "stats", "x"], "'usher stats' has no command 'x' (it has no subcommands)"),
    ])
    func helpOfAnUnknownCommand(_ arguments: [String], _ message: String) throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let result = try sandbox.usher(arguments, globals: false)
        #expect(result.status == 64, "\(result)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.stdout.isEmpty, "no overview printed as if the word were fine")
        #expect(try sandbox.usher(["help", "real", "add"], globals: false).status == 0)
    }

    @Test("usher stats with nothing pinned but the proxy's counters: shows them, says the maps are missing, exit 1")
    func statsWithoutPinnedMaps() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let empty = sandbox.workDir + "/empty-pins"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        try ProxyStatistics(writtenAt: Date(), pid: 1, services: []).write(toDirectory: sandbox.stateDir)
        let shown = try sandbox.usher(["stats", "--pin-dir", empty, "--state-dir", sandbox.stateDir], globals: false)
        #expect(shown.stdout.contains("proxy (usher proxy pid 1)"), "the proxy's counters are still shown: \(shown)")
        #expect(shown.status == 1 && shown.stderr.contains("no Usher maps are pinned there"), "\(shown)")
    }
}
