import Foundation
import Testing
@testable import UsherCore

/// `health-check`, `on-down` and `slow-start` of L4 services; `backup`, `disabled` and the
/// per-real check overrides of their reals: what a valid file gives, and every error with its
/// line and field.
struct HealthConfigTests {
    @Test func serviceCheckWithRealOverridesMerged() throws {
        let yaml = serviceFile(extra: [
            "health-check: { type: http, method: HEAD, path: /healthz, host: app.example, expect-status: [200-299, 304],",
            "                expect-body: ready, interval: 5s, timeout: 2s, rise: 3, fall: 4 }",
            "on-down: reset",
            "slow-start: 30s",
        ], reals: [
            "- address: 198.51.100.11",
            "- address: 198.51.100.12",
            "  backup: true",
            "  health-check: { interval: 10s, port: 8080, address: 198.51.100.99 }",
            "- address: 198.51.100.13",
            "  disabled: true",
            "  health-check: { type: tcp, port: 22 }",
        ])
        let service = try #require(try ConfigLoader.parse(yaml: yaml, file: "usher.yaml").services.first)
        let http = HTTPCheck(method: "HEAD", path: "/healthz", host: "app.example", expectStatus: StatusCodes([200...299, 304...304]),
                             bodyContains: "ready")
        let check = HealthCheck(kind: .http(http), intervalSeconds: 5, timeoutSeconds: 2, rise: 3, fall: 4)
        #expect(service.healthCheck == check)
        #expect(service.onDown == .reset)
        #expect(service.slowStartSeconds == 30)
        #expect(service.healthCheck(of: service.reals[0]) == check)
        var merged = check
        merged.intervalSeconds = 10
        merged.port = 8080
        merged.address = .v4(198, 51, 100, 99)
        #expect(service.reals[1].backup && !service.reals[1].disabled)
        #expect(service.reals[1].healthCheck == merged)
        var own = check
        own.kind = .tcp
        own.port = 22
        #expect(service.reals[2].disabled && !service.reals[2].backup)
        #expect(service.reals[2].healthCheck == own, "a type of its own keeps the service's timing")
    }

    @Test func everyCheckTypeReads() throws {
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("usher-check-\(UUID().uuidString.prefix(8))").path
        try "#!/bin/sh\nexit 0\n".write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        defer { try? FileManager.default.removeItem(atPath: script) }
        let cases: [(String, HealthCheckKind)] = [
            ("{ type: none }", .none),
            ("{ type: tls, server-name: app.example }", .tls(HealthCheckTLS(serverName: "app.example"))),
            ("{ type: https, path: /, server-name: app.example, verify: false }",
             .https(HTTPCheck(path: "/"), HealthCheckTLS(serverName: "app.example", verify: false))),
            ("{ type: udp, send: \"PING\", expect-regex: \"^PONG\" }", .udp(UDPCheck(send: Array("PING".utf8), expect: .regex("^PONG")))),
            ("{ type: udp, send-hex: \"0a 0b\", expect-hex: ff }", .udp(UDPCheck(send: [10, 11], expect: .bytes([255])))),
            ("{ type: dns, query: www.example.com, query-type: AAAA, expect-rcode: [NOERROR, NXDOMAIN] }",
             .dns(DNSCheck(name: "www.example.com", type: 28, expectRcodes: [0, 3]))),
            ("{ type: script, script: \(script), arguments: [--fast, \"two words\"] }",
             .script(ScriptCheck(path: script, arguments: ["--fast", "two words"]))),
        ]
        for (text, kind) in cases {
            let config = try ConfigLoader.parse(yaml: serviceFile(proto: "udp", extra: ["health-check: \(text)"]), file: "usher.yaml")
            #expect(config.services.first?.healthCheck?.kind == kind, "\(text)")
        }
    }

    @Test(arguments: [
        ("on-down: flush-all", 7, "services[0].on-down", "unknown on-down action \"flush-all\"", "keep or reset"),
        ("slow-start: 2h", 7, "services[0].slow-start", "slow-start 2h is above 1h", "use 0s to 1h"),
        ("slow-start: soon", 7, "services[0].slow-start", "slow-start \"soon\" is not a duration", "e.g. 500ms"),
        ("health-check: { type: udp }", 7, "services[0].health-check.send", "missing field \"send\" in a udp health check", "send-hex"),
        ("health-check: { type: udp, send: x, expect-regex: \"(\" }", 7, "services[0].health-check.expect-regex",
         "expect-regex \"(\" is not a regular expression", "fix the pattern"),
        ("health-check: { type: udp, send: x, expect: a, expect-hex: 0a }", 7, "services[0].health-check.expect-hex",
         "give one of expect, expect-hex and expect-regex, not 2", nil),
        ("health-check: { type: udp, send-hex: xyz }", 7, "services[0].health-check.send-hex", "\"xyz\" is not hex bytes", "pairs of hex digits"),
        ("health-check: { type: udp, send: x, path: / }", 7, "services[0].health-check.path",
         "\"path\" is for http and https health checks, not udp", "write `type: http`"),
        ("health-check: { type: dns }", 7, "services[0].health-check.query", "missing field \"query\" in a dns health check", "www.example.com"),
        ("health-check: { type: dns, query: \"a..b\" }", 7, "services[0].health-check.query", "DNS name \"a..b\" has an empty label", nil),
        ("health-check: { type: dns, query: a.b, expect-rcode: SERVFALE }", 7, "services[0].health-check.expect-rcode",
         "unknown DNS rcode \"SERVFALE\"", "did you mean \"SERVFAIL\"?"),
        ("health-check: { type: dns, query: a.b, query-type: aaaa }", 7, "services[0].health-check.query-type",
         "unknown DNS query type \"aaaa\"", "did you mean \"AAAA\"?"),
        ("health-check: { type: http, path: /, expect-status: 200-700 }", 7, "services[0].health-check.expect-status",
         "expect-status 700 is above 599", "use 100 to 599"),
        ("health-check: { type: http, path: /, expect-status: 2xx-3xx }", 7, "services[0].health-check.expect-status",
         "expect-status \"2xx-3xx\" is not a range of status codes", "200-399"),
        ("health-check: { type: http, path: /, method: get }", 7, "services[0].health-check.method",
         "method \"get\" is not an HTTP method", "in capitals"),
        ("health-check: { type: https, path: /, ca: /nonexistent/ca.pem }", 7, "services[0].health-check.ca", "no file at /nonexistent/ca.pem", nil),
        ("health-check: { type: https, path: /, verify: maybe }", 7, "services[0].health-check.verify",
         "verify \"maybe\" is neither true nor false", nil),
        ("health-check: { type: script }", 7, "services[0].health-check.script", "missing field \"script\" in a script health check", "exit status 0"),
        ("health-check: { type: script, script: /nonexistent/check }", 7, "services[0].health-check.script",
         "no program at /nonexistent/check", nil),
        ("health-check: { type: script, script: check.sh }", 7, "services[0].health-check.script",
         "script \"check.sh\" is a relative path", "/usr/local/bin/check.sh"),
        ("health-check: { type: tcp, interval: 50ms, timeout: 20ms }", 7, "services[0].health-check.interval", "interval 50ms is below 100ms", "use 100ms to 1h"),
        ("health-check: { type: tcp, port: 70000 }", 7, "services[0].health-check.port", "port 70000", nil),
        ("health-check: { type: tcp, address: nowhere }", 7, "services[0].health-check.address", "nowhere", "an IPv4 address"),
    ] as [(String, Int, String, String, String?)])
    func serviceCheckErrors(line: String, at lineNumber: Int, field: String, message: String, hint: String?) {
        expectOneError(serviceFile(extra: [line]), line: lineNumber, field: field, message: message, hint: hint)
    }

    @Test(arguments: [
        ("  backup: maybe", 10, "services[0].reals[0].backup", "backup \"maybe\" is neither true nor false", nil),
        ("  disabled: yes", 10, "services[0].reals[0].disabled", "disabled \"yes\" is neither true nor false", "write true"),
        ("  health-check: { path: /other }", 10, "services[0].reals[0].health-check.path",
         "\"path\" cannot be changed for one real alone", "give this real a whole check of its own"),
        ("  health-check: { timeout: 10s }", 10, "services[0].reals[0].health-check.timeout",
         "timeout 10s is not shorter than the interval 5s", "shorten the timeout"),
        ("  health-check: { type: dns, query: example.com, expect-status: 200 }", 10, "services[0].reals[0].health-check.expect-status",
         "\"expect-status\" is for http and https health checks, not dns", nil),
        ("  colour: red", 10, "services[0].reals[0].colour", "unknown field \"colour\" in a real", "known fields"),
    ] as [(String, Int, String, String, String?)])
    func realOverrideErrors(line: String, at lineNumber: Int, field: String, message: String, hint: String?) {
        let yaml = serviceFile(extra: ["health-check: { type: http, path: /, interval: 5s }"], reals: ["- address: 198.51.100.11", line])
        expectOneError(yaml, line: lineNumber, field: field, message: message, hint: hint)
    }

    @Test func aScriptMustBeExecutable() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("usher-check-\(UUID().uuidString.prefix(8))").path
        try "#!/bin/sh\nexit 0\n".write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o644)
        defer { try? FileManager.default.removeItem(atPath: path) }
        expectOneError(serviceFile(extra: ["health-check: { type: script, script: \(path) }"]), line: 7,
                       field: "services[0].health-check.script", message: "\(path) is not executable", hint: "chmod +x \(path)")
    }

    @Test func aRealOverrideWithoutAServiceCheckNeedsAType() {
        expectOneError(serviceFile(reals: ["- address: 198.51.100.11", "  health-check: { interval: 5s }"]),
                       line: 9, field: "services[0].reals[0].health-check.type", message: "missing field \"type\" in a health check",
                       hint: "the service has no health-check")
    }

    @Test func anEveryPortServiceNeedsAPortToCheck() throws {
        expectOneError(serviceFile(port: "\"*\"", extra: ["health-check: { type: tcp }"]), line: 7,
                       field: "services[0].health-check.port", message: "a tcp check of an every-port service needs a port to check",
                       hint: "add `port: 80`")
        // A port in the check, or a script (which opens no socket itself), is fine.
        _ = try ConfigLoader.parse(yaml: serviceFile(port: "\"*\"", extra: ["health-check: { type: tcp, port: 22 }"]), file: "usher.yaml")
        _ = try ConfigLoader.parse(yaml: serviceFile(port: "\"*\"", extra: ["health-check: { type: none }"]), file: "usher.yaml")
        // The real's own override gives the port.
        expectOneError(serviceFile(port: "\"*\"", reals: ["- address: 198.51.100.11", "  health-check: { type: udp, send: x }"]),
                       line: 9, field: "services[0].reals[0].health-check.port", message: "needs a port to check")
    }

    @Test(arguments: ["health-check: { type: tcp }", "on-down: reset", "slow-start: 10s"])
    func l4HealthFieldsAreRefusedForHTTP(line: String) {
        let key = String(line.prefix { $0 != ":" })
        let yaml = """
            services:
              - name: site
                vip: 203.0.113.10
                port: 80
                protocol: tcp
                mode: http
                \(line)
                pools: [{ name: app, reals: [{ address: 198.51.100.11, port: 8080 }] }]
                default-pool: app
            """
        expectOneError(yaml, line: 7, field: "services[0].\(key)", message: "\"\(key)\" is for dsr-l2, dsr-ipip, nat and gateway services, not http")
    }
}

/// What the daemon hands the health engine for an L4 service.
struct HealthTargetTests {
    @Test func eachCheckedRealIsATargetWithItsTrafficPort() throws {
        let yaml = serviceFile(mode: "nat", extra: ["snat-pool: lb", "health-check: { type: tcp, port: 22 }"], reals: [
            "- address: 198.51.100.11",
            "  port: 8080",
            "- address: 198.51.100.12",
            "  health-check: { interval: 10s }",
        ], before: "snat-pools: [{ name: lb, addresses: [198.51.100.200] }]\n")
        let service = try #require(try ConfigLoader.parse(yaml: yaml, file: "usher.yaml").services.first)
        let base = HealthCheck(kind: .tcp, port: 22)
        var slower = base
        slower.intervalSeconds = 10
        #expect(service.healthChecks == [
            HealthTarget(service: "web", address: .v4(198, 51, 100, 11), port: 8080): base,
            HealthTarget(service: "web", address: .v4(198, 51, 100, 12), port: 80): slower,
        ])
        var unchecked = service
        unchecked.healthCheck = nil
        #expect(Array(unchecked.healthChecks.keys) == [HealthTarget(service: "web", address: .v4(198, 51, 100, 12), port: 80)])
    }
}
