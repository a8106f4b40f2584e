import Yams

/// The NAT parts of a config: `snat-pools:`, `nat:` and a real's `port:`.
extension ConfigReader {
    static let snatPoolFields = ["name", "addresses", "ports"]
    static let natFields = ["tcp-idle-timeout", "tcp-closed-timeout", "udp-idle-timeout"]
    static let portRangeHint = "write LOWER-UPPER within 1-65535, e.g. 1024-65535"

    /// An SNAT pool, or nil when any of its fields is unreadable; and its name when that could
    /// be read (a service naming an unreadable pool is not reported again).
    mutating func readSNATPool(_ node: Node, at path: FieldPath) -> (SNATPool?, String?) {
        let example: String
        if case let .scalar(s) = node, !Self.isNull(node) {
            example = "write `- name: \(s.string)` with `addresses: [198.51.100.3]` under it"
        } else {
            example = "write `- name: lb-snat` with `addresses: [198.51.100.3]` under it"
        }
        guard let fields = mapping(node, at: path, what: "an SNAT pool", fields: Self.snatPoolFields, hint: example) else {
            return (nil, nil)
        }
        require([
            ("name", "add `name: lb-snat`, the name services give as `snat-pool:`"),
            ("addresses", "add `addresses: [198.51.100.3]`, the source addresses the real servers will see"),
        ], in: fields, at: path, what: "an SNAT pool")
        var ok = true
        let name = fields["name"].flatMap {
            scalar($0, at: path.key("name"), what: "an SNAT pool name", hint: ConfigValidator.snatPoolNameHint)
        }
        var addresses: [IPAddress] = []
        if fields["addresses"] == nil { ok = false } // reported by `require`, or as a misspelling
        if let node = fields["addresses"] {
            let read = items(node, at: path.key("addresses"), what: "addresses",
                             hint: "write `addresses: [198.51.100.3, 198.51.100.4]` or one `- 198.51.100.3` per line") {
                $0.address($1, at: $2, what: "an SNAT address", example: "198.51.100.3")
            }
            if let read { addresses = read } else { ok = false }
        }
        var ports = SNATPool.defaultPorts
        if let node = fields["ports"] {
            if let range = readPortRange(node, at: path.key("ports")) { ports = range } else { ok = false }
        }
        guard ok, let name else { return (nil, name) }
        return (SNATPool(name: name, addresses: addresses, ports: ports), name)
    }

    /// `LOWER-UPPER`, each a port number (their order and the range's size are judged by
    /// `ConfigValidator`).
    private mutating func readPortRange(_ node: Node, at path: FieldPath) -> PortRange? {
        guard let text = scalar(node, at: path, what: "a port range", hint: Self.portRangeHint) else { return nil }
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }) else {
            report(path, at: node.mark, "\"\(text)\" is not a port range", hint: Self.portRangeHint)
            return nil
        }
        var bounds: [UInt16] = []
        for part in parts {
            guard let value = UInt16(part) else {
                report(path, at: node.mark, "port \(part) of \(text) is out of range", hint: Self.portRangeHint)
                return nil
            }
            bounds.append(value)
        }
        return PortRange(lower: bounds[0], upper: bounds[1])
    }

    /// The `nat:` timeouts; an unreadable one keeps its default (it is reported).
    mutating func readNATSettings(_ node: Node, at path: FieldPath) -> NATSettings {
        var out = NATSettings()
        guard let fields = mapping(node, at: path, what: "the NAT settings", fields: Self.natFields,
                                   hint: "write `tcp-idle-timeout: 900`, `tcp-closed-timeout: 60` and/or `udp-idle-timeout: 60` under it")
        else { return out }
        for key in Self.natFields {
            guard let node = fields[key], let seconds = readTimeout(node, at: path.key(key), what: key) else { continue }
            switch key {
            case "tcp-idle-timeout": out.tcpIdleSeconds = seconds
            case "tcp-closed-timeout": out.tcpClosedSeconds = seconds
            default: out.udpIdleSeconds = seconds
            }
        }
        return out
    }

    /// Whole seconds, written as seconds (`900`) or with a unit (`15m`, `1h`).
    private mutating func readTimeout(_ node: Node, at path: FieldPath, what: String) -> UInt32? {
        guard let value = duration(node, at: path, what: what) else { return nil }
        guard value == value.rounded() else {
            report(path, at: node.mark, "\(what) \(ConfigValidator.describeSeconds(value)) is not a whole number of seconds",
                   hint: ConfigValidator.natTimeoutHint)
            return nil
        }
        if let problem = ConfigValidator.natTimeoutProblem(value, field: what) {
            report(path, at: node.mark, problem, hint: ConfigValidator.natTimeoutHint)
            return nil
        }
        return UInt32(value)
    }

    /// A real's `port:` (nat and gateway services: the port the real listens on).
    mutating func readRealPort(_ node: Node, at path: FieldPath) -> UInt16? {
        let hint = "use 1 to 65535, the port the real server listens on"
        guard let port = integer(node, at: path, what: "port", hint: hint) else { return nil }
        guard (1...65535).contains(port) else {
            report(path, at: node.mark, "port \(port) is out of range", hint: hint)
            return nil
        }
        return UInt16(port)
    }
}
