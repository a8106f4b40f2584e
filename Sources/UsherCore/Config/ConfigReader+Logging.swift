import Yams

/// `logging:`: where the daemon's log goes.
extension ConfigReader {
    static let loggingFields = ["local-syslog", "remote-syslog", "stderr", "facility", "queue-size"]
    /// The longest path a Unix socket address holds (sun_path is 108 bytes with its NUL).
    static let maxSocketPath = 107

    mutating func readLogging(_ node: Node, at path: FieldPath) -> LoggingSettings {
        var out = LoggingSettings()
        guard let fields = mapping(node, at: path, what: "the logging settings", fields: Self.loggingFields,
                                   hint: "write e.g. `local-syslog: /dev/log` and `remote-syslog: udp://198.51.100.9:514` under it")
        else { return out }
        if let node = fields["local-syslog"] { out.localSyslog = localSyslog(node, at: path.key("local-syslog")) }
        if let node = fields["remote-syslog"] {
            out.remoteSyslog = oneOrList(node, at: path.key("remote-syslog")).compactMap { syslogEndpoint($0.0, at: $0.1) }
        }
        if let node = fields["stderr"] { out.stderr = boolean(node, at: path.key("stderr"), what: "stderr") }
        if let node = fields["facility"] {
            out.facility = choice(node, at: path.key("facility"), what: "syslog facility",
                                  choices: SyslogFacility.allCases.map { ($0.rawValue, $0) },
                                  synonyms: ["local": "local0", "system": "daemon", "security": "auth"]) ?? out.facility
        }
        if let node = fields["queue-size"] {
            let hint = "write a number of log lines from 10 to 1000000, e.g. 10000"
            if let n = integer(node, at: path.key("queue-size"), what: "queue-size", hint: hint) {
                if (10...1_000_000).contains(n) { out.queueSize = n } else {
                    report(path.key("queue-size"), at: node.mark, "queue-size \(n) is out of range", hint: hint)
                }
            }
        }
        return out
    }

    /// `true` (/dev/log), `false` (none) or the socket's absolute path.
    private mutating func localSyslog(_ node: Node, at path: FieldPath) -> String? {
        let hint = "write the path of the syslog socket, e.g. \(LoggingSettings.defaultLocalSocket), or true for that one"
        guard let text = scalar(node, at: path, what: "local-syslog", hint: hint) else { return nil }
        switch text {
        case "true": return LoggingSettings.defaultLocalSocket
        case "false": return nil
        default:
            guard text.hasPrefix("/") else {
                report(path, at: node.mark, "local-syslog \"\(text)\" is not an absolute path", hint: hint)
                return nil
            }
            guard text.utf8.count <= Self.maxSocketPath, !text.utf8.contains(0) else {
                report(path, at: node.mark, "local-syslog is \(text.utf8.count) bytes long; a Unix socket's path holds at most \(Self.maxSocketPath)",
                       hint: "use a shorter path")
                return nil
            }
            return text
        }
    }

    mutating func syslogEndpoint(_ node: Node, at path: FieldPath) -> SyslogEndpoint? {
        let hint = "write udp://HOST:PORT or tcp://HOST:PORT, e.g. udp://198.51.100.9:514 (IPv6: udp://[2001:db8::9]:514)"
        guard let text = scalar(node, at: path, what: "a syslog server", hint: hint) else { return nil }
        switch SyslogEndpoint.parse(text) {
        case let .success(endpoint): return endpoint
        case .failure(.noScheme): report(path, at: node.mark, "\"\(text)\" does not say udp:// or tcp://", hint: hint)
        case let .failure(.unknownScheme(s)):
            report(path, at: node.mark, "a syslog server is reached over udp or tcp, not \"\(s)\"",
                   hint: s.lowercased() == "tls" ? "syslog over TLS (RFC 5425) is not supported: use tcp:// to a local relay" : hint)
        case let .failure(.badHost(h)): report(path, at: node.mark, "\"\(h)\" is not a host name or address", hint: hint)
        case let .failure(.badPort(p)): report(path, at: node.mark, "\"\(p)\" is not a port (1-65535)", hint: hint)
        }
        return nil
    }
}
