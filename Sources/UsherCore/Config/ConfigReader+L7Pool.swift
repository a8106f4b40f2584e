import Yams

/// The pools of an `http`/`https` service: their real servers, scheduling, affinity, TLS and
/// PROXY protocol towards the reals, and health checks.
extension ConfigReader {
    static let poolFields = [
        "name", "scheduler", "affinity", "tls", "proxy-protocol", "health-check", "connect-timeout", "response-timeout", "reals",
    ]
    static let memberFields = ["address", "port", "weight"]
    static let upstreamTLSFields = ["ca", "verify", "server-name"]

    /// A pool and the file index of each of its reals kept; nil only when it is not a mapping.
    /// An unreadable part is reported and stands in the model as an empty or neutral value at
    /// the same field, which the loader does not judge again.
    mutating func readPool(_ node: Node, at path: FieldPath) -> (Pool, [Int])? {
        guard let fields = mapping(node, at: path, what: "a pool", fields: Self.poolFields,
                                   hint: "write each pool as `- name: app` with its `reals:` under it")
        else { return nil }
        require([("name", "add `name: app`; rules and default-pool name the pool")], in: fields, at: path, what: "a pool")
        let name = fields["name"].flatMap { scalar($0, at: path.key("name"), what: "a pool name", hint: ConfigValidator.poolNameHint) }
        var pool = Pool(name: name ?? "")

        if let node = fields["scheduler"] {
            let synonyms = ["rr": "round-robin", "roundrobin": "round-robin", "wrr": "weighted-round-robin", "weighted": "weighted-round-robin",
                            "lc": "least-connections", "leastconn": "least-connections", "least-conn": "least-connections"]
            pool.scheduler = choice(node, at: path.key("scheduler"), what: "scheduler",
                                    choices: Scheduler.allCases.map { ($0.rawValue, $0) }, synonyms: synonyms) ?? pool.scheduler
        }
        if let node = fields["affinity"] { pool.affinity = readAffinity(node, at: path.key("affinity")) ?? pool.affinity }
        if let node = fields["tls"], !Self.isNull(node) { pool.upstreamTLS = readUpstreamTLS(node, at: path.key("tls")) }
        if let node = fields["proxy-protocol"] {
            pool.proxyProtocol = choice(node, at: path.key("proxy-protocol"), what: "PROXY protocol version",
                                        choices: ProxyProtocolVersion.allCases.map { ($0.rawValue, $0) },
                                        synonyms: ["1": "v1", "2": "v2", "true": "v2", "yes": "v2"])
        }
        if let node = fields["health-check"], !Self.isNull(node) { pool.healthCheck = readHealthCheck(node, at: path.key("health-check")) }
        if let node = fields["connect-timeout"], let s = duration(node, at: path.key("connect-timeout"), what: "connect-timeout") {
            pool.connectTimeoutSeconds = s
        }
        if let node = fields["response-timeout"], let s = duration(node, at: path.key("response-timeout"), what: "response-timeout") {
            pool.responseTimeoutSeconds = s
        }
        var memberIndex: [Int] = []
        if let node = fields["reals"],
           let items = list(node, at: path.key("reals"), what: "reals", hint: "start each real with `- address: 198.51.100.11` and give its `port:`") {
            for (j, item) in items.enumerated() {
                if let member = readMember(item, at: path.key("reals").index(j)) {
                    pool.members.append(member)
                    memberIndex.append(j)
                }
            }
        }
        return (pool, memberIndex)
    }

    private mutating func readMember(_ node: Node, at path: FieldPath) -> PoolMember? {
        let example: String
        if case let .scalar(s) = node, !Self.isNull(node) {
            example = "write `- address: \(s.string.split(separator: ":").first ?? "")` with `port: 8080` under it"
        } else {
            example = "write `- address: 198.51.100.11` with `port: 8080` under it"
        }
        guard let fields = mapping(node, at: path, what: "a real", fields: Self.memberFields, hint: example) else { return nil }
        require([("address", "add `address: 198.51.100.11`, the real server's address"),
                 ("port", "add `port: 8080`, the port the real server listens on")], in: fields, at: path, what: "a real")
        var ok = true
        let memberAddress = fields["address"].flatMap {
            address($0, at: path.key("address"), what: "the real's address", example: "198.51.100.11")
        }
        var port: UInt16?
        if let node = fields["port"] {
            let hint = "use 1 to 65535"
            if let p = integer(node, at: path.key("port"), what: "port", hint: hint) {
                port = UInt16(exactly: p)
                if port == nil { report(path.key("port"), at: node.mark, "port \(p) is out of range", hint: hint) }
            }
        }
        let weight = readWeight(fields["weight"], at: path.key("weight"), ok: &ok)
        guard ok, let memberAddress, let port else { return nil }
        return PoolMember(address: memberAddress, port: port, weight: weight)
    }

    /// `none`, `source-ip`, `header NAME`, `cookie NAME` or `app-cookie NAME`.
    private mutating func readAffinity(_ node: Node, at path: FieldPath) -> Affinity? {
        let hint = "write none, source-ip, header NAME, cookie NAME (a cookie the proxy inserts) or app-cookie NAME (the application's own)"
        guard let text = scalar(node, at: path, what: "an affinity", hint: hint) else { return nil }
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        let kind = words.first ?? ""
        let named = ["header": "header X-User", "cookie": "cookie USHERID", "app-cookie": "app-cookie JSESSIONID"]
        switch kind {
        case "none", "source-ip":
            guard words.count == 1 else {
                report(path, at: node.mark, "affinity \(kind) takes no name", hint: "write `affinity: \(kind)`")
                return nil
            }
            return kind == "none" ? Affinity.none : .sourceIP
        case "header", "cookie", "app-cookie":
            guard words.count == 2 else {
                let problem = words.count < 2 ? "affinity \(kind) needs the name of the \(kind == "header" ? "header" : "cookie")"
                    : "affinity \(kind) takes one name, found \(words.count - 1)"
                report(path, at: node.mark, problem, hint: "write e.g. `affinity: \(named[kind] ?? kind)`")
                return nil
            }
            switch kind {
            case "header": return .header(words[1])
            case "cookie": return .insertedCookie(words[1])
            default: return .applicationCookie(words[1])
            }
        default:
            let synonyms = ["source": "source-ip", "ip": "source-ip", "src-ip": "source-ip", "sourceip": "source-ip", "client-ip": "source-ip",
                            "insert-cookie": "cookie", "application-cookie": "app-cookie", "appcookie": "app-cookie", "jsessionid": "app-cookie"]
            let kinds = ["none", "source-ip", "header", "cookie", "app-cookie"]
            let suggestion = synonyms[kind.lowercased()] ?? Suggestions.closest(to: kind, among: kinds)
            report(path, at: node.mark, "unknown affinity \"\(text)\"",
                   hint: suggestion.map { "did you mean \"\($0)\"? \(hint.prefix(1).uppercased())\(hint.dropFirst())" } ?? hint)
            return nil
        }
    }

    /// `{ca: FILE, server-name: NAME}` or `{verify: false}`; when unreadable or undecided
    /// (reported), what could be read, for the other checks.
    private mutating func readUpstreamTLS(_ node: Node, at path: FieldPath) -> UpstreamTLS? {
        let choose = "add `ca: /etc/usher/ca.pem` (the CA that signs the real servers' certificates) to verify them, or `verify: false` to encrypt without verifying"
        guard let fields = mapping(node, at: path, what: "TLS towards the real servers", fields: Self.upstreamTLSFields, hint: choose)
        else { return nil }
        var ok = true
        func need<T>(_ value: T?) -> T? {
            if value == nil { ok = false }
            return value
        }
        let ca = fields["ca"].flatMap { need(scalar($0, at: path.key("ca"), what: "a CA file", hint: "write the path of a PEM file")) }
        let verify = fields["verify"].flatMap { need(boolean($0, at: path.key("verify"), what: "verify")) }
        let serverName = fields["server-name"].flatMap {
            need(scalar($0, at: path.key("server-name"), what: "a server name", hint: "write the name the real servers' certificates carry"))
        }
        guard ok else { return UpstreamTLS(caPath: ca, serverName: serverName) }
        switch (ca, verify) {
        case let (ca?, nil), let (ca?, true?):
            return UpstreamTLS(caPath: ca, serverName: serverName)
        case (nil, false?):
            return UpstreamTLS(caPath: nil, serverName: serverName)
        case (_?, false?):
            report(path.key("verify"), at: nil, "verify: false contradicts ca:",
                   hint: "keep `ca:` to verify the real servers against it, or remove it to encrypt without verifying")
        case (nil, true?):
            report(path.key("verify"), at: nil, "verify: true needs the CA to verify against", hint: choose)
        case (nil, nil):
            report(path, at: nil, "TLS towards the real servers needs a choice: verify their certificates or not", hint: choose)
        }
        return UpstreamTLS(caPath: nil, serverName: serverName)
    }
}
