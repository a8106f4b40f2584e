import Yams

/// `health-check:` of an L4 service, of one of its reals (overrides merged over the service's),
/// and of an L7 pool: the fields every type has, then those of its type
/// (ConfigReader+HealthCheckKinds).
extension ConfigReader {
    static let healthCheckCommonFields = ["type", "interval", "timeout", "rise", "fall", "address", "port"]
    /// The fields of each type beyond the common ones.
    static let healthCheckKindFields: [(type: String, fields: [String])] = [
        ("none", []), ("tcp", []), ("tls", tlsCheckFields),
        ("http", httpCheckFields), ("https", httpCheckFields + tlsCheckFields),
        ("udp", ["send", "send-hex", "expect", "expect-hex", "expect-regex"]),
        ("dns", ["query", "query-type", "expect-rcode"]),
        ("script", ["script", "arguments"]),
    ]
    static let httpCheckFields = ["method", "path", "host", "expect-status", "expect-body"]
    static let tlsCheckFields = ["server-name", "verify", "ca"]
    static var healthCheckFields: [String] {
        var all = healthCheckCommonFields
        for (_, fields) in healthCheckKindFields { all += fields.filter { !all.contains($0) } }
        return all
    }

    /// A health check; nil only when it is not a mapping. With `base` (a real's override over its
    /// service's check), fields not given keep the base's and `type` may be left out. An
    /// unreadable field stands in the model as a value the loader does not judge again (an
    /// unreadable interval as infinite, so that the timeout is not compared with it).
    mutating func readHealthCheck(_ node: Node, at path: FieldPath, over base: HealthCheck? = nil, ofReal: Bool = false) -> HealthCheck? {
        let types = Self.healthCheckKindFields.map(\.type)
        guard let fields = mapping(node, at: path, what: "a health check", fields: Self.healthCheckFields,
                                   hint: "write `type: http` with `path: /healthz`, or `type: tcp`; the types are \(Suggestions.list(types))")
        else { return nil }
        if base == nil {
            let hint = ofReal ? "the service has no health-check to take it from: add `type: tcp` (or another type) here"
                              : "add `type: http` (with `path:`) or `type: tcp`"
            require([("type", hint)], in: fields, at: path, what: "a health check")
        }
        var check = base ?? HealthCheck(kind: .tcp)
        if let node = fields["interval"] { check.intervalSeconds = duration(node, at: path.key("interval"), what: "interval") ?? .infinity }
        if let node = fields["timeout"] { check.timeoutSeconds = duration(node, at: path.key("timeout"), what: "timeout") ?? 0 }
        for (key, hint) in [("rise", "successes in a row that bring a failed real back, 1 to 100"),
                            ("fall", "failures in a row that take a real out, 1 to 100")] {
            guard let node = fields[key], let n = integer(node, at: path.key(key), what: key, hint: hint) else { continue }
            if key == "rise" { check.rise = n } else { check.fall = n }
        }
        if let node = fields["address"] {
            check.address = address(node, at: path.key("address"), what: "the address to check", example: "198.51.100.11")
        }
        if let node = fields["port"] { check.port = readRealPort(node, at: path.key("port")) }

        let type = fields["type"].flatMap { choice($0, at: path.key("type"), what: "health check type", choices: types.map { ($0, $0) }) }
        if let type {
            refuseFields(fields, of: node, at: path, notOf: type)
            check.kind = readCheckKind(type, fields: fields, of: node, at: path)
        } else if fields["type"] == nil, base != nil {
            // An override without a type: only the common fields may change.
            for key in fields.keys.sorted() where !Self.healthCheckCommonFields.contains(key) {
                report(path.key(key), at: Self.keyMark(key, in: node), "\"\(key)\" cannot be changed for one real alone",
                       hint: "change it in the service's health-check, or give this real a whole check of its own with `type:`")
            }
        }
        return check
    }

    /// Reports the fields of other check types given to a check of `type`.
    private mutating func refuseFields(_ fields: [String: Node], of node: Node, at path: FieldPath, notOf type: String) {
        let own = Self.healthCheckKindFields.first { $0.type == type }?.fields ?? []
        for key in fields.keys.sorted() where !Self.healthCheckCommonFields.contains(key) && !own.contains(key) {
            let owners = Self.healthCheckKindFields.filter { $0.fields.contains(key) }.map(\.type)
            report(path.key(key), at: Self.keyMark(key, in: node),
                   "\"\(key)\" is for \(owners.joined(separator: " and ")) health checks, not \(type)",
                   hint: "remove it, or write `type: \(owners.first ?? "http")`")
        }
    }
}
