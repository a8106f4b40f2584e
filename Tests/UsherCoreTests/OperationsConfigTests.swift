import Testing
@testable import UsherCore

/// `logging:` and `alerts:`: what a valid section becomes, and each value that cannot be what
/// its field says, located at its line.
@Suite struct OperationsConfigTests {
    /// `lines` under the top-level `section` (from line 2), then a service.
    func file(_ section: String, _ lines: [String]) -> String {
        ([section + ":"] + lines.map { "  " + $0 }).joined(separator: "\n") + "\n" + serviceFile()
    }

    @Test func aFullLoggingSection() throws {
        let config = try ConfigLoader.parse(yaml: file("logging", [
            "local-syslog: /run/syslog.sock", "remote-syslog:", "  - udp://198.51.100.9:514", "  - tcp://[2001:db8::9]:6514",
            "  - tcp://logs.example.com", "stderr: true", "facility: local4", "queue-size: 500",
        ]), file: "f")
        #expect(config.logging == LoggingSettings(
            localSyslog: "/run/syslog.sock",
            remoteSyslog: [SyslogEndpoint(transport: .udp, host: "198.51.100.9", port: 514),
                           SyslogEndpoint(transport: .tcp, host: "2001:db8::9", port: 6514),
                           SyslogEndpoint(transport: .tcp, host: "logs.example.com", port: 514)],
            stderr: true, facility: .local4, queueSize: 500))
        #expect(config.logging.remoteSyslog[1].description == "tcp://[2001:db8::9]:6514")
    }

    @Test func loggingDefaults() throws {
        let none = try ConfigLoader.parse(yaml: serviceFile(), file: "f")
        #expect(none.logging == LoggingSettings() && none.logging.writesStderr(stderrIsJournal: true) && none.alerts == AlertSettings())
        let local = try ConfigLoader.parse(yaml: file("logging", ["local-syslog: true", "remote-syslog: udp://198.51.100.9"]), file: "f")
        #expect(local.logging.localSyslog == "/dev/log" && !local.logging.writesStderr(stderrIsJournal: true))
        #expect(local.logging.writesStderr(stderrIsJournal: false), "a foreground run keeps its stderr")
        #expect(local.logging.remoteSyslog == [SyslogEndpoint(transport: .udp, host: "198.51.100.9", port: 514)])
    }

    @Test func badLoggingValuesAreLocated() {
        expectOneError(file("logging", ["remote-syslog: tls://198.51.100.9:6514"]), line: 2, field: "logging.remote-syslog",
                       message: "not \"tls\"", hint: "RFC 5425")
        expectOneError(file("logging", ["remote-syslog: [udp://198.51.100.9:99999]"]), line: 2, field: "logging.remote-syslog[0]",
                       message: "\"99999\" is not a port")
        expectOneError(file("logging", ["remote-syslog: 198.51.100.9:514"]), line: 2, field: "logging.remote-syslog",
                       message: "does not say udp:// or tcp://")
        expectOneError(file("logging", ["local-syslog: dev/log"]), line: 2, field: "logging.local-syslog", message: "not an absolute path")
        expectOneError(file("logging", ["facility: local9"]), line: 2, field: "logging.facility", message: "unknown syslog facility")
        expectOneError(file("logging", ["queue-size: 5"]), line: 2, field: "logging.queue-size", message: "out of range")
        expectOneError(file("logging", ["sterr: false"]), line: 2, field: "logging.sterr", message: "unknown field", hint: "did you mean \"stderr\"?")
    }

    @Test func aFullAlertsSection() throws {
        let config = try ConfigLoader.parse(yaml: file("alerts", [
            "max-per-minute: 3",
            "webhook:", "  url: https://hooks.example.com/usher?team=ops", "  timeout: 2s", "  ca-file: /etc/usher/ca.pem",
            "email:", "  server: smtp.example.com:587", "  starttls: true", "  from: usher@lb1.example.com",
            "  to: [ops@example.com, oncall@example.com]", "  subject-prefix: \"[usher lb1]\"", "  timeout: 20s",
        ]), file: "f")
        #expect(config.alerts.maxPerMinute == 3)
        #expect(config.alerts.webhook == WebhookAlert(url: "https://hooks.example.com/usher?team=ops", secure: true,
                                                      host: "hooks.example.com", port: 443, target: "/usher?team=ops",
                                                      timeoutSeconds: 2, caFile: "/etc/usher/ca.pem"))
        #expect(config.alerts.email == EmailAlert(server: "smtp.example.com", port: 587, startTLS: true, from: "usher@lb1.example.com",
                                                  to: ["ops@example.com", "oncall@example.com"], subjectPrefix: "[usher lb1]",
                                                  timeoutSeconds: 20))
    }

    @Test func webhookURLs() {
        guard case let .success(w) = WebhookAlert.parse(url: "http://[2001:db8::9]:8080") else { Issue.record("refused"); return }
        #expect(w.host == "2001:db8::9" && w.port == 8080 && w.target == "/" && !w.secure)
        #expect(WebhookAlert.parse(url: "ftp://x/") == .failure(.unknownScheme("ftp")))
        #expect(WebhookAlert.parse(url: "http://user:pw@x/") == .failure(.userInfo))
        #expect(WebhookAlert.parse(url: "http://x:0/") == .failure(.badPort("0")))
        #expect(WebhookAlert.parse(url: "http://x y/") == .failure(.whitespace))
    }

    @Test func badAlertValuesAreLocated() {
        expectOneError(file("alerts", ["webhook:", "  url: hooks.example.com/usher"]), line: 3, field: "alerts.webhook.url",
                       message: "does not start with http:// or https://")
        expectOneError(file("alerts", ["webhook:", "  timeout: 2s"]), line: 2, field: "alerts.webhook.url", message: "missing field \"url\"")
        expectOneError(file("alerts", ["webhook:", "  url: http://198.51.100.9/", "  ca-file: /etc/ca.pem"]), line: 4,
                       field: "alerts.webhook.ca-file", message: "this one is http")
        expectOneError(file("alerts", ["max-per-minute: 0"]), line: 2, field: "alerts.max-per-minute", message: "out of range")
        expectOneError(file("alerts", ["email:", "  server: smtp.example.com", "  from: usher", "  to: ops@example.com"]), line: 4,
                       field: "alerts.email.from", message: "\"usher\" is not a plain email address")
        expectOneError(file("alerts", ["email:", "  server: smtp.example.com", "  from: u@example.com", "  to: [ops@example.com, \"Ops <o@example.com>\"]"]),
                       line: 5, field: "alerts.email.to[1]", message: "not a plain email address")
        expectOneError(file("alerts", ["email:", "  server: smtp.example.com:25x", "  from: u@example.com", "  to: o@example.com"]), line: 3,
                       field: "alerts.email.server", message: "\"25x\" is not a port")
        expectOneError(file("alerts", ["email:", "  server: smtp.example.com", "  to: o@example.com"]), line: 2,
                       field: "alerts.email.from", message: "missing field \"from\"")
        expectOneError(file("alerts", ["webhook:", "  url: http://198.51.100.9/", "  timeout: 2m"]), line: 4,
                       field: "alerts.webhook.timeout", message: "out of range")
    }
}
