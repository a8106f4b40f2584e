import Foundation
import Testing

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
        Case(arguments: ["service", "add", "web", "--vip", "203.0.113.10", "--port", "80", "--mode", "nat"],
             error: "Error: The value 'nat' is invalid for '--mode <mode>'. Please provide one of 'dsr-l2', 'dsr-ipip', 'http' or 'https'.",
             usage: "Usage: usher service add "),
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
        #expect(lines.contains { $0.hasPrefix(c.usage) }, "\(result)")
        #expect(!FileManager.default.fileExists(atPath: sandbox.pinDir), "a usage error must not create maps")
    }
}
