import Yams

/// The file index of every item kept from an L7 list (pools, a pool's reals, rules,
/// certificates), keyed by the list's path relative to its service, with model indices.
typealias NestedIndex = [FieldPath: [Int]]

extension ConfigReader {
    /// Service fields that only `http` and `https` services take.
    static let l7ServiceFields = [
        "tls", "limits", "forwarded-headers", "request-headers", "response-headers", "access-log", "pools", "rules", "default-pool",
    ]
    static let tlsFields = ["certificates", "alpn"]
    static let certificateFields = ["cert", "key"]
    static let limitFields = [
        "max-request-line", "max-header-bytes", "max-headers", "max-body", "header-timeout", "idle-timeout", "max-connections",
        "body-timeout", "min-body-rate",
    ]
    static let headerRewriteFields = ["set", "remove"]

    /// The proxy settings of an `http`/`https` service, as complete as the file allows, so
    /// that the checks of `ConfigValidator` still run on everything readable. An unreadable
    /// part is reported here and stands in the model as its default, or as an empty value at
    /// the same field, which the loader does not judge again; only an item that is not a
    /// mapping (and a real with a bad field, as for L4 reals) is left out, and `NestedIndex`
    /// keeps the file's indices for the items after it.
    mutating func readL7(_ fields: [String: Node], at path: FieldPath, mode: ForwardingMode) -> (L7Settings, NestedIndex) {
        var out = L7Settings()
        var index = NestedIndex()
        require([("pools", "add `pools:` with the real servers, e.g. `- name: app` and its `reals:` (or `pools: []` if every request is redirected)")],
                in: fields, at: path, what: "an \(mode.rawValue) service")

        if let node = fields["tls"], !Self.isNull(node) {
            let (tls, certificateIndex) = readTLS(node, at: path.key("tls"))
            out.tls = tls
            index[FieldPath([.key("tls"), .key("certificates")])] = certificateIndex
        }
        if let node = fields["limits"], !Self.isNull(node) { out.limits = readLimits(node, at: path.key("limits")) }
        if let node = fields["forwarded-headers"],
           let value = boolean(node, at: path.key("forwarded-headers"), what: "forwarded-headers") {
            out.forwardedHeaders = value
        }
        for (key, direction) in [("request-headers", "towards the real servers"), ("response-headers", "towards the clients")] {
            guard let node = fields[key], !Self.isNull(node) else { continue }
            let rewrite = readHeaderRewrite(node, at: path.key(key), direction: direction)
            if key == "request-headers" { out.requestHeaders = rewrite } else { out.responseHeaders = rewrite }
        }
        if let node = fields["access-log"] { out.accessLog = readAccessLog(node, at: path.key("access-log")) ?? out.accessLog }
        if let node = fields["pools"],
           let items = list(node, at: path.key("pools"), what: "pools", hint: "start each pool with `- name: app`") {
            var poolIndex: [Int] = []
            for (k, item) in items.enumerated() {
                guard let (pool, members) = readPool(item, at: path.key("pools").index(k)) else { continue }
                index[FieldPath([.key("pools"), .index(out.pools.count), .key("reals")])] = members
                out.pools.append(pool)
                poolIndex.append(k)
            }
            index[FieldPath([.key("pools")])] = poolIndex
        }
        if let node = fields["rules"],
           let items = list(node, at: path.key("rules"), what: "rules", hint: "start each rule with `- path-prefix: /api` (or host, header) and give its `pool:`") {
            var ruleIndex: [Int] = []
            for (r, item) in items.enumerated() {
                guard let rule = readRule(item, at: path.key("rules").index(r)) else { continue }
                out.rules.append(rule)
                ruleIndex.append(r)
            }
            index[FieldPath([.key("rules")])] = ruleIndex
        }
        if let node = fields["default-pool"] {
            out.defaultPool = scalar(node, at: path.key("default-pool"), what: "the default pool",
                                     hint: "write the name of one of the service's pools, e.g. `default-pool: app`")
        }
        return (out, index)
    }

    /// Reports each L7 field given to a `dsr-l2`/`dsr-ipip` service, at its key.
    mutating func refuseL7Fields(_ fields: [String: Node], of node: Node, at path: FieldPath, mode: ForwardingMode) {
        for key in Self.l7ServiceFields where fields[key] != nil {
            report(path.key(key), at: Self.keyMark(key, in: node), "\"\(key)\" is for http and https services, not \(mode.rawValue)",
                   hint: "remove it, or set `mode: http` (or `https`) to have the proxy serve this service")
        }
    }

    /// Reports the L4 fields given to an `http`/`https` service, at their keys.
    mutating func refuseL4Fields(_ fields: [String: Node], of node: Node, at path: FieldPath, mode: ForwardingMode) {
        let hints = [
            "reals": "put them in a pool: `pools:` then `- name: app` with `reals:`, each with its `port:`",
            "hash": "to keep a client on one real server, give its pool `affinity: source-ip`",
            "maglev-table-size": "remove it; the proxy spreads requests with each pool's scheduler",
            "health-check": "give each pool its own `health-check:`",
            "on-down": "remove it; the proxy stops sending requests to a member that is down",
            "slow-start": "remove it; pool members take their full weight at once",
        ]
        for key in ["reals", "hash", "maglev-table-size", "health-check", "on-down", "slow-start"] where fields[key] != nil {
            let message = key == "reals"
                ? "an \(mode.rawValue) service reaches its real servers through pools, not \"reals\""
                : "\"\(key)\" is for dsr-l2, dsr-ipip, nat and gateway services, not \(mode.rawValue)"
            report(path.key(key), at: Self.keyMark(key, in: node), message, hint: hints[key])
        }
    }

    /// The position of the key `name` in a mapping node.
    static func keyMark(_ name: String, in node: Node) -> Mark? {
        guard case let .mapping(mapping) = node else { return nil }
        return mapping.first { $0.key.scalar?.string == name }?.key.mark
    }

    private mutating func readTLS(_ node: Node, at path: FieldPath) -> (TLSSettings, [Int]) {
        var out = TLSSettings(certificates: [])
        var index: [Int] = []
        guard let fields = mapping(node, at: path, what: "the TLS settings", fields: Self.tlsFields,
                                   hint: "write `certificates:` with `- cert: FILE` and `key: FILE` under `tls:`")
        else { return (out, index) }
        require([("certificates", "add `certificates:` with `- cert: /etc/usher/site.pem` and `key: /etc/usher/site.key`")],
                in: fields, at: path, what: "the TLS settings")
        if let node = fields["certificates"],
           let items = list(node, at: path.key("certificates"), what: "certificates", hint: "write each as `- cert: FILE` with `key: FILE`") {
            for (k, item) in items.enumerated() {
                if let files = readCertificate(item, at: path.key("certificates").index(k)) {
                    out.certificates.append(files)
                    index.append(k)
                }
            }
        }
        if let node = fields["alpn"] {
            let hint = "write a list such as [h2, http/1.1], in order of preference"
            let synonyms = ["http/1": "http/1.1", "http1.1": "http/1.1", "http1": "http/1.1", "h1": "http/1.1", "http/2": "h2", "http2": "h2"]
            if let items = list(node, at: path.key("alpn"), what: "ALPN protocols", hint: hint) {
                let read = items.enumerated().map { k, item in
                    choice(item, at: path.key("alpn").index(k), what: "ALPN protocol",
                           choices: ALPNProtocol.allCases.map { ($0.rawValue, $0) }, synonyms: synonyms)
                }
                // With an unreadable item the default stays, so that nothing is reported twice.
                if read.allSatisfy({ $0 != nil }) { out.alpn = read.compactMap { $0 } }
            }
        }
        return (out, index)
    }

    private mutating func readCertificate(_ node: Node, at path: FieldPath) -> CertificateFiles? {
        guard let fields = mapping(node, at: path, what: "a certificate", fields: Self.certificateFields,
                                   hint: "write `- cert: /etc/usher/site.pem` with `key: /etc/usher/site.key` under it")
        else { return nil }
        require([("cert", "add `cert:` with the PEM file of the certificate chain"), ("key", "add `key:` with the PEM file of its private key")],
                in: fields, at: path, what: "a certificate")
        // An unreadable file name stays empty: reported here, not judged again by the loader.
        let cert = fields["cert"].flatMap { scalar($0, at: path.key("cert"), what: "a certificate file", hint: "write the path of a PEM file") }
        let key = fields["key"].flatMap { scalar($0, at: path.key("key"), what: "a key file", hint: "write the path of a PEM file") }
        return CertificateFiles(certificatePath: cert ?? "", keyPath: key ?? "")
    }

    private mutating func readLimits(_ node: Node, at path: FieldPath) -> HTTPLimits {
        var out = HTTPLimits()
        guard let fields = mapping(node, at: path, what: "the limits", fields: Self.limitFields,
                                   hint: "write the limits to change under `limits:`, e.g. `max-body: 10MiB`")
        else { return out }
        // An unreadable limit keeps its default (it has been reported).
        func bytes(_ key: String, _ value: inout Int) {
            if let node = fields[key], let v = byteSize(node, at: path.key(key), what: key) { value = v }
        }
        func count(_ key: String, _ value: inout Int, _ hint: String) {
            if let node = fields[key], let v = integer(node, at: path.key(key), what: key, hint: hint) { value = v }
        }
        func seconds(_ key: String, _ value: inout Double) {
            if let node = fields[key], let v = duration(node, at: path.key(key), what: key) { value = v }
        }
        bytes("max-request-line", &out.maxRequestLineBytes)
        bytes("max-header-bytes", &out.maxHeaderBytes)
        count("max-headers", &out.maxHeaderCount, "write a number of header fields, e.g. 100")
        bytes("max-body", &out.maxBodyBytes)
        seconds("header-timeout", &out.headerTimeoutSeconds)
        seconds("idle-timeout", &out.idleTimeoutSeconds)
        count("max-connections", &out.maxConnections, "write a number of connections, e.g. 10000")
        seconds("body-timeout", &out.bodyTimeoutSeconds)
        if let node = fields["min-body-rate"], let v = byteSize(node, at: path.key("min-body-rate"), what: "min-body-rate", perSecond: true) {
            out.minBodyRate = v
        }
        return out
    }

    private mutating func readHeaderRewrite(_ node: Node, at path: FieldPath, direction: String) -> HeaderRewrite {
        var out = HeaderRewrite()
        guard let fields = mapping(node, at: path, what: "a header rewrite", fields: Self.headerRewriteFields,
                                   hint: "write `set: {Name: value}` and/or `remove: [Name]` under it")
        else { return out }
        if let node = fields["set"], !Self.isNull(node) {
            let hint = "write each header \(direction) as `Name: value`, e.g. `X-Env: prod`"
            if case let .mapping(mapping) = node {
                record(path.key("set"), mapping.mark)
                for (key, value) in mapping {
                    guard let name = key.scalar?.string else {
                        report(path.key("set"), at: key.mark, "a header name must be plain text, found \(Self.describe(key))", hint: hint)
                        continue
                    }
                    let fieldPath = path.key("set").key(name)
                    record(fieldPath, key.mark)
                    if let text = scalar(value, at: fieldPath, what: "a header value", hint: hint + " (\"\" for an empty value)") {
                        out.fieldsToSet.append(HeaderField(name: name, value: text))
                    }
                }
            } else {
                report(path.key("set"), at: node.mark, "expected header fields to set, found \(Self.describe(node))", hint: hint)
            }
        }
        if let node = fields["remove"],
           let items = list(node, at: path.key("remove"), what: "header names", hint: "write a list of names, e.g. [Server, X-Powered-By]") {
            let names = items.enumerated().map { k, item in
                scalar(item, at: path.key("remove").index(k), what: "a header name", hint: "write the header's name, e.g. Server")
            }
            // With an unreadable item nothing is removed, so that nothing is reported twice.
            if names.allSatisfy({ $0 != nil }) { out.namesToRemove = names.compactMap { $0 } }
        }
        return out
    }

    private mutating func readAccessLog(_ node: Node, at path: FieldPath) -> AccessLogTarget? {
        let hint = "write stdout, none, or the absolute path of a file, e.g. /var/log/usher/access.log"
        guard let text = scalar(node, at: path, what: "an access log target", hint: hint) else { return nil }
        switch text {
        case "stdout": return .standardOutput
        case "none": return AccessLogTarget.none
        default: return .file(text)
        }
    }
}
