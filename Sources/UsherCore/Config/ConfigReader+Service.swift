import Yams

extension ConfigReader {
    /// A service, the file index of each of its reals kept in the model, and the same for the
    /// lists of its L7 settings.
    mutating func readService(_ node: Node, at path: FieldPath) -> (VirtualService, [Int], NestedIndex)? {
        guard let fields = mapping(node, at: path, what: "a service", fields: Self.serviceFields + Self.l7ServiceFields,
                                   hint: "write each service as a mapping: `- name: web`, then `vip:`, `port:`, … indented under it")
        else { return nil }
        require([
            ("name", "add `name: web`, a unique name for the service"),
            ("vip", "add `vip: 203.0.113.10`, the address clients connect to"),
            ("port", "add `port: 80`, or `port: \"*\"` for every port"),
            ("protocol", "add `protocol: tcp` or `protocol: udp`"),
            ("mode", "add `mode:` with one of \(Suggestions.list(ForwardingMode.allCases.map(\.rawValue)))"),
        ], in: fields, at: path, what: "a service")

        var ok = true
        func need<T>(_ value: T?) -> T? {
            if value == nil { ok = false }
            return value
        }
        let name = fields["name"].flatMap {
            need(scalar($0, at: path.key("name"), what: "a service name", hint: ConfigValidator.serviceNameHint))
        }
        let vip = fields["vip"].flatMap { need(address($0, at: path.key("vip"), what: "the VIP", example: "203.0.113.10")) }
        let port = fields["port"].flatMap { need(readPort($0, at: path.key("port"))) }
        let proto = fields["protocol"].flatMap {
            need(choice($0, at: path.key("protocol"), what: "protocol", choices: TransportProtocol.allCases.map { ($0.rawValue, $0) }))
        }
        let mode = fields["mode"].flatMap {
            need(choice($0, at: path.key("mode"), what: "mode", choices: ForwardingMode.allCases.map { ($0.rawValue, $0) },
                        synonyms: ["dsr": "dsr-l2", "l2": "dsr-l2", "ipip": "dsr-ipip", "tunnel": "dsr-ipip", "tls": "https",
                                   "fullnat": "nat", "full-nat": "nat", "snat": "nat", "one-arm": "nat", "single-leg": "nat",
                                   "dnat": "gateway", "masq": "gateway", "masquerade": "gateway", "two-arm": "gateway",
                                   "two-leg": "gateway", "routed": "gateway"]))
        }
        // Read for every mode; ConfigValidator refuses it for all but nat.
        let snatPool = fields["snat-pool"].flatMap {
            need(scalar($0, at: path.key("snat-pool"), what: "an SNAT pool name",
                        hint: "write the name of one of the pools under `snat-pools:`, e.g. `snat-pool: lb-snat`"))
        }
        var tableSize = VirtualService.defaultMaglevTableSize
        if let node = fields["maglev-table-size"] {
            if let size = need(readTableSize(node, at: path.key("maglev-table-size"))) { tableSize = size }
        }
        var sourceOnly = false
        if let node = fields["hash"] {
            let choices = [("5-tuple", false), ("source-ip", true)]
            let synonyms = ["5tuple": "5-tuple", "five-tuple": "5-tuple", "src-ip": "source-ip", "source": "source-ip", "sourceip": "source-ip"]
            if let s = need(choice(node, at: path.key("hash"), what: "hash", choices: choices, synonyms: synonyms)) { sourceOnly = s }
        }
        // Each mode takes its own fields; with an unreadable mode, only the L4 ones are read.
        var l7: L7Settings?
        var nested = NestedIndex()
        if let mode, !mode.isLayer4 {
            refuseL4Fields(fields, of: node, at: path, mode: mode)
            (l7, nested) = readL7(fields, at: path, mode: mode)
        } else if let mode {
            refuseL7Fields(fields, of: node, at: path, mode: mode)
        }
        var health = ServiceHealth()
        if mode?.isLayer4 != false { health = readServiceHealth(fields, at: path, ok: &ok) }
        var reals: [RealServer] = []
        var realIndex: [Int] = []
        if mode?.isLayer4 != false, let node = fields["reals"],
           let items = list(node, at: path.key("reals"), what: "reals", hint: "start each real with `- address: 198.51.100.11`") {
            for (j, item) in items.enumerated() {
                if let real = readReal(item, at: path.key("reals").index(j), serviceCheck: health.check) {
                    reals.append(real)
                    realIndex.append(j)
                }
            }
        }
        guard ok, let name, let vip, let port, let proto, let mode else { return nil }
        let service = VirtualService(name: name, vip: vip, port: port, proto: proto, mode: mode,
                                     maglevTableSize: tableSize, hashSourceOnly: sourceOnly, reals: reals, l7: l7,
                                     snatPool: snatPool, healthCheck: health.check, onDown: health.onDown,
                                     slowStartSeconds: health.slowStartSeconds)
        return (service, realIndex, nested)
    }

    private mutating func readReal(_ node: Node, at path: FieldPath, serviceCheck: HealthCheck?) -> RealServer? {
        let example: String
        if case let .scalar(s) = node, !Self.isNull(node) { example = "write `- address: \(s.string)`" } else { example = "write `- address: 198.51.100.11`" }
        guard let fields = mapping(node, at: path, what: "a real", fields: Self.realFields, hint: example) else { return nil }
        require([("address", "add `address: 198.51.100.11`, the real server's address")], in: fields, at: path, what: "a real")
        var ok = true
        let realAddress = fields["address"].flatMap {
            address($0, at: path.key("address"), what: "the real's address", example: "198.51.100.11")
        }
        var port: UInt16?
        if let node = fields["port"] {
            port = readRealPort(node, at: path.key("port"))
            if port == nil { ok = false }
        }
        let weight = readWeight(fields["weight"], at: path.key("weight"), ok: &ok)
        var mac: MACAddress?
        if let node = fields["mac"] {
            let hint = "write six hex bytes such as 02:00:00:00:00:11, or leave mac out to use the neighbour table"
            if let text = scalar(node, at: path.key("mac"), what: "a MAC address", hint: hint) {
                mac = MACAddress(text)
                if mac == nil { report(path.key("mac"), at: node.mark, "\"\(text)\" is not a MAC address", hint: hint) }
            }
            if mac == nil { ok = false }
        }
        var real = RealServer(address: realAddress ?? .v4(0, 0, 0, 0), weight: weight, mac: mac, port: port)
        readRealHealth(fields, into: &real, at: path, serviceCheck: serviceCheck, ok: &ok)
        guard ok, realAddress != nil else { return nil }
        return real
    }

    private mutating func readPort(_ node: Node, at path: FieldPath) -> UInt16? {
        let hint = "use 1 to 65535, or \"*\" (quoted) for every port"
        guard let text = scalar(node, at: path, what: "a port", hint: hint) else { return nil }
        if text == "*" { return 0 }
        if text.contains("*") {
            report(path, at: node.mark, "\"\(text)\" is not a port; \"*\" stands alone, for every port", hint: hint)
            return nil
        }
        let digits = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            if text.contains("-"), text.split(separator: "-").allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) {
                report(path, at: node.mark, "port ranges such as \"\(text)\" are not supported", hint: "use one port, or \"*\" for every port")
            } else {
                report(path, at: node.mark, "\"\(text)\" is not a port number", hint: "write the number, e.g. 80, or \"*\" for every port")
            }
            return nil
        }
        guard let port = Int(text), (1...65535).contains(port) else {
            report(path, at: node.mark, "port \(text) is out of range", hint: hint)
            return nil
        }
        return UInt16(port)
    }

    private mutating func readTableSize(_ node: Node, at path: FieldPath) -> UInt32? {
        guard let size = integer(node, at: path, what: "maglev-table-size", hint: "use a prime such as 65537") else { return nil }
        guard let value = UInt32(exactly: size) else {
            let range = ConfigValidator.maglevTableSizes
            report(path, at: node.mark, "\(size) is outside \(range.lowerBound)…\(range.upperBound)",
                   hint: "use a prime in that range, e.g. \(Primes.nearest(to: size, in: range))")
            return nil
        }
        return value
    }

    /// A real's `weight` (default 1), reported and `ok` cleared when it is no whole number in
    /// range; shared by L4 reals and L7 pool members.
    mutating func readWeight(_ node: Node?, at path: FieldPath, ok: inout Bool) -> UInt32 {
        guard let node else { return 1 }
        let hint = ConfigValidator.weightHint
        guard let w = integer(node, at: path, what: "weight", hint: hint) else {
            ok = false
            return 1
        }
        if let problem = ConfigValidator.weightProblem(w) {
            report(path, at: node.mark, problem, hint: hint)
            ok = false
            return 1
        }
        return UInt32(w)
    }
}
