import Yams

/// The content rules of an `http`/`https` service: conditions on host, path and a header, and
/// a pool to send the request to or a redirect to answer with.
extension ConfigReader {
    static let pathFields = ["path-prefix", "path", "path-regex"]
    static let ruleFields = ["host"] + pathFields + ["header", "pool", "redirect"]
    static let headerConditionFields = ["name", "value"]
    static let redirectFields = ["scheme", "host", "port", "status"]

    /// A rule; nil only when it is not a mapping. An unreadable part is reported and stands
    /// in the model as an empty value at the same field, which the loader does not judge again
    /// (and which keeps the rule from looking like one without conditions).
    mutating func readRule(_ node: Node, at path: FieldPath) -> ContentRule? {
        guard let fields = mapping(node, at: path, what: "a rule", fields: Self.ruleFields,
                                   hint: "write each rule as `- path-prefix: /api` (or host, header) with `pool: app` or `redirect:`")
        else { return nil }
        var match = RuleMatch()
        if let node = fields["host"] {
            match.host = scalar(node, at: path.key("host"), what: "a host", hint: "write a host name such as shop.example, or *.shop.example") ?? ""
        }
        // In file order: the first is kept, the second reported.
        let paths = Self.pathFields.filter { fields[$0] != nil }.sorted {
            let a = Self.keyMark($0, in: node), b = Self.keyMark($1, in: node)
            return (a?.line ?? 0, a?.column ?? 0) < (b?.line ?? 0, b?.column ?? 0)
        }
        if paths.count > 1 {
            report(path.key(paths[1]), at: Self.keyMark(paths[1], in: node),
                   "a rule matches one path, but \(paths.map { "\"\($0)\"" }.joined(separator: " and ")) are given",
                   hint: "keep one of them; for several paths write several rules")
        }
        if let key = paths.first, let node = fields[key] {
            let example = key == "path-regex" ? "^/v[0-9]+/" : key == "path" ? "/login" : "/api"
            let text = scalar(node, at: path.key(key), what: "a path", hint: "write e.g. `\(key): \(example)`") ?? ""
            switch key {
            case "path-prefix": match.path = .prefix(text)
            case "path": match.path = .exact(text)
            default: match.path = .regex(text)
            }
        }
        if let node = fields["header"] { match.header = readHeaderCondition(node, at: path.key("header")) }

        let action: RuleAction
        switch (fields["pool"], fields["redirect"]) {
        case (let pool?, _?):
            report(path.key("redirect"), at: Self.keyMark("redirect", in: node), "a rule either sends requests to a pool or redirects them, not both",
                   hint: "keep `pool:` or `redirect:`; for both, write two rules with different conditions")
            action = .pool(scalar(pool, at: path.key("pool"), what: "a pool name", hint: "write the name of one of the service's pools") ?? "")
        case (nil, nil):
            report(path.key("pool"), at: mark(of: path), "missing \"pool\" or \"redirect\" in a rule",
                   hint: "add `pool: NAME` to send matching requests to a pool, or `redirect:` to answer them with a redirect")
            action = .pool("")
        case let (node?, nil):
            action = .pool(scalar(node, at: path.key("pool"), what: "a pool name", hint: "write the name of one of the service's pools") ?? "")
        case let (nil, node?):
            action = .redirect(readRedirect(node, at: path.key("redirect")))
        }
        return ContentRule(match: match, action: action)
    }

    /// `{name: X-Canary, value: "1"}`, or just the name for "present with any value".
    private mutating func readHeaderCondition(_ node: Node, at path: FieldPath) -> HeaderCondition {
        let hint = "write `{name: X-Canary, value: \"1\"}`, or `{name: X-Canary}` for any value"
        if case let .scalar(s) = node, !Self.isNull(node) { return HeaderCondition(name: s.string) }
        guard let fields = mapping(node, at: path, what: "a header condition", fields: Self.headerConditionFields, hint: hint) else {
            return HeaderCondition(name: "")
        }
        require([("name", "add `name:`, the header to look at, e.g. X-Canary")], in: fields, at: path, what: "a header condition")
        let name = fields["name"].flatMap { scalar($0, at: path.key("name"), what: "a header name", hint: hint) }
        let value = fields["value"].map {
            scalar($0, at: path.key("value"), what: "a header value", hint: "write the exact value, or leave value out for any value") ?? ""
        }
        return HeaderCondition(name: name ?? "", value: value)
    }

    private mutating func readRedirect(_ node: Node, at path: FieldPath) -> Redirect {
        var out = Redirect()
        guard let fields = mapping(node, at: path, what: "a redirect", fields: Self.redirectFields,
                                   hint: "write the parts of the URL to change, e.g. `{scheme: https, host: shop.example, status: 301}`")
        else { return out }
        if let node = fields["scheme"] { out.scheme = scalar(node, at: path.key("scheme"), what: "a scheme", hint: "write http or https") }
        if let node = fields["host"] { out.host = scalar(node, at: path.key("host"), what: "a host", hint: "write a host name such as shop.example") }
        if let node = fields["port"] {
            let hint = "use 1 to 65535"
            if let p = integer(node, at: path.key("port"), what: "port", hint: hint) {
                out.port = UInt16(exactly: p)
                if out.port == nil { report(path.key("port"), at: node.mark, "port \(p) is out of range", hint: hint) }
            }
        }
        if let node = fields["status"],
           let status = integer(node, at: path.key("status"), what: "status", hint: ConfigValidator.redirectStatusHint) {
            out.status = status
        }
        return out
    }
}
