import Yams

/// The model read from a file, and for each model item the index of the item in the file
/// (items with errors are left out of the model, so the two can differ).
struct ReadConfig {
    var config = BalancerConfig()
    var serviceIndex: [Int] = []
    var realIndex: [[Int]] = []
    var interfaceIndex: [Int] = []
    /// For each service, the same for the lists of its L7 settings.
    var nestedIndex: [NestedIndex] = []
    /// For each SNAT pool of the model, its index in `snat-pools`.
    var poolIndex: [Int] = []
    /// The file index of every SNAT pool whose name could be read, kept or not: a problem
    /// caused by a missing pool (`snat-pools.NAME`, see `ConfigValidator`) maps to it.
    var poolIndexByName: [String: Int] = [:]

    /// `path` (of the model) as the path of the same field in the file.
    func filePath(_ path: FieldPath) -> FieldPath {
        var c = path.components
        if c.count >= 2, c[0] == .key("services"), case let .index(i) = c[1], i < serviceIndex.count {
            c[1] = .index(serviceIndex[i])
            if c.count >= 4, c[2] == .key("reals"), case let .index(j) = c[3], j < realIndex[i].count {
                c[3] = .index(realIndex[i][j])
            } else if c.count > 2, i < nestedIndex.count {
                // Walk the rest, mapping each index through the map of the list it is in.
                var list = FieldPath()
                for n in 2..<c.count {
                    let modelComponent = c[n]
                    if case let .index(k) = modelComponent, let map = nestedIndex[i][list], k < map.count { c[n] = .index(map[k]) }
                    list = FieldPath(list.components + [modelComponent])
                }
            }
        } else if c.count >= 2, c[0] == .key("interfaces"), case let .index(i) = c[1], i < interfaceIndex.count {
            c[1] = .index(interfaceIndex[i])
        } else if c.count >= 2, c[0] == .key("snat-pools"), case let .index(i) = c[1], i < poolIndex.count {
            c[1] = .index(poolIndex[i])
        } else if c.count >= 2, c[0] == .key("snat-pools"), case let .key(name) = c[1], let i = poolIndexByName[name] {
            c[1] = .index(i)
        }
        return FieldPath(c)
    }
}

extension ConfigReader {
    static let topFields = ["interfaces", "encapsulation", "snat-pools", "nat", "api", "sync", "logging", "alerts", "ha", "bgp", "services"]
    static let interfaceFields = ["name", "xdp-mode"]
    static let encapsulationFields = ["source-v4", "source-v6"]
    static let serviceFields = [
        "name", "vip", "port", "protocol", "mode", "snat-pool", "maglev-table-size", "hash", "health-check", "on-down", "slow-start",
        "reals",
    ]
    static let realFields = ["address", "port", "weight", "mac", "backup", "disabled", "health-check"]

    mutating func readConfig(_ root: Node) -> ReadConfig {
        var out = ReadConfig()
        let path = FieldPath.root
        guard let fields = mapping(root, at: path, what: "the config", fields: Self.topFields,
                                   hint: "a config is a mapping with `services:` (and optionally `interfaces:`, `encapsulation:`, `snat-pools:`, `nat:`, `sync:` and `bgp:`)")
        else { return out }
        require([("services", "add `services:` with a list of virtual services (`services: []` for none)")],
                in: fields, at: path, what: "the config")

        if let node = fields["interfaces"],
           let items = list(node, at: path.key("interfaces"), what: "interfaces", hint: "write each interface as `- name: eth0`") {
            for (i, item) in items.enumerated() {
                if let interface = readInterface(item, at: path.key("interfaces").index(i)) {
                    out.config.interfaces.append(interface)
                    out.interfaceIndex.append(i)
                }
            }
        }
        if let node = fields["encapsulation"], !Self.isNull(node) {
            out.config.encapsulation = readEncapsulation(node, at: path.key("encapsulation"))
        }
        if let node = fields["snat-pools"],
           let items = list(node, at: path.key("snat-pools"), what: "SNAT pools",
                            hint: "start each pool with `- name: lb-snat`, then `addresses: [198.51.100.3]`") {
            for (i, item) in items.enumerated() {
                let (pool, name) = readSNATPool(item, at: path.key("snat-pools").index(i))
                if let name, out.poolIndexByName[name] == nil { out.poolIndexByName[name] = i }
                if let pool {
                    out.config.snatPools.append(pool)
                    out.poolIndex.append(i)
                }
            }
        }
        if let node = fields["nat"], !Self.isNull(node) {
            out.config.nat = readNATSettings(node, at: path.key("nat"))
        }
        if let node = fields["api"], !Self.isNull(node) {
            out.config.api = readAPISettings(node, at: path.key("api")) ?? APISettings()
        }
        if let node = fields["sync"], !Self.isNull(node) {
            out.config.sync = readSync(node, at: path.key("sync"))
        }
        if let node = fields["bgp"], !Self.isNull(node) {
            out.config.bgp = readBGP(node, at: path.key("bgp"))
        }
        if let node = fields["logging"], !Self.isNull(node) {
            out.config.logging = readLogging(node, at: path.key("logging"))
        }
        if let node = fields["alerts"], !Self.isNull(node) {
            out.config.alerts = readAlerts(node, at: path.key("alerts"))
        }
        if let node = fields["ha"], !Self.isNull(node) {
            out.config.ha = readHASettings(node, at: path.key("ha"))
        }
        if let node = fields["services"],
           let items = list(node, at: path.key("services"), what: "services", hint: "start each service with `- name: …`") {
            for (i, item) in items.enumerated() {
                if let (service, reals, nested) = readService(item, at: path.key("services").index(i)) {
                    out.config.services.append(service)
                    out.serviceIndex.append(i)
                    out.realIndex.append(reals)
                    out.nestedIndex.append(nested)
                }
            }
        }
        return out
    }

    private mutating func readInterface(_ node: Node, at path: FieldPath) -> InterfaceConfig? {
        let example: String
        if case let .scalar(s) = node, !Self.isNull(node) { example = "write `- name: \(s.string)`" } else { example = "write `- name: eth0`" }
        guard let fields = mapping(node, at: path, what: "an interface", fields: Self.interfaceFields, hint: example) else { return nil }
        require([("name", "add `name: eth0`, the interface to attach the balancer to")], in: fields, at: path, what: "an interface")
        var name: String?
        var mode = XDPMode.native
        var ok = true
        if let node = fields["name"] {
            name = scalar(node, at: path.key("name"), what: "an interface name", hint: "write the name shown by `ip link`, e.g. eth0")
        }
        if let node = fields["xdp-mode"] {
            let choices = XDPMode.allCases.map { ($0.rawValue, $0) }
            if let m = choice(node, at: path.key("xdp-mode"), what: "xdp-mode", choices: choices,
                              synonyms: ["skb": "generic", "drv": "native", "driver": "native"]) {
                mode = m
            } else { ok = false }
        }
        guard ok, let name else { return nil }
        return InterfaceConfig(name: name, xdpMode: mode)
    }

    private mutating func readEncapsulation(_ node: Node, at path: FieldPath) -> Encapsulation {
        var out = Encapsulation()
        guard let fields = mapping(node, at: path, what: "the encapsulation settings", fields: Self.encapsulationFields,
                                   hint: "write `source-v4: 198.51.100.64/26` and/or `source-v6: 2001:db8:2::/112` under it")
        else { return out }
        out.sourceV4 = fields["source-v4"].flatMap { prefix($0, at: path.key("source-v4"), example: "198.51.100.64/26") }
        out.sourceV6 = fields["source-v6"].flatMap { prefix($0, at: path.key("source-v6"), example: "2001:db8:2::/112") }
        return out
    }

    mutating func prefix(_ node: Node, at path: FieldPath, example: String) -> IPPrefix? {
        let hint = "write ADDRESS/LENGTH, e.g. \(example)"
        guard let text = scalar(node, at: path, what: "a prefix", hint: hint) else { return nil }
        if let p = IPPrefix(text) { return p }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count == 2, let a = IPAddress(String(parts[0])) {
            report(path, at: node.mark, "\"\(parts[1])\" is not a prefix length for an \(a.familyName) address",
                   hint: "use 0 to \(a.bytes.count * 8), e.g. \(example)")
        } else {
            report(path, at: node.mark, "\"\(text)\" is not a prefix", hint: hint)
        }
        return nil
    }

    /// An IP address field (VIP or real).
    mutating func address(_ node: Node, at path: FieldPath, what: String, example: String) -> IPAddress? {
        let hint = "write an IPv4 address such as \(example) or an IPv6 address such as 2001:db8::10"
        guard let text = scalar(node, at: path, what: what, hint: hint) else { return nil }
        if let a = IPAddress(text) { return a }
        if let slash = text.firstIndex(of: "/"), IPAddress(String(text[..<slash])) != nil {
            report(path, at: node.mark, "\(what) \"\(text)\" is a prefix, not an address",
                   hint: "write the single address, without /\(text[text.index(after: slash)...])")
        } else {
            report(path, at: node.mark, "\"\(text)\" is not an IP address", hint: hint)
        }
        return nil
    }
}
