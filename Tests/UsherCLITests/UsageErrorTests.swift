import Foundation
import Testing
import UsherCore

/// Bad command lines exit 64 (EX_USAGE) with ArgumentParser's message, before anything is
/// read or written: these run without root.
@Suite("Exit 64: bad usage")
struct UsageErrorTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let arguments: [String]
        /// The first line on stderr, exactly.
        let error: String
        /// The start of the usage line that follows it.
        let usage: String
        /// Whether the command takes --pin-dir and --state-dir (the root command does not).
        var globals = true
        /// The lines right after the first, when they matter (a list of choices).
        var more: [String] = []
        var testDescription: String { arguments.joined(separator: " ") }
    }

    static let cases: [Case] = [
        Case(arguments: ["frobnicate"],
             error: "Error: Unexpected argument 'frobnicate'",
             usage: "Usage: usher <subcommand>", globals: false),
        Case(arguments: ["service", "add", "web", "--vip", "203.0.113.300", "--port", "80", "--mode", "dsr-l2"],
             error: "Error: The value '203.0.113.300' is invalid for '--vip <address>'",
             usage: "Usage: usher service add "),
        Case(arguments: ["service", "add", "web", "--vip", "203.0.113.10", "--port", "70000", "--mode", "dsr-l2"],
             error: "Error: The value '70000' is invalid for '--port <port>'",
             usage: "Usage: usher service add "),
        Case(arguments: ["service", "add", "web", "--vip", "203.0.113.10", "--port", "0", "--mode", "dsr-l2"],
             error: "Error: The value '0' is invalid for '--port <port>'",
             usage: "Usage: usher service add "),
        Case(arguments: ["service", "add", "web", "--vip", "203.0.113.10", "--port", "80", "--mode", "fullnat"],
             error: "Error: The value 'fullnat' is invalid for '--mode <mode>'. Please provide one of the following:",
             usage: "Usage: usher service add ",
             more: ["  - dsr-l2", "  - dsr-ipip", "  - http", "  - https", "  - nat", "  - gateway"]),
        Case(arguments: ["service", "add", "web", "--vip", "203.0.113.10", "--port", "80", "--mode", "nat"],
             error: "Error: --mode nat needs --snat-pool NAME: the pool of source addresses the real servers see (usher snat-pool list)",
             usage: "Usage: usher service add "),
        Case(arguments: ["service", "add", "web", "--vip", "203.0.113.10", "--port", "80", "--mode", "gateway", "--snat-pool", "lb"],
             error: "Error: --snat-pool goes with --mode nat, not gateway",
             usage: "Usage: usher service add "),
        Case(arguments: ["real", "add", "web", "198.51.100.11", "--port", "0"],
             error: "Error: --port: use 1 to 65535, the port the real server listens on",
             usage: "Usage: usher real add "),
        Case(arguments: ["real", "add", "web", "198.51.100.11", "--port", "70000"],
             error: "Error: The value '70000' is invalid for '--port <port>'",
             usage: "Usage: usher real add "),
        Case(arguments: ["snat-pool", "add", "lb"],
             error: "Error: give the pool at least one --address, e.g. --address 198.51.100.3",
             usage: "Usage: usher snat-pool add "),
        Case(arguments: ["snat-pool", "add", "lb/1", "--address", "198.51.100.3"],
             error: "Error: SNAT pool name \"lb/1\" contains '/'; use 1 to 63 letters, digits, '.', '_' or '-'",
             usage: "Usage: usher snat-pool add "),
        Case(arguments: ["snat-pool", "add", "lb", "--address", "198.51.100.3", "--address", "2001:db8:2::3"],
             error: "Error: --address 2001:db8:2::3 is IPv6 and 198.51.100.3 is IPv4; a pool holds one family: make a pool for each",
             usage: "Usage: usher snat-pool add "),
        Case(arguments: ["snat-pool", "add", "lb", "--address", "198.51.100.3", "--address", "198.51.100.3"],
             error: "Error: --address 198.51.100.3 is given twice",
             usage: "Usage: usher snat-pool add "),
        Case(arguments: ["snat-pool", "add", "lb", "--address", "127.0.0.3"],
             error: "Error: --address: 127.0.0.3 is a loopback address and cannot be an SNAT address",
             usage: "Usage: usher snat-pool add "),
        Case(arguments: ["daemon", "-c", "usher.yaml", "--syslog-remote", "tls://198.51.100.9:6514"],
             error: "Error: --syslog-remote tls://198.51.100.9:6514: write udp://HOST:PORT or tcp://HOST:PORT, e.g. udp://198.51.100.9:514",
             usage: "Usage: usher daemon "),
        Case(arguments: ["snat-pool", "add", "lb", "--address", "198.51.100.3", "--ports", "2000"],
             error: "Error: The value '2000' is invalid for '--ports <range>'",
             usage: "Usage: usher snat-pool add "),
        Case(arguments: ["snat-pool", "add", "lb", "--address", "198.51.100.3", "--ports", "3000-2000"],
             error: "Error: --ports: ports 3000-2000 start above their end (write 2000-3000)",
             usage: "Usage: usher snat-pool add "),
        Case(arguments: ["snat-pool", "add", "lb", "--address", "198.51.100.3", "--ports", "2000-2000"],
             error: "Error: --ports: ports 2000-2000 hold 1 port for \(ConfigValidator.possibleCPUCount) CPUs, leaving a CPU without any "
                 + "(give at least \(ConfigValidator.possibleCPUCount) ports: each CPU allocates from its own "
                 + "1/\(ConfigValidator.possibleCPUCount) of the range; the default is 1024-65535)",
             usage: "Usage: usher snat-pool add "),
        Case(arguments: ["flows", "--limit", "0"],
             error: "Error: --limit must be at least 1",
             usage: "Usage: usher flows "),
        Case(arguments: ["flows", "--client", "192.0.2.7/24"],
             error: "Error: --client 192.0.2.7/24 has host bits set; write 192.0.2.0/24",
             usage: "Usage: usher flows "),
        Case(arguments: ["flows", "--client", "client-1"],
             error: "Error: The value 'client-1' is invalid for '--client <address|prefix>'",
             usage: "Usage: usher flows "),
        Case(arguments: ["real", "add", "web", "198.51.100.11", "--mac", "02:00:00:00:00"],
             error: "Error: The value '02:00:00:00:00' is invalid for '--mac <mac>'",
             usage: "Usage: usher real add "),
        Case(arguments: ["stats", "--count", "2"],
             error: "Error: --count goes with --watch",
             usage: "Usage: usher stats "),
        Case(arguments: ["stats", "--watch", "--interval", "0.01"],
             error: "Error: --interval must be between 0.1 and 3600 seconds",
             usage: "Usage: usher stats "),
        Case(arguments: ["debug", "run-packet", "02000000000g"],
             error: "Error: the frame must be an even number of hex digits, e.g. 02000000000102…",
             usage: "Usage: usher debug run-packet "),
        Case(arguments: ["debug", "run-packet", "020"],
             error: "Error: the frame must be an even number of hex digits, e.g. 02000000000102…",
             usage: "Usage: usher debug run-packet "),
    ]

    @Test("exits 64 with the parser's message and usage", arguments: cases)
    func badUsage(_ c: Case) throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let result = try sandbox.usher(c.arguments, globals: c.globals)
        #expect(result.status == 64, "\(result)")
        #expect(result.stdout == "", "\(result)")
        let lines = result.stderrLines
        #expect(lines.first == c.error, "\(result)")
        #expect(Array(lines.dropFirst().prefix(c.more.count)) == c.more, "\(result)")
        #expect(lines.contains { $0.hasPrefix(c.usage) }, "\(result)")
        #expect(!FileManager.default.fileExists(atPath: sandbox.pinDir), "a usage error must not create maps")
    }
}
