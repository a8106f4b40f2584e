import Foundation
import Testing
@testable import UsherCore

/// Reading `snat-pools:`, `nat:`, a service's `snat-pool:` and a real's `port:`: what a valid
/// file becomes, and every value that cannot be what its field says, located.
@Suite struct NATReaderTests {
    /// A pool (lines 1-4: `snat-pools:`, `name`, `addresses`, `ports`), timeouts (5-8: `nat:` and
    /// three), then a nat service: `name` 10, … `mode` 14, `snat-pool` 15, `reals:` 16, the real
    /// from 17 (its `port` 18). `pool`, `nat` and `real` lines replace the defaults.
    static func natFile(
        pool: [String] = ["- name: lb-snat", "  addresses: [198.51.100.3]", "  ports: 20000-29999"],
        nat: [String] = ["tcp-idle-timeout: 600", "tcp-closed-timeout: 30", "udp-idle-timeout: 2m"],
        mode: String = "nat", snatPool: String = "lb-snat",
        real: [String] = ["- address: 198.51.100.11", "  port: 8080"]
    ) -> String {
        var lines = ["snat-pools:"] + pool.map { "  \($0)" }
        lines += ["nat:"] + nat.map { "  \($0)" }
        lines += ["services:", "  - name: app", "    vip: 203.0.113.20", "    port: 80", "    protocol: tcp", "    mode: \(mode)"]
        lines += ["    snat-pool: \(snatPool)", "    reals:"] + real.map { "      \($0)" }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test func aNATServiceWithItsPoolTimeoutsAndARealPort() throws {
        let config = try ConfigLoader.parse(yaml: Self.natFile(), file: "f")
        #expect(config.snatPools == [SNATPool(name: "lb-snat", addresses: [IPAddress("198.51.100.3")!],
                                              ports: PortRange(lower: 20000, upper: 29999))])
        #expect(config.nat == NATSettings(tcpIdleSeconds: 600, tcpClosedSeconds: 30, udpIdleSeconds: 120))
        let app = try #require(config.service(named: "app"))
        #expect(app.mode == .nat)
        #expect(app.snatPool == "lb-snat")
        #expect(app.reals == [RealServer(address: IPAddress("198.51.100.11")!, port: 8080)])
    }

    @Test func defaultsWhenLeftOut() throws {
        let file = Self.natFile(pool: ["- name: lb-snat", "  addresses:", "    - 198.51.100.3", "    - 198.51.100.4"],
                                nat: [], real: ["- address: 198.51.100.11"])
        let config = try ConfigLoader.parse(yaml: file, file: "f")
        #expect(config.snatPools[0].ports == PortRange(lower: 1024, upper: 65535))
        #expect(config.snatPools[0].addresses.map(\.description) == ["198.51.100.3", "198.51.100.4"])
        #expect(config.nat == NATSettings())
        #expect(config.services[0].reals[0].port == nil)
    }

    @Test func aGatewayServiceNeedsNoPool() throws {
        let file = serviceFile(mode: "gateway", reals: ["- address: 198.51.100.11", "  port: 8080"])
        let config = try ConfigLoader.parse(yaml: file, file: "f")
        #expect(config.services[0].mode == .gateway)
        #expect(config.services[0].snatPool == nil)
        #expect(config.services[0].reals[0].port == 8080)
        #expect(config.snatPools.isEmpty)
    }

    @Test(arguments: [
        ("1024", "\"1024\" is not a port range"),
        ("1024-", "\"1024-\" is not a port range"),
        ("low-high", "\"low-high\" is not a port range"),
        ("1024-70000", "port 70000 of 1024-70000 is out of range"),
        ("[1024, 2048]", "expected a port range, found a list"),
    ])
    func badPortRanges(ports: String, message: String) {
        let file = Self.natFile(pool: ["- name: lb-snat", "  addresses: [198.51.100.3]", "  ports: \(ports)"])
        expectOneError(file, line: 4, column: 12, field: "snat-pools[0].ports", message: message,
                       hint: "write LOWER-UPPER within 1-65535, e.g. 1024-65535")
    }

    @Test func aBadPoolAddressIsLocatedAndItsPoolIsNotReportedMissing() {
        let file = Self.natFile(pool: ["- name: lb-snat", "  addresses: [198.51.100.3, 198.51.100.300]"])
        expectOneError(file, line: 3, column: 31, field: "snat-pools[0].addresses[1]",
                       message: "\"198.51.100.300\" is not an IP address", hint: "198.51.100.3")
    }

    @Test func poolShapes() {
        let errors = parseErrors(Self.natFile(pool: ["- lb-snat", "- name: b", "  adresses: [198.51.100.4]", "- addresses: [198.51.100.5]"]))
        #expect(errors.map(\.field) == ["snat-pools[0]", "snat-pools[1].adresses", "snat-pools[2].name", "services[0].snat-pool"])
        #expect(errors.map(\.line) == [2, 4, 5, 16])
        #expect(errors[0].message == "expected an SNAT pool, found \"lb-snat\"")
        #expect(errors[0].hint == "write `- name: lb-snat` with `addresses: [198.51.100.3]` under it")
        // A misspelt field is reported once, not also as missing.
        #expect(errors[1].hint == "did you mean \"addresses\"?")
        #expect(errors[2].message == "missing field \"name\" in an SNAT pool")
        // The pool named in the service is nowhere in the file: that is reported.
        #expect(errors[3].message == "no SNAT pool named \"lb-snat\"")
        #expect(errors[3].hint?.hasPrefix("define it under `snat-pools:`") == true)
    }

    @Test(arguments: [
        ("0", "tcp-idle-timeout 0s is below 1s"),
        ("-5", "tcp-idle-timeout -5s is below 1s"),
        ("700000", "tcp-idle-timeout 700000s is above 604800s (7 days)"),
        ("8d", "tcp-idle-timeout \"8d\" has an unknown unit \"d\""),
        ("1.5", "tcp-idle-timeout 1.5s is not a whole number of seconds"),
        ("500ms", "tcp-idle-timeout 500ms is not a whole number of seconds"),
        ("soon", "tcp-idle-timeout \"soon\" is not a duration"),
    ])
    func badTimeouts(value: String, message: String) {
        let file = Self.natFile(nat: ["tcp-idle-timeout: \(value)"])
        expectOneError(file, line: 6, column: 21, field: "nat.tcp-idle-timeout", message: message)
    }

    @Test func timeoutsWithUnits() throws {
        let file = Self.natFile(nat: ["tcp-idle-timeout: 1h", "tcp-closed-timeout: 90s", "udp-idle-timeout: 604800"])
        #expect(try ConfigLoader.parse(yaml: file, file: "f").nat
            == NATSettings(tcpIdleSeconds: 3600, tcpClosedSeconds: 90, udpIdleSeconds: 604_800))
    }

    @Test func anUnknownNATField() {
        expectOneError(Self.natFile(nat: ["tcp-idle-timout: 60"]), line: 6, column: 3, field: "nat.tcp-idle-timout",
                       message: "unknown field \"tcp-idle-timout\" in the NAT settings", hint: "did you mean \"tcp-idle-timeout\"?")
        expectOneError(Self.natFile(nat: ["idle: 60"]), line: 6, column: 3, field: "nat.idle",
                       message: "unknown field \"idle\" in the NAT settings",
                       hint: "known fields: tcp-idle-timeout, tcp-closed-timeout, udp-idle-timeout")
    }

    @Test(arguments: [
        ("70000", "port 70000 is out of range"),
        ("0", "port 0 is out of range"),
        ("http", "port \"http\" is not a whole number"),
    ])
    func badRealPorts(port: String, message: String) {
        let file = Self.natFile(real: ["- address: 198.51.100.11", "  port: \(port)"])
        expectOneError(file, line: 18, column: 15, field: "services[0].reals[0].port", message: message,
                       hint: "use 1 to 65535, the port the real server listens on")
    }

    /// The first example of Docs/CONFIG.md, which shows every L4 field, is a valid config.
    @Test func theDocumentedExampleIsValid() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let docs = try String(contentsOf: root.appendingPathComponent("Docs/CONFIG.md"), encoding: .utf8)
        let yaml = try #require(docs.components(separatedBy: "```yaml\n").dropFirst().first?.components(separatedBy: "```").first)
        let config = try ConfigLoader.parse(yaml: yaml, file: "CONFIG.md")
        #expect(config.snatPools.map(\.name) == ["lb-snat"])
        #expect(config.service(named: "app")?.snatPool == "lb-snat")
        #expect(config.service(named: "app")?.reals.first?.port == 8080)
    }

    @Test func anEmptySNATPoolName() {
        expectOneError(Self.natFile(snatPool: "\"\""), line: 15, column: 16, field: "services[0].snat-pool",
                       message: "no SNAT pool named \"\"", hint: "known pools: lb-snat")
    }
}
