import Foundation
import Testing

/// An invalid config file exits 65 (EX_DATAERR) with every error on its own stderr line as
/// `FILE:LINE:COL: FIELD: message`, and nothing is created: no root needed.
@Suite("Exit 65: invalid config")
struct ConfigErrorTests {
    static let fourErrors = """
    services:
      - name: web
        vip: 203.0.113.10
        port: 80
        protocol: tcp
        mode: dsr-l2
        colour: blue
        reals:
          - address: 198.51.100.300
            mac: 02:00:00:00:00:11
      - name: web
        vip: 203.0.113.11
        port: 80
        protocol: tcp
        mode: dsr-l2
      - name: tunnel
        vip: 203.0.113.12
        port: 53
        protocol: udp
        mode: dsr-ipip
        reals:
          - address: 198.51.100.21
            mac: 02:00:00:00:00:21

    """

    @Test("each error located by file, line, column and field")
    func everyErrorLocated() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let file = try sandbox.write("bad.yaml", Self.fourErrors)
        let result = try sandbox.usher("apply", "-f", file)
        #expect(result.status == 65, "\(result)")
        #expect(result.stdout == "", "\(result)")
        let lines = result.stderrLines
        try #require(lines.count == 5, "four errors and a summary: \(result)")
        // Unknown field: where the key is.
        #expect(lines[0].hasPrefix("\(file):7:5: services[0].colour: "), "\(lines[0])")
        #expect(lines[0].contains("unknown field \"colour\""), "\(lines[0])")
        // Bad address: where the value is.
        #expect(lines[1].hasPrefix("\(file):9:18: services[0].reals[0].address: "), "\(lines[1])")
        #expect(lines[1].contains("\"198.51.100.300\" is not an IP address"), "\(lines[1])")
        // Duplicate service: at the second name, pointing back at the first.
        #expect(lines[2].hasPrefix("\(file):11:11: services[1].name: "), "\(lines[2])")
        #expect(lines[2].contains("\"web\" is already used") && lines[2].contains("line 2"), "\(lines[2])")
        // dsr-ipip without encapsulation: at the mode, saying what to add.
        #expect(lines[3].hasPrefix("\(file):20:11: services[2].mode: "), "\(lines[3])")
        #expect(lines[3].contains("encapsulation.source-v4"), "\(lines[3])")
        #expect(lines[4] == "usher: configuration rejected (4 errors); nothing was changed")
        #expect(!FileManager.default.fileExists(atPath: sandbox.pinDir), "an invalid config must not create maps")
        #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.stateDir).isEmpty, "nor state")
    }

    @Test("a YAML syntax error is located too")
    func syntaxError() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let file = try sandbox.write("broken.yaml", "services:\n  - name: web\n    vip: [203.0.113.10\n")
        let result = try sandbox.usher("apply", "-f", file)
        #expect(result.status == 65, "\(result)")
        let lines = result.stderrLines
        try #require(lines.count == 2, "\(result)")
        #expect(lines[0].hasPrefix("\(file):"), "\(lines[0])")
        let location = lines[0].dropFirst(file.count + 1).split(separator: ":").prefix(2)
        #expect(location.count == 2 && location.allSatisfy { Int($0) != nil }, "FILE:LINE:COL: \(lines[0])")
        #expect(lines[1] == "usher: configuration rejected (1 error); nothing was changed")
    }

    @Test("--dry-run reports the same errors and the same status")
    func dryRunToo() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let file = try sandbox.write("bad.yaml", Self.fourErrors)
        let applied = try sandbox.usher("apply", "-f", file)
        let dry = try sandbox.usher("apply", "-f", file, "--dry-run")
        #expect(dry.status == 65)
        #expect(dry.stderr == applied.stderr)
    }
}
