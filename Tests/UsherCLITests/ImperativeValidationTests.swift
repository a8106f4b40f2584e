import Foundation
import Testing
import UsherTestSupport

/// A value typed on the command line that the config rules refuse (a weight above 1000, a
/// name with a slash, a table size that is not prime) is bad usage of that command: exit 64,
/// and the message speaks of the option the user typed, not of a config file path such as
/// `services[1].maglev-table-size` that the user never wrote.
@Suite("Imperative values refused as usage errors")
struct ImperativeValidationTests {
    static func expectUsageError(_ result: CLIResult, mentions words: [String],
                                 sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status == 64, "\(result)", sourceLocation: sourceLocation)
        #expect(!result.stderr.contains("services["), "no config-file path for a command-line value: \(result)",
                sourceLocation: sourceLocation)
        for word in words {
            #expect(result.stderr.contains(word), "mentions \(word): \(result)", sourceLocation: sourceLocation)
        }
    }

    @Test("service add: bad name, non-prime --table-size (no root needed)")
    func serviceAdd() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let name = try sandbox.usher("service", "add", "bad/name", "--vip", "203.0.113.50", "--port", "80", "--mode", "dsr-l2")
        Self.expectUsageError(name, mentions: ["bad/name"])
        let size = try sandbox.usher("service", "add", "web", "--vip", "203.0.113.50", "--port", "80", "--mode", "dsr-l2",
                                     "--table-size", "100")
        Self.expectUsageError(size, mentions: ["table-size", "100", "101"])
    }

    @Test("real add --weight and real weight above 1000",
          .enabled(if: Privileges.rootAndBPFFS, Privileges.requirement))
    func weights() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try sandbox.ok("apply", "-f", try sandbox.write("base.yaml", Configs.base))
        let before = try sandbox.snapshot()
        let add = try sandbox.usher("real", "add", "web", "198.51.100.13", "--mac", "02:00:00:00:00:13", "--weight", "1001")
        Self.expectUsageError(add, mentions: ["weight", "1001", "1000"])
        let weight = try sandbox.usher("real", "weight", "web", "198.51.100.11", "5000")
        Self.expectUsageError(weight, mentions: ["weight", "5000", "1000"])
        #expect(try sandbox.snapshot() == before)
    }
}
